// One ensemble member: its definition, the fit options every member shares, and the training of one
// member — used by the local trainEnsemble (train.ts) and by a queue worker's member script (queue.ts).
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelEnsemble, Voting } from '@cnn/models';
import { Adam, evaluate, fit, type BatchSource, type FitOptions, type History, type Optimizer } from '@cnn/train';
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
