/**
 * Convolution algorithms side by side on the 3x3 stride-1 layers of a network: for every shape, the best-of-N
 * time (ms) of each pass (forward / backward data / backward weights) with Winograd on a fixed tile (f2 … f7:
 * F(2x2) … F(7x7)), on the training default's per-pass choice (auto) and with oneDNN's direct kernels, the
 * algorithms alternating in every round so that a drift in machine speed hits all alike. Usage:
 *   pnpm exec tsx --single-threaded-gc scripts/bench-winograd.ts [--batch 1024] [--reps 4] [--algos f4,auto,direct]
 *     [--shapes 'hw,in,out;hw,in,out']   (default: airbench94's five 3x3 layer shapes)
 * Inputs are random; 'same' padding.
 */
import * as tf from '@tensorflow/tfjs-core';

import { selectBackend, setConvAlgorithm, setWinogradTile, type WinogradTile } from '../src/index.js';
import { arg } from './kernel-profiler.js';

/** airbench94's 3x3 convolutions: [spatial size, in, out, name]. */
const AIRBENCH_SHAPES: [number, number, number, string][] = [
  [31, 24, 64, 'block1.conv1'],
  [15, 64, 64, 'block1.conv2'],
  [15, 64, 256, 'block2.conv1'],
  [7, 256, 256, 'block2.conv2 / block3.conv1'],
  [3, 256, 256, 'block3.conv2'],
];

async function main(): Promise<void> {
  await selectBackend('onednn');
  const batch = Number(arg('batch', '1024'));
  const reps = Number(arg('reps', '4'));
  const algos = arg('algos', 'f4,auto,direct').split(',');
  for (const a of algos) {
    if (a !== 'direct' && a !== 'auto' && !/^f[2-7]$/.test(a)) throw new Error(`--algos: unknown algorithm '${a}' (f2 … f7, auto, direct)`);
  }
  const custom = arg('shapes', '');
  const shapes = custom
    ? custom.split(';').map((t) => {
        const [h, i, o] = t.split(',').map(Number) as [number, number, number];
        return [h, i, o, `${h}x${h} ${i}->${o}`] as [number, number, number, string];
      })
    : AIRBENCH_SHAPES;
  for (const [hw, ci, co, name] of shapes) {
    const x = tf.randomNormal([batch, hw, hw, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, ci, co], 0, 0.1) as tf.Tensor4D;
    const dy = tf.randomNormal([batch, hw, hw, co]) as tf.Tensor4D;
    const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const passes: [string, () => tf.Tensor][] = [
      ['fwd', () => tf.conv2d(x, w, 1, 'same')],
      ['bwd-data', () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: x.shape }) as tf.Tensor],
      ['bwd-weights', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: w.shape }) as tf.Tensor],
    ];
    const best = new Map<string, number>();
    for (let r = 0; r <= reps; r++) {
      // round 0 warms up
      for (const a of algos) {
        if (a === 'direct') setConvAlgorithm('direct');
        else {
          setConvAlgorithm(a === 'auto' ? 'auto' : 'winograd');
          setWinogradTile(a === 'auto' ? 'auto' : (Number(a.slice(1)) as WinogradTile));
        }
        for (const [p, f] of passes) {
          const t0 = performance.now();
          const out = f();
          out.dataSync();
          const ms = performance.now() - t0;
          out.dispose();
          if (r > 0) best.set(`${a}/${p}`, Math.min(best.get(`${a}/${p}`) ?? Infinity, ms));
        }
      }
    }
    console.log(
      JSON.stringify({
        layer: name,
        batch,
        shape: [hw, hw, ci, co],
        ms: Object.fromEntries(algos.map((a) => [a, passes.map(([p]) => Number(best.get(`${a}/${p}`)!.toFixed(1)))])),
      }),
    );
    tf.dispose([x, w, dy]);
  }
  setConvAlgorithm('auto');
  setWinogradTile('auto');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
