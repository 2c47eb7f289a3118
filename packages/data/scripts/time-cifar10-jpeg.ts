/**
 * Extracts the offline CIFAR-10 JPEG archive (once), loads all 60,000 images twice (decode, then decode cache)
 * and prints the times and the training-set channel mean / std: `pnpm tsx scripts/time-cifar10-jpeg.ts`.
 */
import { ensureCifar10Jpeg, loadCifar10 } from '../src/node/cifar10.js';
import { channelMeanStd } from '../src/stats.js';

async function main(): Promise<void> {
  let t0 = performance.now();
  const dir = await ensureCifar10Jpeg();
  console.log(`extracted (or found) ${dir} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  for (const pass of [1, 2]) {
    t0 = performance.now();
    const { train, test } = await loadCifar10({ root: dir, format: 'folder' });
    const s = (performance.now() - t0) / 1000;
    console.log(`load ${pass}: ${train.length} + ${test.length} images in ${s.toFixed(2)} s`);
    if (pass === 2) {
      const { mean, std } = channelMeanStd(train);
      console.log(`train mean ${mean.map((v) => v.toFixed(4)).join(', ')} std ${std.map((v) => v.toFixed(4)).join(', ')}`);
    }
  }
}
void main();
