/**
 * Test helper: a tfjs backend without synchronous reads, as webgpu's is in Node.
 *
 * @packageDocumentation
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The cpu backend whose `readSync` (`dataSync()` / `arraySync()` / `bufferSync()`) throws; `read`
 * (`await t.data()`) works. The cpu kernels' own reads of their inputs (`backend.bufferSync`, e.g. in Tile) still
 * work: on webgpu the kernels run on the device and never read back.
 */
export class NoSyncReadBackend extends MathBackendCPU {
  /** Synchronous reads attempted. */
  syncReads = 0;
  #inKernel = 0;
  override readSync(dataId: object): tf.backend_util.BackendValues {
    if (this.#inKernel > 0) return super.readSync(dataId);
    this.syncReads += 1;
    throw new Error('NoSyncReadBackend: synchronous reads are not supported (use await tensor.data())');
  }
  override bufferSync<R extends tf.Rank, D extends tf.DataType>(t: tf.TensorInfo): tf.TensorBuffer<R, D> {
    this.#inKernel += 1;
    try {
      return super.bufferSync<R, D>(t);
    } finally {
      this.#inKernel -= 1;
    }
  }
  override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return super.readSync(dataId);
  }
}

/**
 * Registers {@link NoSyncReadBackend} under `name` (with every cpu kernel) and makes it the current backend.
 * @returns the backend instance and a function that switches back to cpu and removes it.
 */
export async function useNoSyncReadBackend(name = 'cpu-no-sync-read'): Promise<{ backend: NoSyncReadBackend; restore: () => Promise<void> }> {
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: name });
  let backend: NoSyncReadBackend | undefined;
  tf.registerBackend(name, () => {
    backend = new NoSyncReadBackend();
    return backend;
  });
  await tf.setBackend(name);
  return {
    backend: backend as unknown as NoSyncReadBackend,
    restore: async () => {
      await tf.setBackend('cpu');
      tf.removeBackend(name);
      for (const k of tf.getKernelsForBackend(name)) tf.unregisterKernel(k.kernelName, name);
    },
  };
}
