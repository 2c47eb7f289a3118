import { createHash } from 'node:crypto';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelEnsemble } from '@cnn/models';
import { LambdaCallback, type History } from '@cnn/train';
import { MIN_POLL_MS, QueueClient, type FinishedJob } from '../queue/client.js';
import { TRIAL_NAME_RE, type MemberJobData } from '../queue/payload.js';
import { serveOnce } from '../trial/serve.js';
import { decodeModel, encodeModel, type EncodedModel } from './codec.js';
import {
  trainMember,
  type EnsembleMemberSpec,
  type MemberFitOptions,
  type TrainEnsembleOptions,
  type TrainEnsembleQueueOptions,
  type TrainEnsembleResult,
} from './member.js';
import { TuneError } from '../errors.js';

/** Parent → member script message (sent by a queue worker). */
export interface MemberRunMessage {
  type: 'member';
  name: string;
  seed: number;
  epochs: number;
  artifactsDir?: string;
}

/** What a member script returns: the history, final validation accuracy (0–1) and the trained model. */
export interface MemberResult {
  /** The member's `fit` history. */
  history: History;
  /** The trained member's accuracy on its validation batches (0–1). */
  val_accuracy: number;
  /** The trained member. */
  model: EncodedModel;
}

/** Options of {@link serveEnsembleMember}: the member definitions and data of a local `trainEnsemble` call, and its fit options. */
export interface ServeEnsembleMemberOptions extends Omit<MemberFitOptions, 'epochs'> {
  /** The members this script can train (a job names one and gives its seed). */
  members: EnsembleMemberSpec[];
  /** Data for a member (as `trainEnsemble`'s `data`). */
  data: TrainEnsembleOptions['data'];
}

/**
 * Turns the current module into an ensemble member script for `trainEnsemble({queue, trial})`: a queue
 * worker runs it (from its `--trial-dir`) in a child process per member job; it trains the named member
 * with its seed and the job's epochs through the same code as a local `trainEnsemble` (`trainMember`), and
 * sends back the history, validation accuracy and weights. Each epoch is reported as the job's progress. Give it
 * the same `members`, `data` and fit options as the local run to get the same ensemble.
 * @throws TuneError (the job fails with it) when the job names a member the script does not have.
 */
export function serveEnsembleMember(opts: ServeEnsembleMemberOptions): void {
  serveOnce<MemberRunMessage>('serveEnsembleMember', 'member', async (m, send) => {
    const { members, data, ...fitOpts } = opts;
    const spec = members.find((s) => s.name === m.name);
    if (!spec)
      throw new TuneError(`serveEnsembleMember: no member named '${m.name}'; this script has ${members.map((s) => `'${s.name}'`).join(', ')}`, {
        code: 'ERR_CNN_ENSEMBLE',
      });
    const r = await trainMember({ ...spec, seed: m.seed }, data, {
      progress: 'none',
      ...fitOpts,
      epochs: m.epochs,
      log: (line) => void send({ type: 'log', line }),
      callbacks: [
        ...(fitOpts.callbacks ?? []),
        // each epoch's logs (loss, accuracy, val_loss, val_accuracy when evaluated) as the job's progress
        new LambdaCallback(
          {
            onEpochEnd: (epoch, logs) => {
              const metrics: Record<string, number> = {};
              for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
                const v = logs?.[k];
                if (typeof v === 'number') metrics[k] = v;
              }
              void send({ type: 'progress', epoch, metrics });
            },
          },
          { stateKey: 'QueueProgress' },
        ),
      ],
    });
    try {
      return { history: r.history, val_accuracy: r.val_accuracy, model: await encodeModel(r.model) } satisfies MemberResult;
    } finally {
      r.model.dispose();
    }
  });
}

/** Job id of an ensemble member: `m-` and 16 hex digits of SHA-1 over (script, name, seed, epochs). */
export function memberJobId(trial: string, name: string, seed: number, epochs: number): string {
  return `m-${createHash('sha1')
    .update(JSON.stringify([trial, name, seed, epochs]))
    .digest('hex')
    .slice(0, 16)}`;
}

/** `trainEnsemble` with `queue`: see {@link trainEnsemble}. @internal */
export async function trainEnsembleOnQueue(opts: TrainEnsembleQueueOptions): Promise<TrainEnsembleResult> {
  const log = opts.log ?? console.log;
  if (typeof opts.trial !== 'string' || !TRIAL_NAME_RE.test(opts.trial))
    throw new TuneError(
      `trainEnsemble: trial must be the member script's name in the workers' --trial-dir (letters, digits, '_', '.', '-'). Received: trial=${JSON.stringify(opts.trial)}`,
      { code: 'ERR_CNN_TUNE_OPTION' },
    );
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1)
    throw new TuneError(`trainEnsemble: epochs must be an integer >= 1. Received: epochs=${opts.epochs}`, { code: 'ERR_CNN_TUNE_OPTION' });
  if (opts.pollMs !== undefined && !(Number.isInteger(opts.pollMs) && opts.pollMs >= MIN_POLL_MS))
    throw new TuneError(`trainEnsemble: pollMs must be an integer >= ${MIN_POLL_MS}. Received: pollMs=${opts.pollMs}`);
  if (opts.timeoutS !== undefined && !(Number.isFinite(opts.timeoutS) && opts.timeoutS > 0))
    throw new TuneError(`trainEnsemble: timeoutS must be a number of seconds > 0. Received: timeoutS=${opts.timeoutS}`);
  for (const m of opts.members) {
    if (!Number.isInteger(m.seed) || m.seed < 0)
      throw new TuneError(`trainEnsemble: member '${m.name}' seed must be an integer >= 0. Received: seed=${m.seed}`, { code: 'ERR_CNN_TUNE_OPTION' });
  }
  const jobs = opts.members.map((m) => {
    const data: MemberJobData = {
      v: 1,
      kind: 'member',
      trial: opts.trial,
      name: m.name,
      seed: m.seed,
      epochs: opts.epochs,
      ...(opts.timeoutS ? { timeoutS: opts.timeoutS } : {}),
    };
    return { id: memberJobId(opts.trial, m.name, m.seed, opts.epochs), data };
  });
  const client = await QueueClient.open(opts.queue, log);
  const finished = new Map<string, FinishedJob>();
  try {
    log(`Ensemble: ${jobs.length} member job(s) of '${opts.trial}' submitted (${opts.epochs} epochs each)`);
    await client.runJobs(jobs, {
      pollMs: opts.pollMs,
      onFinished: (f) => {
        finished.set(f.id, f);
        const m = opts.members[jobs.findIndex((j) => j.id === f.id)];
        log(
          f.ok
            ? `Member '${m.name}' done on ${f.worker ?? '?'}: validation accuracy ${((f.value as { value: MemberResult }).value.val_accuracy * 100).toFixed(2)} %`
            : `Member '${m.name}' failed on ${f.worker ?? '?'}: ${f.error}`,
        );
      },
      onProgress: (id, p, worker) =>
        log(
          `  [${opts.members[jobs.findIndex((j) => j.id === id)].name}] epoch ${String(p.epoch)}/${opts.epochs}: val acc ${typeof p.val_accuracy === 'number' ? (p.val_accuracy * 100).toFixed(2) : '?'} % (${worker ?? '?'})`,
        ),
    });
  } finally {
    await client.close();
  }
  const failed = jobs.map((j, i) => [opts.members[i], finished.get(j.id)!] as const).filter(([, f]) => !f.ok);
  if (failed.length)
    throw new TuneError(`trainEnsemble: ${failed.map(([m, f]) => `member '${m.name}' failed on ${f.worker ?? '?'}: ${f.error}`).join('; ')}`, {
      code: 'ERR_CNN_ENSEMBLE',
    });
  const models: tfl.LayersModel[] = [];
  const members: TrainEnsembleResult['members'] = [];
  try {
    for (const [i, j] of jobs.entries()) {
      const r = (finished.get(j.id)!.value as { value: MemberResult }).value;
      models.push(await decodeModel(r.model));
      members.push({ name: opts.members[i].name, seed: opts.members[i].seed, history: r.history, val_accuracy: r.val_accuracy });
    }
  } catch (err) {
    for (const m of models) m.dispose();
    throw new TuneError(`trainEnsemble: cannot load a member's weights from the queue: ${(err as Error).message}`, { code: 'ERR_CNN_ENSEMBLE', cause: err });
  }
  return { ensemble: new ModelEnsemble(models, { voting: opts.voting, names: opts.members.map((m) => m.name) }), members };
}
