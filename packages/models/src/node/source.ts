import { readFile } from 'node:fs/promises';
import type * as tfl from '@tensorflow/tfjs-layers';
import { parseSafetensors, type SafetensorsFile } from '../weights/safetensors.js';
import { importTorchStateDict, type ImportTorchOptions, type ImportTorchReport } from '../weights/torch-import.js';
import { ModelError } from '../errors.js';

/** Whether `source` is an `http://` or `https://` URL (else a filesystem path). */
export function isHttpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Reads all bytes of a file path or an http(s) URL (with the global `fetch`).
 * @throws Error naming the source when the file cannot be read or the server answers a non-2xx status
 *   (e.g. "https://…/w.safetensors answered 404 Not Found").
 */
export async function readSource(source: string): Promise<Uint8Array> {
  if (isHttpUrl(source)) {
    let res: Response;
    try {
      res = await fetch(source);
    } catch (err) {
      throw new ModelError(`${source}: request failed: ${(err as Error).message}`, { code: 'ERR_CNN_MODEL_SOURCE', cause: err });
    }
    if (!res.ok) throw new ModelError(`${source} answered ${res.status} ${res.statusText}`.trimEnd(), { code: 'ERR_CNN_MODEL_SOURCE' });
    return new Uint8Array(await res.arrayBuffer());
  }
  try {
    return new Uint8Array(await readFile(source));
  } catch (err) {
    throw new ModelError(`cannot read ${source}: ${(err as Error).message}`, { code: 'ERR_CNN_MODEL_SOURCE', cause: err });
  }
}

/**
 * Reads and parses a safetensors file from a path or http(s) URL.
 * @throws Error as {@link readSource} and {@link parseSafetensors}.
 */
export async function loadSafetensors(source: string): Promise<SafetensorsFile> {
  return parseSafetensors(await readSource(source), source);
}

/**
 * Loads a PyTorch `state_dict` saved as safetensors (path or http(s) URL) into `model`
 * ({@link importTorchStateDict}: torchvision names, layout conversion, strict key check by default).
 * @throws Error as {@link loadSafetensors} and {@link importTorchStateDict}.
 */
export async function loadTorchWeights(model: tfl.LayersModel, source: string, opts: ImportTorchOptions = {}): Promise<ImportTorchReport> {
  const file = await loadSafetensors(source);
  return importTorchStateDict(model, file.tensors, { source, ...opts });
}
