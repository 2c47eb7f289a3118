/**
 * Kernel timing of `bench:profile`: every kernel of a backend wrapped with a wall-clock timer, and the categories
 * the profile reports.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Where a step's time is attributed: the phase the kernel ran in. */
export type Phase = 'data' | 'forward' | 'backward' | 'update';

/** Kernel name → category of the profile (kernels of the optimizer update count as "optimizer update" whatever they are). */
export function kernelCategory(kernel: string, phase: Phase): string {
  if (phase === 'update') return 'optimizer update';
  if (phase === 'data') return 'data (augmentation, batch upload)';
  if (kernel === 'Conv2D' || kernel === 'FusedConv2D' || kernel === 'DepthwiseConv2dNative') return 'conv forward';
  if (kernel === 'Conv2DBackpropInput') return 'conv backward (input)';
  if (kernel === 'Conv2DBackpropFilter') return 'conv backward (filter)';
  if (kernel === 'BatchMatMul' || kernel === '_FusedMatMul') return 'matmul (head)';
  if (/BatchNorm/.test(kernel)) return 'batchnorm';
  if (/Pool/.test(kernel)) return 'pooling';
  if (/Gelu|Relu|Elu|Sigmoid|Tanh|^Step$|Softplus/.test(kernel)) return 'activation';
  return 'elementwise, loss, reshapes';
}

/** Accumulated kernel time per (kernel, phase). */
export interface KernelTally {
  ms: Map<string, number>;
  calls: Map<string, number>;
}

/**
 * Wraps every kernel registered for `backendName` with a timer that adds the call's wall time (ms) to `tally`
 * under `"kernel|phase"`, `phase()` naming the current phase; a kernel called from inside another (through the
 * engine) is counted once, in the outer one. Returns the function that restores the original kernels.
 */
export function instrumentKernels(backendName: string, tally: KernelTally, phase: () => Phase): () => void {
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
          if (depth === 0) {
            const key = `${k.kernelName}|${phase()}`;
            tally.ms.set(key, (tally.ms.get(key) ?? 0) + performance.now() - t0);
            tally.calls.set(key, (tally.calls.get(key) ?? 0) + 1);
          }
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
