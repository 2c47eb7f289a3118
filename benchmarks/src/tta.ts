/**
 * `pnpm bench:tta` — the fast recipe's final evaluation (`evaluateWithTta` of `@cnn/cli` with `airbenchTta(2)`:
 * 6 views per image, the plain model scored in the same pass) of the airbench94 net, layer by layer through
 * tfjs-layers (`native: false`) against the model compiled into one native oneDNN graph (`native: true`:
 * `compileNative` of `@cnn/deploy`, its compilation and per-batch-size tuning counted in every round), in
 * interleaved rounds in one process on the `onednn` backend. Random weights (seeded) and random test images
 * (normal, as normalised inputs); batches of the fast recipe's `evalBatchSize`. Only throughput is measured.
 * JSON lines: `{bench: 'tta', round, forward, imgPerSec, seconds}` per run, then
 * `{bench: 'tta-summary', images, views, layersImgPerSec, nativeImgPerSec (medians), ratio: {median, min, max}}`.
 * Flags: `--images N` (default 2000), `--rounds N` (default 3). Each side first runs one untimed batch.
 */
import { selectBackend } from '@cnn/backend-onednn';
import { CIFAR10_FAST_RECIPE, evaluateWithTta } from '@cnn/cli';
import { airbench94, airbenchTta } from '@cnn/models';
import type { Batch } from '@cnn/train';
import * as tf from '@tensorflow/tfjs-core';

import { emit, intFlag, parseBenchArgs, runMain, spread } from './common.js';

async function main(): Promise<void> {
  const args = parseBenchArgs({ images: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } });
  const images = intFlag('--images', String(args['images']));
  const rounds = intFlag('--rounds', String(args['rounds']));
  const backend = await selectBackend('onednn');
  if (tf.getBackend() !== 'onednn') throw new Error(`bench:tta needs the onednn backend, got ${JSON.stringify(backend)}`);
  const model = airbench94({ seed: 0 });
  const batchSize = Math.min(CIFAR10_FAST_RECIPE.evalBatchSize, images);
  const x = tf.randomNormal([images, 32, 32, 3], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: images }, (_, i) => i % 10),
    'int32',
  );
  const batches = (limit = images): Batch[] => {
    const out: Batch[] = [];
    for (let s = 0; s < limit; s += batchSize) {
      const n = Math.min(batchSize, limit - s);
      out.push({ x: tf.slice(x, [s, 0, 0, 0], [n, -1, -1, -1]), y: tf.slice(y, [s], [n]) });
    }
    return out;
  };
  const tta = airbenchTta(2);
  const layers: number[] = [];
  const native: number[] = [];
  const run = async (round: number, useNative: boolean): Promise<number> => {
    const r = await evaluateWithTta(model, batches(), tta, { native: useNative, log: (line) => console.error(line) });
    if (r.forward !== (useNative ? 'native' : 'layers')) throw new Error(`bench:tta: the ${useNative ? 'native' : 'layers'} run ran ${r.forward}`);
    emit({ bench: 'tta', round, forward: r.forward, imgPerSec: Math.round(r.imgPerSec), seconds: Math.round(r.seconds * 100) / 100 });
    (useNative ? native : layers).push(r.imgPerSec);
    return r.imgPerSec;
  };
  // warm-up: tfjs kernels and the addon's first calls
  await evaluateWithTta(model, batches(Math.min(batchSize, images)), tta);
  await evaluateWithTta(model, batches(Math.min(batchSize, images)), tta, { native: true, log: (line) => console.error(line) });
  const ratios: number[] = []; // per round: native ÷ layers, the two runs back to back (interleaved rounds)
  for (let r = 0; r < rounds; r++) {
    const l = await run(r, false);
    const n = await run(r, true);
    ratios.push(n / l);
  }
  tf.dispose([x, y]);
  emit({
    bench: 'tta-summary',
    images,
    views: tta.views.length,
    batchSize,
    layersImgPerSec: Math.round(spread(layers).median),
    nativeImgPerSec: Math.round(spread(native).median),
    ratio: spread(ratios),
  });
}

runMain(main);
