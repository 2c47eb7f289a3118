/**
 * Kernel timing of `bench:profile`: per-phase tallies over `timeKernels` of @cnn/testing, and the categories the
 * profile reports.
 */
import { shapeKey, timeKernels } from '@cnn/testing';

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

/** Accumulated kernel time (ms) and calls per `"kernel|phase"` key (`"kernel [shape]x[shape]|phase"` by shape). */
export interface KernelTally {
  ms: Map<string, number>;
  calls: Map<string, number>;
}

/**
 * Adds the wall time of every call of a kernel of `backendName` to `tally` under `"kernel|phase"` (`phase()` names
 * the current phase), or `"kernel [shapes]|phase"` with `byShape` (`timeKernels` of @cnn/testing does the timing;
 * nested kernel calls count once, in the outer one). Returns the function that restores the original kernels.
 */
export function instrumentKernels(backendName: string, tally: KernelTally, phase: () => Phase, byShape = false): () => void {
  return timeKernels(backendName, (kernel, inputs, ms) => {
    const key = `${byShape ? shapeKey(kernel, inputs) : kernel}|${phase()}`;
    tally.ms.set(key, (tally.ms.get(key) ?? 0) + ms);
    tally.calls.set(key, (tally.calls.get(key) ?? 0) + 1);
  });
}
