import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelEnsemble } from '@cnn/models';
import { trainMember, type EnsembleMemberSpec, type TrainEnsembleOptions, type TrainEnsembleQueueOptions, type TrainEnsembleResult } from './member.js';
import { trainEnsembleOnQueue } from './queue.js';
import { TuneError } from '../errors.js';

/**
 * Trains the members one after another with `@cnn/train`'s `fit` (the chapter's
 * `for model in models: train(model)`), then returns them as a {@link ModelEnsemble}. Evaluate the ensemble
 * against its members with `ensemble.evaluate(testBatches)`.
 *
 * With `queue` ({@link TrainEnsembleQueueOptions}) the members become jobs on a cnn-tune queue, trained in
 * parallel by `cnn worker`s on any machines with the member script `trial`
 * (`serveEnsembleMember`); their weights come back through Redis and are loaded here. For the same
 * definitions and seeds the ensemble is the one a local run trains (same weights, same accuracy).
 * @throws TuneError when `members` is empty or names repeat, or as `fit`; members trained so far are disposed
 *   on error. With `queue`: when Redis is unreachable (naming the URL) or a member's job fails (its reason).
 */
export async function trainEnsemble(opts: TrainEnsembleOptions | TrainEnsembleQueueOptions): Promise<TrainEnsembleResult> {
  const specs = opts.members;
  if (!Array.isArray(specs) || specs.length === 0) throw new TuneError('trainEnsemble: members must be a non-empty array', { code: 'ERR_CNN_TUNE_OPTION' });
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new TuneError(`trainEnsemble: duplicate member name '${dup}'`, { code: 'ERR_CNN_TUNE_OPTION' });
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
