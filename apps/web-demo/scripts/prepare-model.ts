/**
 * Produces model/ (committed): a trained MNISTNet folder (default ../../packages/deploy/.cache/mnistnet,
 * made by `pnpm --filter @cnn/deploy exec tsx scripts/train-mnist.ts`), optimised for inference (dropout
 * removed, so only core tfjs layers remain and the browser needs no custom classes) and saved with
 * float16 weights.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import '@cnn/models';
import { loadModelFiles, optimizeForInference, saveModelFiles } from '@cnn/deploy';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const { values } = parseArgs({
  args: args[0] === '--' ? args.slice(1) : args,
  options: { from: { type: 'string', default: path.join(root, '../../packages/deploy/.cache/mnistnet') } },
});
const model = optimizeForInference(await loadModelFiles(values.from!), { name: 'mnistnet_web' });
const saved = await saveModelFiles(model, path.join(root, 'model'), { quantization: 'float16' });
console.log(`model/ written: ${saved.shards.join(', ')} (${saved.weightBytes} weight bytes, float16)`);
