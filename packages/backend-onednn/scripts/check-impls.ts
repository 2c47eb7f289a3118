/**
 * Runs every conv / pool / dense shape of MNISTNet, ImprovedMNISTNet and CIFAR10Net (training batch and
 * batch 1), forward and backward, on the `onednn` backend and prints the oneDNN implementation of every
 * primitive. Exits 1 when any is a `ref:` (reference, slow) implementation. Usage:
 *   pnpm exec tsx scripts/check-impls.ts [--network MNISTNet]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients

import { getBinding } from '../src/index.js';
import { describeShapeCase, NETWORK_SHAPES, runShapeCase } from './network-shapes.js';

async function main(): Promise<void> {
  const only = process.argv.includes('--network') ? process.argv[process.argv.indexOf('--network') + 1] : undefined;
  await tf.setBackend('onednn');
  const binding = getBinding();
  const info = binding.getInfo();
  console.log(`oneDNN ${info.onednnVersion}, isa ${info.isa}, ${info.threads} threads`);
  let bad = 0;
  for (const c of NETWORK_SHAPES) {
    if (only && c.network !== only) continue;
    binding.clearCache();
    runShapeCase(c);
    console.log(describeShapeCase(c));
    for (const r of binding.getPrimitiveImpls()) {
      const isRef = r.impl.startsWith('ref');
      if (isRef) bad++;
      console.log(`  ${isRef ? 'REF ' : 'ok  '}${r.kernel.padEnd(22)} ${r.impl.padEnd(28)} ${r.key}`);
    }
  }
  if (bad > 0) {
    console.error(`${bad} primitive(s) use a ref: implementation`);
    process.exit(1);
  }
  console.log('no ref: implementations');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
