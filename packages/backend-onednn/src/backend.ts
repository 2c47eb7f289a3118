/**
 * The `onednn` backend: tfjs' JS CPU backend (same tensor storage, same fallback kernels) whose hot kernels
 * run natively on oneDNN through {@link OnednnBinding}, with a pool that recycles the output buffers of
 * disposed tensors.
 */
import { totalmem } from 'node:os';

import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { backend_util, DataId, DataType } from '@tensorflow/tfjs-core';

import { getBinding, type OnednnBinding } from './binding.js';
import { OnednnError } from './binding-diagnostics.js';

/** Name under which the backend registers. */
export const BACKEND_NAME = 'onednn';

/**
 * Default bound of the buffer pool's free list (bytes): a quarter of the machine's memory, at most 8 GiB, at least
 * 256 MiB. The pool never holds more than the program's own peak of live outputs, so a large bound costs nothing
 * until batches are large; then it matters: airbench94's training step at batch 1024 (outputs up to 250 MB each)
 * takes 9.5 s with a 256 MiB pool and 4.5 s with 8 GiB (Zen 4, 2 cores), the difference being page faults and
 * zeroing of fresh buffers.
 */
export const DEFAULT_POOL_BYTES = Math.max(256 * 2 ** 20, Math.min(8 * 2 ** 30, Math.floor(totalmem() / 4)));

/** Outputs below this many elements (16 KiB) are plain allocations: pooling them saves nothing measurable. */
const MIN_POOLED_ELEMENTS = 4096;

/** Counters of the buffer pool (cumulative since construction or {@link OnednnBackend.clearPool}). */
export interface PoolStats {
  /** `allocOutput` calls served from the free list. */
  hits: number;
  /** `allocOutput` calls of poolable size that allocated a fresh buffer. */
  misses: number;
  /** Buffers returned to the free list. */
  recycled: number;
  /** Buffers handed out by `readSync`/`read` (never recycled afterwards). */
  escaped: number;
  /** Bytes now held by the free list. */
  freeBytes: number;
  /** Bound of the free list in bytes. */
  maxBytes: number;
}

/** A fresh, uninitialised `Float32Array` of `n` elements on its own ArrayBuffer (byteOffset 0). */
function freshFloat32(n: number): Float32Array {
  const buf = Buffer.allocUnsafeSlow(Math.max(1, n) * 4);
  return new Float32Array(buf.buffer, buf.byteOffset, n);
}

/**
 * `MathBackendCPU` plus the native binding. Tensor data stays in the JS `Float32Array`s the CPU backend
 * holds; native kernels read and write them in place.
 *
 * Output buffer pool: native kernels take their outputs from {@link allocOutput}. Such a buffer is *owned*
 * by the pool, which counts the live data entries (dataIds) that reference its ArrayBuffer — the buffer
 * itself or any view of it (e.g. the `subarray` the JS `Slice` kernel hands out). When the last such entry is
 * deleted (refCount 0 in `disposeData`), the buffer goes to a free list keyed by length (bounded to
 * `maxPoolBytes`, least recently used lengths evicted first) and a later `allocOutput` of that length reuses it
 * without page faults or zeroing. A buffer that `readSync`/`read` (and so `dataSync`, `data`, `bufferSync`,
 * `arraySync`) ever handed out *escapes*: user code may hold it after dispose, so it is never recycled.
 * Arrays the pool did not allocate (e.g. a user's array passed to `tf.tensor`) are never recycled.
 */
export class OnednnBackend extends MathBackendCPU {
  /** The loaded native binding. */
  readonly binding: OnednnBinding;
  /** Bound of the free list in bytes; 0 disables recycling. */
  maxPoolBytes: number;

  /** Pool-owned ArrayBuffers → number of live data entries referencing them. */
  private readonly owners = new WeakMap<ArrayBufferLike, number>();
  /** Free buffers by element count; Map order is least recently used length first. */
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  private readonly counters = { hits: 0, misses: 0, recycled: 0, escaped: 0 };

  /**
   * @param binding defaults to the process-wide {@link getBinding}.
   * @param maxPoolBytes bound of the output-buffer free list in bytes (default {@link DEFAULT_POOL_BYTES};
   *   0 disables recycling).
   * @throws OnednnUnavailableError when the addon or libdnnl cannot be loaded.
   * @throws Error when `maxPoolBytes` is not a finite number ≥ 0.
   */
  constructor(binding: OnednnBinding = getBinding(), maxPoolBytes = DEFAULT_POOL_BYTES) {
    if (!Number.isFinite(maxPoolBytes) || maxPoolBytes < 0) {
      throw new OnednnError(`OnednnBackend: maxPoolBytes must be a finite number of bytes >= 0, got ${maxPoolBytes}`);
    }
    super();
    this.binding = binding;
    this.maxPoolBytes = maxPoolBytes;
    // MathBackendCPU prints a "install tfjs-node" banner on first use; this backend is the native path.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /**
   * An uninitialised `Float32Array` of `n` elements for a kernel output: a recycled buffer of exactly that
   * length when the pool has one, else a fresh one. Contents are arbitrary (old data): the kernel must write
   * every element (zero it first if it accumulates). Register it with `makeTensorInfo` before disposing
   * anything else.
   */
  allocOutput(n: number): Float32Array {
    if (n < MIN_POOLED_ELEMENTS) return freshFloat32(n);
    const list = this.free.get(n);
    let out: Float32Array;
    if (list && list.length > 0) {
      out = list.pop()!;
      this.freeBytes -= out.byteLength;
      if (list.length === 0) this.free.delete(n);
      this.counters.hits++;
    } else {
      out = freshFloat32(n);
      this.counters.misses++;
    }
    this.owners.set(out.buffer, 0);
    return out;
  }

  /** Pool counters (see {@link PoolStats}). */
  poolStats(): PoolStats {
    return { ...this.counters, freeBytes: this.freeBytes, maxBytes: this.maxPoolBytes };
  }

  /** Drops every free buffer (live tensors are unaffected) and resets the counters. */
  clearPool(): void {
    this.free.clear();
    this.freeBytes = 0;
    this.counters.hits = this.counters.misses = this.counters.recycled = this.counters.escaped = 0;
  }

  /** Stores `values` (tfjs `KernelBackend.write`) and records the buffer as pooled, for reuse when it is disposed. */
  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    const id = super.write(values, shape, dtype);
    this.retain(values);
    return id;
  }

  /** Replaces the values of `dataId` (tfjs `KernelBackend.move`), returning the old buffer to the pool. */
  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    const old = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    super.move(dataId, values, shape, dtype, refCount);
    this.retain(values);
    if (old !== undefined) this.release(old);
  }

  /** The values of `dataId` (tfjs `KernelBackend.readSync`); a buffer handed out this way leaves the pool (the caller may keep it). */
  override readSync(dataId: DataId): backend_util.BackendValues {
    const values = this.data.get(dataId).values;
    if (values !== undefined && ArrayBuffer.isView(values) && this.owners.delete(values.buffer)) {
      this.counters.escaped++;
    }
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.release(values);
    return released;
  }

  /** Empties the buffer pool and disposes the backend (tfjs `KernelBackend.dispose`). */
  override dispose(): void {
    this.clearPool();
    super.dispose();
  }

  /** Counts one more live entry on a pool-owned buffer. */
  private retain(values: backend_util.BackendValues | undefined): void {
    if (values === undefined || !ArrayBuffer.isView(values)) return;
    const n = this.owners.get(values.buffer);
    if (n !== undefined) this.owners.set(values.buffer, n + 1);
  }

  /** Counts one entry less; the last one sends the buffer to the free list. */
  private release(values: backend_util.BackendValues): void {
    if (!ArrayBuffer.isView(values)) return;
    const buffer = values.buffer;
    const n = this.owners.get(buffer);
    if (n === undefined) return;
    if (n > 1) {
      this.owners.set(buffer, n - 1);
      return;
    }
    this.owners.delete(buffer);
    const bytes = buffer.byteLength;
    if (bytes > this.maxPoolBytes) return;
    const len = bytes / 4;
    const list = this.free.get(len);
    const arr = new Float32Array(buffer, 0, len);
    if (list) {
      this.free.delete(len); // re-insert: most recently used length last
      list.push(arr);
      this.free.set(len, list);
    } else {
      this.free.set(len, [arr]);
    }
    this.freeBytes += bytes;
    this.counters.recycled++;
    for (const [key, bucket] of this.free) {
      if (this.freeBytes <= this.maxPoolBytes) break;
      while (bucket.length > 0 && this.freeBytes > this.maxPoolBytes) {
        this.freeBytes -= bucket.pop()!.byteLength;
      }
      if (bucket.length === 0) this.free.delete(key);
    }
  }
}
