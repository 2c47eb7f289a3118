import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelEnsemble, type Voting } from '@cnn/models';
import { Adam, evaluate, fit, type BatchSource, type FitOptions, type History, type Optimizer } from '@cnn/train';

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

/** Options of {@link trainEnsemble}. */
export interface TrainEnsembleOptions extends Omit<FitOptions, 'train' | 'test' | 'optimizer' | 'initialEpoch' | 'resume' | 'resumeIfMissing'> {
  /** The members (different architectures and/or seeds). */
  members: EnsembleMemberSpec[];
  /** Data for a member: its training batches (shuffled with `seed`) and the test batches. */
  data: (seed: number) => { train: BatchSource; test: BatchSource };
  /** Voting of the returned ensemble. Default `'soft'`. */
  voting?: Voting;
}

/** Result of {@link trainEnsemble}. */
export interface TrainEnsembleResult {
  /** The trained members combined (dispose it when done). */
  ensemble: ModelEnsemble;
  /** Per member: name, seed, history and final test accuracy (0–1). */
  members: { name: string; seed: number; history: History; val_accuracy: number }[];
}

/**
 * Trains the members one after another with `@cnn/train`'s `fit` (the chapter's
 * `for model in models: train(model)`), then returns them as a {@link ModelEnsemble}. Evaluate the ensemble
 * against its members with `ensemble.evaluate(testBatches)`.
 * @throws Error when `members` is empty or names repeat, or as `fit`; members trained so far are disposed
 *   on error.
 */
export async function trainEnsemble(opts: TrainEnsembleOptions): Promise<TrainEnsembleResult> {
  const { members: specs, data, voting, ...fitRest } = opts;
  if (!Array.isArray(specs) || specs.length === 0) throw new Error('trainEnsemble: members must be a non-empty array');
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`trainEnsemble: duplicate member name '${dup}'`);
  const log = opts.log ?? console.log;
  const models: tfl.LayersModel[] = [];
  const members: TrainEnsembleResult['members'] = [];
  try {
    for (const spec of specs) {
      log(`Member '${spec.name}' (seed ${spec.seed})`);
      const model = spec.build(spec.seed);
      models.push(model);
      const optimizer = spec.optimizer?.() ?? new Adam({ lr: 1e-3 });
      const { train, test } = data(spec.seed);
      try {
        const history = await fit(model, { ...fitRest, train, test, optimizer });
        const val_accuracy = history.length ? history[history.length - 1].val_accuracy : (await evaluate(model, data(spec.seed).test)).accuracy;
        members.push({ name: spec.name, seed: spec.seed, history, val_accuracy });
      } finally {
        optimizer.dispose();
      }
    }
  } catch (err) {
    for (const m of models) m.dispose();
    throw err;
  }
  return { ensemble: new ModelEnsemble(models, { voting, names }), members };
}
