import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, setPrecision } from '@cnn/backend-onednn';
await selectBackend('onednn');
const N = Number(process.argv[2] ?? 2000);
const layers: [number, number, number][] = [
  [31, 24, 64],
  [15, 64, 64],
  [15, 64, 256],
  [7, 256, 256],
  [7, 256, 256],
  [3, 256, 256],
];
const modes = [
  ['float32', ''],
  ['bf16', 'gemm'],
  ['bf16', 'direct'],
  ['float32', ''],
  ['bf16', 'gemm'],
  ['bf16', 'direct'],
] as const;
for (const [prec, mode] of modes) {
  setPrecision(prec);
  process.env.ONEDNN_BF16_BWD_WEIGHTS = mode;
  const row: string[] = [];
  for (const [h, ci, co] of layers) {
    const x = tf.randomNormal([N, h, h, ci]) as tf.Tensor4D;
    const dy = tf.randomNormal([N, h, h, co]) as tf.Tensor4D;
    const w = tf.ones([3, 3, ci, co]);
    const run = (k: string) => {
      const t0 = performance.now();
      const r =
        k === 'filter'
          ? tf
              .engine()
              .runKernel(
                'Conv2DBackpropFilter',
                { x, dy },
                { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], filterShape: [3, 3, ci, co] },
              )
          : k === 'input'
            ? tf
                .engine()
                .runKernel(
                  'Conv2DBackpropInput',
                  { dy, filter: w },
                  { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], inputShape: [N, h, h, ci] },
                )
            : tf.engine().runKernel('Conv2D', { x, filter: w }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] });
      const ms = performance.now() - t0;
      tf.dispose(r as tf.Tensor);
      return ms;
    };
    const best = (k: string) => {
      run(k);
      return Math.min(run(k), run(k));
    };
    row.push(`${h}:${ci}->${co} w${best('filter').toFixed(0)} i${best('input').toFixed(0)} f${best('fwd').toFixed(0)}`);
    tf.dispose([x, dy, w]);
  }
  console.log(`${prec}${mode ? '/' + mode : ''}`.padEnd(12), row.join(' | '));
}
