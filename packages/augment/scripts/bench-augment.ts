/**
 * Augmentation cost per batch on the tfjs cpu backend: RandomCrop(32, padding 4) + RandomHorizontalFlip +
 * ColorJitter(0.4, 0.4, 0.4, 0.1) + Normalize on 128 CIFAR-sized images. `pnpm bench` (tsx).
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@cnn/data';
import * as tf from '@tensorflow/tfjs-core';
import { ColorJitter, Compose, Normalize, RandomCrop, RandomHorizontalFlip } from '../src/index.js';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const batch = Number(process.env.BATCH ?? 128);
  const iters = Number(process.env.ITERS ?? 20);
  const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const rng = createRng(0);
  const cases: [string, Compose][] = [
    ['crop+flip', new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip()])],
    ['crop+flip+jitter(b,c,s)', new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(), new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 })])],
    ['crop+flip+jitter(b,c,s,h)+normalize', new Compose([
      new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(),
      new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
      new Normalize([0.4914, 0.4822, 0.4465], [0.247, 0.2435, 0.2616]),
    ])],
  ];
  for (const [name, pipeline] of cases) {
    for (let i = 0; i < 3; i++) pipeline.forward(x, rng).dispose();
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) {
      const y = pipeline.forward(x, rng);
      y.dataSync();
      y.dispose();
    }
    console.log(`${name}: ${((performance.now() - t0) / iters).toFixed(1)} ms/batch of ${batch} (backend ${tf.getBackend()})`);
  }
}
void main();
