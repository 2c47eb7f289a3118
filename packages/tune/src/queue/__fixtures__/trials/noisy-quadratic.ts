// A trial for the queue tests: a known objective (best at lr = 1e-2, batchSize != 128, more budget is better)
// plus a small seed-dependent term (so the best config matches another run only with the same seeds), one
// "epoch" per TRIAL_EPOCH_MS with ctx.progress, an epoch checkpoint in ctx.artifactsDir (a re-run resumes),
// and a line per start ("start <id> <from epoch> <pid>") and finish ("done <id>") in RUNS_LOG.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { serveTrial } from '../../../trial/serve.js';

serveTrial(async (config, ctx) => {
  const ckpt = ctx.artifactsDir ? path.join(ctx.artifactsDir, 'epoch.json') : undefined;
  const from = ckpt && existsSync(ckpt) ? (JSON.parse(readFileSync(ckpt, 'utf8')) as { epoch: number }).epoch : 0;
  if (process.env.RUNS_LOG) appendFileSync(process.env.RUNS_LOG, `start ${ctx.trialId} ${from} ${process.pid}\n`);
  const objective = (epoch: number): number =>
    1 - (Math.log10(Number(config.lr)) + 2) ** 2 / 10 + 0.01 * epoch - (config.batchSize === 128 ? 0.05 : 0) + 1e-4 * (ctx.seed % 97);
  for (let e = from + 1; e <= ctx.budget; e++) {
    await new Promise((r) => setTimeout(r, Number(process.env.TRIAL_EPOCH_MS ?? 0)));
    if (ckpt) writeFileSync(ckpt, JSON.stringify({ epoch: e }));
    ctx.progress(e, { val_accuracy: objective(e) });
  }
  if (process.env.RUNS_LOG) appendFileSync(process.env.RUNS_LOG, `done ${ctx.trialId}\n`);
  ctx.log(`trained epochs ${from + 1}..${ctx.budget}`);
  return { val_accuracy: objective(ctx.budget), seed: ctx.seed };
});
