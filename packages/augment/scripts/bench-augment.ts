/**
 * Augmentation cost per batch on a tfjs backend, on 128 CIFAR-sized images:
 * RandomCrop(32, padding 4) + RandomHorizontalFlip, then + ColorJitter(0.2, 0.2, 0.2) + Normalize (the CIFAR-10
 * training recipe), then the heavier ColorJitter(0.4, 0.4, 0.4, 0.1) + Normalize.
 * Usage: `pnpm bench [--backend cpu|onednn] [--iters 20] [--batch 128]` (tsx; env BATCH / ITERS also work).
 * `--backend onednn` loads @cnn/backend-onednn by relative source path (dev tool of the monorepo; this package
 * does not depend on any backend). Reports the minimum and mean ms per batch.
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@cnn/data';
import * as tf from '@tensorflow/tfjs-core';
import { ColorJitter, Compose, Normalize, RandomCrop, RandomHorizontalFlip } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'cpu');
  if (backend === 'onednn') {
    const path = '../../backend-onednn/src/index.js';
    await import(path);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`bench-augment: backend '${backend}' could not be initialised`);
  const batch = Number(arg('batch', process.env.BATCH ?? '128'));
  const iters = Number(arg('iters', process.env.ITERS ?? '20'));
  const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const rng = createRng(0);
  const cifarNorm = () => new Normalize([0.4914, 0.4822, 0.4465], [0.247, 0.2435, 0.2616]);
  const cases: [string, Compose][] = [
    ['crop+flip', new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip()])],
    [
      'crop+flip+jitter(0.2,0.2,0.2)+normalize',
      new Compose([
        new RandomCrop(32, { padding: 4 }),
        new RandomHorizontalFlip(),
        new ColorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2 }),
        cifarNorm(),
      ]),
    ],
    [
      'crop+flip+jitter(0.4,0.4,0.4,0.1)+normalize',
      new Compose([
        new RandomCrop(32, { padding: 4 }),
        new RandomHorizontalFlip(),
        new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
        cifarNorm(),
      ]),
    ],
  ];
  for (const [name, pipeline] of cases) {
    for (let i = 0; i < 3; i++) pipeline.forward(x, rng).dispose();
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      const y = pipeline.forward(x, rng);
      y.dataSync();
      y.dispose();
      times.push(performance.now() - t0);
    }
    const mean = times.reduce((a, b) => a + b, 0) / iters;
    console.log(`${name}: min ${Math.min(...times).toFixed(1)} ms, mean ${mean.toFixed(1)} ms per batch of ${batch} ` + `(backend ${tf.getBackend()})`);
  }
}
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
