import { importPeer } from '@cnn/core';
import type { Normalization } from '@cnn/core';
import { DeployError } from '../errors.js';

/** sharp (an optional peer dependency), imported on first use. */
function loadSharp(): Promise<typeof import('sharp')['default']> {
  return importPeer('sharp', 'decoding image requests', () => import('sharp')).then((m) => m.default);
}

/** A client error (HTTP 400) with a message meant for the client. */
export class BadInputError extends DeployError {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}

export type { Normalization } from '@cnn/core';

/**
 * Decodes a PNG/JPEG/WebP/GIF image with sharp, drops alpha, converts to grey (1 channel) or sRGB
 * (3 channels), resizes to `[height, width]` (`fit: 'fill'`, bilinear) and normalises to float32 NHWC
 * `[height, width, channels]` row-major.
 * @throws BadInputError when the bytes are not a decodable image.
 */
export async function decodeImageInput(body: Buffer, [height, width, channels]: number[], norm: Normalization): Promise<Float32Array> {
  const sharp = await loadSharp();
  if (channels !== 1 && channels !== 3) throw new DeployError(`decodeImageInput: the model takes ${channels} channels; images need 1 or 3`);
  let raw: Buffer;
  try {
    let img = sharp(body, { failOn: 'error' }).removeAlpha();
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    raw = await img.resize(width, height, { fit: 'fill' }).raw().toBuffer();
  } catch (err) {
    throw new BadInputError(`body is not a decodable image (PNG/JPEG): ${(err as Error).message}`);
  }
  const got = raw.length / (height! * width!);
  if (got !== channels) throw new BadInputError(`decoded image has ${got} channels, the model takes ${channels}`);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const c = i % channels;
    out[i] = (raw[i]! / 255 - norm.mean[c]!) / norm.std[c]!;
  }
  return out;
}

function flatten(value: unknown, out: number[], depth: number): void {
  if (Array.isArray(value)) {
    if (depth > 8) throw new BadInputError('"tensor" is nested too deeply');
    for (const v of value) flatten(v, out, depth + 1);
  } else if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  else throw new BadInputError(`"tensor" must contain only finite numbers, found ${JSON.stringify(value)?.slice(0, 40)}`);
}

/**
 * Validates a JSON body `{"tensor": number[] (flat or nested), "shape": [h, w, c] or [1, h, w, c]}`
 * holding one already-normalised NHWC sample.
 * @throws BadInputError with a message naming the field and the expected shape.
 */
export function decodeJsonInput(body: unknown, inputShape: number[]): Float32Array {
  const expected = JSON.stringify(inputShape);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadInputError(`JSON body must be an object {"tensor": [...], "shape": ${expected}}`);
  const { tensor, shape } = body as { tensor?: unknown; shape?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))
    throw new BadInputError(`"shape" must be an array of positive integers, e.g. ${expected}`);
  const s = shape.length === inputShape.length + 1 && shape[0] === 1 ? shape.slice(1) : shape;
  if (s.length !== inputShape.length || s.some((d, i) => d !== inputShape[i])) {
    throw new BadInputError(`"shape" ${JSON.stringify(shape)} does not match the model input ${expected} (height, width, channels; optional leading batch 1)`);
  }
  if (!Array.isArray(tensor)) throw new BadInputError('"tensor" must be an array of numbers');
  const values: number[] = [];
  flatten(tensor, values, 0);
  const n = inputShape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new BadInputError(`"tensor" has ${values.length} values, shape ${expected} needs ${n}`);
  return Float32Array.from(values);
}
