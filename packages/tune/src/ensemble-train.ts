import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelEnsemble, type Voting } from '@cnn/models';
import { Adam, evaluate, fit, type BatchSource, type FitOptions, type History, type Optimizer } from '@cnn/train';
import { trainEnsembleOnQueue } from './ensemble-queue';
import type { QueueConnection } from './queue/connection';

/** One member of {@link trainEnsemble}. */
export interface EnsembleMemberSpec {
  /** Member name (reports). */
  name: string;
  /** Builds the untrained model from the member's seed (e.g. `(seed) => getModel('resnet18-cifar', {seed})`). */
  build: (seed: number) => tfl.LayersModel;
  /** Seed of the member (weights, dropout, data order). */
  seed: number;
  /** Optimizer for this member. Default `new Adam({lr: 1e-3})`. */
  optimizer?: () => Optimizer;
}

/** Fit options of every member (those of `@cnn/train`'s `fit` except data, optimizer and resuming). */
export type MemberFitOptions = Omit<FitOptions, 'train' | 'test' | 'optimizer' | 'initialEpoch' | 'resume' | 'resumeIfMissing'>;

/** Options of {@link trainEnsemble} (members trained here, one after another). */
export interface TrainEnsembleOptions extends MemberFitOptions {
  /** The members (different architectures and/or seeds). */
  members: EnsembleMemberSpec[];
  /** Data for a member: its training batches (shuffled with `seed`) and the test batches. */
  data: (seed: number) => { train: BatchSource; test: BatchSource };
  /** Voting of the returned ensemble. Default `'soft'`. */
  voting?: Voting;
}

/** Options of {@link trainEnsemble} with the members trained as jobs on a queue by `cnn-tune worker`s. */
export interface TrainEnsembleQueueOptions {
  /** The queue (`redis://…` / `rediss://…` or {@link QueueConnectionOptions}). */
  queue: QueueConnection;
  /**
   * Name of the member script in the workers' `--trial-dir` (without extension); it calls
   * `serveEnsembleMember({members, data, ...fit})` with the same definitions a local run would use.
   */
  trial: string;
  /** The members to train, by name (one of the script's) and seed; {@link EnsembleMemberSpec}s do too. */
  members: { name: string; seed: number }[];
  /** Epochs of every member. */
  epochs: number;
  /** Voting of the returned ensemble. Default `'soft'`. */
  voting?: Voting;
  /** Kill a member's training after this many seconds (it then fails). Default: no limit. */
  timeoutS?: number;
  /** Milliseconds between status polls. Default `500`. */
  pollMs?: number;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
}

/** Result of {@link trainEnsemble}. */
export interface TrainEnsembleResult {
  /** The trained members combined (dispose it when done). */
  ensemble: ModelEnsemble;
  /** Per member: name, seed, history and final test accuracy (0–1). */
  members: { name: string; seed: number; history: History; val_accuracy: number }[];
}

/** One member trained: the model, its history and final test accuracy. */
export interface TrainedMember {
  /** The trained member. */
  model: tfl.LayersModel;
  /** `fit`'s history. */
  history: History;
  /** The final model's accuracy on the member's test batches (0–1). */
  val_accuracy: number;
}

/**
 * Builds and trains one member (the body of {@link trainEnsemble}'s loop, shared with
 * `serveEnsembleMember`, so a member trained on a queue worker is the one a local run trains).
 * @throws as `fit`; the model is disposed on error.
 */
export async function trainMember(spec: EnsembleMemberSpec, data: TrainEnsembleOptions['data'], fitOpts: MemberFitOptions): Promise<TrainedMember> {
  const model = spec.build(spec.seed);
  const optimizer = spec.optimizer?.() ?? new Adam({ lr: 1e-3 });
  try {
    const { train, test } = data(spec.seed);
    const history = await fit(model, { ...fitOpts, train, test, optimizer });
    const last = history.at(-1);
    // the member's score is its accuracy on the data's `test` batches (fit reports them as test_accuracy)
    const reported = last !== undefined && last.evaluated !== false ? last.test_accuracy : undefined;
    const val_accuracy = reported ?? (await evaluate(model, data(spec.seed).test)).accuracy;
    return { model, history, val_accuracy };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}

/**
 * Trains the members one after another with `@cnn/train`'s `fit` (the chapter's
 * `for model in models: train(model)`), then returns them as a {@link ModelEnsemble}. Evaluate the ensemble
 * against its members with `ensemble.evaluate(testBatches)`.
 *
 * With `queue` ({@link TrainEnsembleQueueOptions}) the members become jobs on a cnn-tune queue, trained in
 * parallel by `cnn-tune worker`s on any machines with the member script `trial`
 * (`serveEnsembleMember`); their weights come back through Redis and are loaded here. For the same
 * definitions and seeds the ensemble is the one a local run trains (same weights, same accuracy).
 * @throws Error when `members` is empty or names repeat, or as `fit`; members trained so far are disposed
 *   on error. With `queue`: when Redis is unreachable (naming the URL) or a member's job fails (its reason).
 */
export async function trainEnsemble(opts: TrainEnsembleOptions | TrainEnsembleQueueOptions): Promise<TrainEnsembleResult> {
  const specs = opts.members;
  if (!Array.isArray(specs) || specs.length === 0) throw new Error('trainEnsemble: members must be a non-empty array');
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`trainEnsemble: duplicate member name '${dup}'`);
  if ('queue' in opts && opts.queue !== undefined) {
    return trainEnsembleOnQueue(opts);
  }
  const { members: _m, data, voting, ...fitRest } = opts as TrainEnsembleOptions;
  const log = fitRest.log ?? console.log;
  const models: tfl.LayersModel[] = [];
  const members: TrainEnsembleResult['members'] = [];
  try {
    for (const spec of specs as EnsembleMemberSpec[]) {
      log(`Member '${spec.name}' (seed ${spec.seed})`);
      const r = await trainMember(spec, data, fitRest);
      models.push(r.model);
      members.push({ name: spec.name, seed: spec.seed, history: r.history, val_accuracy: r.val_accuracy });
    }
  } catch (err) {
    for (const m of models) m.dispose();
    throw err;
  }
  return { ensemble: new ModelEnsemble(models, { voting, names }), members };
}
