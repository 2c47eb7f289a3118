/**
 * Kernel timing for the workspace's profile tools (`pnpm bench:profile` of @cnn/benchmarks, the `scripts/profile-*.ts`
 * of @cnn/backend-onednn): every kernel of a backend wrapped with a wall-clock timer.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';

/** Called after each timed kernel call: the kernel's name, its inputs and the call's wall time in ms. */
export type KernelCallListener = (kernel: string, inputs: tf.NamedTensorInfoMap, ms: number) => void;

/** `"Conv2D [2000,31,31,24]x[3,3,24,64]"`: a kernel name with the shapes of its inputs (a by-shape profile's row). */
export function shapeKey(kernel: string, inputs: tf.NamedTensorInfoMap): string {
  return `${kernel} ${Object.values(inputs)
    .map((t) => `[${t?.shape.join(',') ?? ''}]`)
    .join('x')}`;
}

/**
 * Wraps every kernel registered for `backendName` so that each call reports its wall time to `listener`. A kernel
 * called through the engine from inside another kernel is not reported on its own: its time is in the outer call.
 * The time of a call is that of its work on backends whose kernels run synchronously on the calling thread (cpu,
 * onednn); on GPU backends it is the time to enqueue. Costs ~1 µs per call.
 *
 * @param backendName - A registered backend, e.g. `'onednn'` (kernels registered later are not wrapped).
 * @returns The function that puts the original kernels back.
 */
export function timeKernels(backendName: string, listener: KernelCallListener): () => void {
  const originals = tf.getKernelsForBackend(backendName);
  let depth = 0;
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        depth++;
        try {
          return k.kernelFunc(args);
        } finally {
          depth--;
          if (depth === 0) listener(k.kernelName, args.inputs, performance.now() - t0);
        }
      },
    });
  }
  return () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backendName);
      tf.registerKernel(k);
    }
  };
}
