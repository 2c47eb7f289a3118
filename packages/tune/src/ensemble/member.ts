// One ensemble member: its definition, the fit options every member shares, and the training of one
// member — used by the local trainEnsemble (train.ts) and by a queue worker's member script (queue.ts).
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelEnsemble, Voting } from '@cnn/models';
import { Adam, evaluate, fit, type BatchSource, type FitOptions, type History, type Optimizer } from '@cnn/train';
import { TuneError } from '../errors.js';
import type { QueueConnection } from '../queue/connection.js';

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
export type MemberFitOptions = Omit<FitOptions, 'train' | 'validation' | 'test' | 'optimizer' | 'initialEpoch' | 'resume' | 'resumeIfMissing'>;

/** Options of {@link trainEnsemble} (members trained here, one after another). */
export interface TrainEnsembleOptions extends MemberFitOptions {
  /** The members (different architectures and/or seeds). */
  members: EnsembleMemberSpec[];
  /**
   * Data for a member: its training batches (shuffled with `seed`), the validation batches its score
   * (`val_accuracy`) is measured on, and optionally test batches (reported per epoch as `test_*`, never used to
   * score). Make the validation set with `randomSplit(trainSet, [0.9, 0.1])` from `@cnn/data`.
   */
  data: (seed: number) => MemberData;
  /** Voting of the returned ensemble. Default `'soft'`. */
  voting?: Voting;
}

/** Options of {@link trainEnsemble} with the members trained as jobs on a queue by `cnn worker`s. */
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

/** The batches of one member (see {@link TrainEnsembleOptions.data}). */
export interface MemberData {
  /** Training batches. */
  train: BatchSource;
  /** Validation batches: the member's `val_loss` / `val_accuracy` (its score). */
  validation: BatchSource;
  /** Test batches: per-epoch `test_loss` / `test_accuracy`, reporting only. */
  test?: BatchSource;
}

/** Result of {@link trainEnsemble}. */
export interface TrainEnsembleResult {
  /** The trained members combined (dispose it when done). */
  ensemble: ModelEnsemble;
  /** Per member: name, seed, history and final validation accuracy (0–1). */
  members: { name: string; seed: number; history: History; val_accuracy: number }[];
}

/** One member trained: the model, its history and final validation accuracy. */
export interface TrainedMember {
  /** The trained member. */
  model: tfl.LayersModel;
  /** `fit`'s history. */
  history: History;
  /** The final model's accuracy on the member's validation batches (0–1). */
  val_accuracy: number;
}

/**
 * A member's batches, checked: a validation set is required (the member's score), a test set alone is refused.
 * @throws TuneError `ERR_CNN_SELECT_ON_TEST` / `ERR_CNN_TUNE_OPTION`.
 */
function memberData(data: TrainEnsembleOptions['data'], spec: EnsembleMemberSpec): MemberData {
  const d = data(spec.seed) as Partial<MemberData> | undefined;
  if (!d?.train) throw new TuneError(`trainEnsemble: data(${spec.seed}) for member '${spec.name}' must return {train, validation, test?}`);
  if (!d.validation) {
    if (d.test)
      throw new TuneError(
        `trainEnsemble: data(${spec.seed}) for member '${spec.name}' has test batches but no validation batches; members are scored on validation, never on the test set: split the training data (randomSplit from @cnn/data) and pass {train, validation, test}`,
        { code: 'ERR_CNN_SELECT_ON_TEST' },
      );
    throw new TuneError(`trainEnsemble: data(${spec.seed}) for member '${spec.name}' has no validation batches`);
  }
  return d as MemberData;
}

/**
 * Builds and trains one member (the body of {@link trainEnsemble}'s loop, shared with
 * `serveEnsembleMember`, so a member trained on a queue worker is the one a local run trains).
 * @throws TuneError `ERR_CNN_SELECT_ON_TEST` when `data` gives test batches but no validation batches (a member
 *   is scored on validation, never on the test set); as `fit`. The model is disposed on error.
 */
export async function trainMember(spec: EnsembleMemberSpec, data: TrainEnsembleOptions['data'], fitOpts: MemberFitOptions): Promise<TrainedMember> {
  const model = spec.build(spec.seed);
  const optimizer = spec.optimizer?.() ?? new Adam({ lr: 1e-3 });
  try {
    const { train, validation, test } = memberData(data, spec);
    const history = await fit(model, { ...fitOpts, train, validation, ...(test ? { test } : {}), optimizer });
    const last = history.at(-1);
    // the member's score is its accuracy on the validation batches (fit reports them as val_accuracy)
    const reported = last !== undefined && last.evaluated !== false ? last.val_accuracy : undefined;
    const val_accuracy = reported ?? (await evaluate(model, memberData(data, spec).validation)).accuracy;
    return { model, history, val_accuracy };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}
