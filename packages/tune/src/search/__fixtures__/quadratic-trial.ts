// A trial worker for the search tests: a known objective (best at lr = 1e-2, batchSize != 128, more budget
// is better), an optional delay (TRIAL_SLEEP_MS) and a log of every completed run (RUNS_LOG).
import { appendFileSync } from 'node:fs';
import { serveTrial } from '../../trial/serve.js';

serveTrial(async (config, ctx) => {
  await new Promise((r) => setTimeout(r, Number(process.env.TRIAL_SLEEP_MS ?? 0)));
  if (config.optimizer === 'fail') throw new Error('boom: this optimizer always fails');
  const val_accuracy = 1 - (Math.log10(Number(config.lr)) + 2) ** 2 / 10 + 0.01 * ctx.budget - (config.batchSize === 128 ? 0.05 : 0);
  if (process.env.RUNS_LOG) appendFileSync(process.env.RUNS_LOG, `${ctx.trialId}\n`);
  ctx.log(`trained ${ctx.budget} epoch(s)`);
  return { val_accuracy, val_loss: 1 - val_accuracy };
});
