/** Test helpers: small synthetic MNIST-format datasets written to temporary directories. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIdx } from '../node/idx.js';

const created: string[] = [];

/** A fresh empty temporary directory, removed by {@link removeTempDirs}. */
export async function tempDir(prefix = 'cnn-data-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir} in this test file. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Deterministic synthetic images `[n, 28, 28]`: pixel p of image i is `(i * 7 + p) % 256`. */
export function syntheticImages(n: number, h = 28, w = 28): Uint8Array {
  const out = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) out[i * h * w + p] = (i * 7 + p) % 256;
  return out;
}

/** Labels `i % 10`. */
export function syntheticLabels(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 10);
}

export interface SyntheticOptions {
  nTrain?: number;
  nTest?: number;
  gzip?: boolean;
  /** Override train label count (for count mismatch tests). */
  nTrainLabels?: number;
  /** Override train labels. */
  trainLabels?: Uint8Array;
}

/** Writes the four MNIST files (raw, or `.gz` names with gzip content) into `dir`. */
export async function writeSyntheticMnist(dir: string, opts: SyntheticOptions = {}): Promise<void> {
  const { nTrain = 12, nTest = 5, gzip = false } = opts;
  const sfx = gzip ? '.gz' : '';
  const nLab = opts.nTrainLabels ?? nTrain;
  const trainLabels = opts.trainLabels ?? syntheticLabels(nLab);
  await writeIdx(join(dir, `train-images-idx3-ubyte${sfx}`), { dims: [nTrain, 28, 28], data: syntheticImages(nTrain) }, { gzip });
  await writeIdx(join(dir, `train-labels-idx1-ubyte${sfx}`), { dims: [trainLabels.length], data: trainLabels }, { gzip });
  await writeIdx(join(dir, `t10k-images-idx3-ubyte${sfx}`), { dims: [nTest, 28, 28], data: syntheticImages(nTest) }, { gzip });
  await writeIdx(join(dir, `t10k-labels-idx1-ubyte${sfx}`), { dims: [nTest], data: syntheticLabels(nTest) }, { gzip });
}
