import { ModelError } from '../errors.js';
/**
 * Reader and writer of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian unsigned header length `N`, `N` bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the raw
 * little-endian tensor bytes (offsets relative to the end of the header). No code is executed while
 * reading (unlike PyTorch's pickle-based `.pt` files).
 */

/** Element types of the safetensors format. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor of a safetensors file, converted to float32. */
export interface SafeTensor {
  /** Element type stored in the file. */
  dtype: SafetensorsDtype;
  /** Shape (row-major, PyTorch layout). */
  shape: number[];
  /** Values converted to float32 (integers exactly up to 2^24). */
  data: Float32Array;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name, in header order. */
  tensors: Map<string, SafeTensor>;
  /** The optional `__metadata__` string map. */
  metadata: Record<string, string>;
}

/** Largest header accepted (100 MB, as the reference implementation). */
const MAX_HEADER = 100_000_000;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32':
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16': {
        const tmp = new DataView(new ArrayBuffer(4));
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
        break;
      }
      case 'I64':
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case 'I32':
        out[i] = view.getInt32(i * 4, true);
        break;
      case 'I16':
        out[i] = view.getInt16(i * 2, true);
        break;
      case 'I8':
        out[i] = view.getInt8(i);
        break;
      case 'U8':
      case 'BOOL':
        out[i] = view.getUint8(i);
        break;
    }
  }
  return out;
}

/**
 * Parses a safetensors file held in memory and converts every tensor to float32.
 *
 * @param bytes the whole file.
 * @param source name used in error messages (a path or URL). Default `'safetensors'`.
 * @throws Error naming `source` when the file is shorter than 8 bytes, the header is truncated, larger
 *   than 100 MB or not a JSON object, a tensor entry has an unknown dtype, a bad shape, offsets outside the
 *   data section or a byte length that does not match its shape and dtype.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) {
    throw new ModelError(`${source}: truncated safetensors header: the file has ${bytes.byteLength} bytes, the 8-byte header length is missing`, {
      code: 'ERR_CNN_WEIGHTS_FORMAT',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER)
    throw new ModelError(`${source}: safetensors header length ${n} exceeds ${MAX_HEADER} bytes (not a safetensors file?)`, { code: 'ERR_CNN_WEIGHTS_FORMAT' });
  if (8 + n > bytes.byteLength) {
    throw new ModelError(`${source}: truncated safetensors header: it declares ${n} bytes but only ${bytes.byteLength - 8} follow`, {
      code: 'ERR_CNN_WEIGHTS_FORMAT',
    });
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new ModelError(`${source}: the safetensors header is not valid UTF-8 JSON: ${(err as Error).message}`, {
      code: 'ERR_CNN_WEIGHTS_FORMAT',
      cause: err,
    });
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new ModelError(`${source}: the safetensors header must be a JSON object`, { code: 'ERR_CNN_WEIGHTS_FORMAT' });
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafetensorsDtype;
    if (!(typeof dtype === 'string' && dtype in BYTES)) {
      throw new ModelError(`${source}: tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)}; expected one of ${Object.keys(BYTES).join(', ')}`, {
        code: 'ERR_CNN_WEIGHTS_FORMAT',
      });
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ModelError(`${source}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`, { code: 'ERR_CNN_WEIGHTS_FORMAT' });
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[0] > off[1] || off[1] > data.byteLength) {
      throw new ModelError(
        `${source}: tensor '${name}' has data_offsets ${JSON.stringify(off)} outside the ${data.byteLength}-byte data section (truncated file?)`,
        { code: 'ERR_CNN_WEIGHTS_FORMAT' },
      );
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== count * BYTES[dtype]) {
      throw new ModelError(`${source}: tensor '${name}' spans ${off[1] - off[0]} bytes, but shape [${shape}] of ${dtype} needs ${count * BYTES[dtype]}`, {
        code: 'ERR_CNN_WEIGHTS_FORMAT',
      });
    }
    tensors.set(name, { dtype, shape: (shape as number[]).slice(), data: decode(dtype, data.subarray(off[0], off[1]), count) });
  }
  return { tensors, metadata };
}

/** A float32 tensor to write with {@link serializeSafetensors}. */
export interface TensorToWrite {
  /** Shape. */
  shape: number[];
  /** Row-major values; length = product of `shape`. */
  data: Float32Array | number[];
}

/**
 * Serialises float32 tensors in the safetensors format (dtype `F32`, keys in the given order, header
 * padded with spaces to a multiple of 8 bytes as the reference writer does).
 * @throws Error when a tensor's data length does not match its shape.
 */
export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  let offset = 0;
  const parts: Float32Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count)
      throw new ModelError(`serializeSafetensors: tensor '${name}' has ${t.data.length} values, shape [${t.shape}] needs ${count}`, {
        code: 'ERR_CNN_WEIGHTS_FORMAT',
      });
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
    parts.push(Float32Array.from(t.data));
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let pos = 8 + head.byteLength;
  for (const p of parts) {
    const le = new DataView(out.buffer, pos, p.length * 4);
    for (let i = 0; i < p.length; i++) le.setFloat32(i * 4, p[i], true);
    pos += p.length * 4;
  }
  return out;
}
