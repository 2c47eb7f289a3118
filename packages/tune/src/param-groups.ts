import type * as tfl from '@tensorflow/tfjs-layers';
import { modelStages } from '@cnn/models';
import type { Optimizer, ParamGroup } from '@cnn/train';
import { TuneError } from './errors.js';

// `ParamGroupOptimizer` and its types live in `@cnn/train`; re-exported here so `@cnn/tune` imports keep working.
export { ParamGroupOptimizer, type ParamGroup, type ParamMatcher, type ParamGroupOptimizerOptions } from '@cnn/train';

/** Options of {@link stageParamGroups}. */
export interface StageParamGroupsOptions {
  /** Learning rate of the head (the last stage). */
  lr: number;
  /** Factor per stage going down from the head: stage `s` of `n` gets `lr · decay^(n-1-s)`. Default `0.1`. */
  decay?: number;
  /** Builds a group's inner optimizer for its lr, e.g. `(lr) => new Adam({lr})`. */
  optimizer: (lr: number) => Optimizer;
}

/**
 * Discriminative learning rates by stage ({@link modelStages}: e.g. ResNet stem, layer1 … layer4, head):
 * one {@link ParamGroup} per stage, the head with `lr`, each stage below with `decay` times the one above
 * (ULMFiT's "discriminative fine-tuning"). Parameters are named as `@cnn/train`'s `trainableVariables`.
 * @returns groups for `@cnn/train`'s `new ParamGroupOptimizer(groups)`.
 * @throws TuneError when `lr` is not > 0 or `decay` is not in (0, 1].
 */
export function stageParamGroups(model: tfl.LayersModel, opts: StageParamGroupsOptions): ParamGroup[] {
  if (!(opts.lr > 0)) throw new TuneError(`stageParamGroups: lr must be > 0. Received: lr=${opts.lr}`, { code: 'ERR_CNN_TUNE_OPTION' });
  const decay = opts.decay ?? 0.1;
  if (!(decay > 0 && decay <= 1))
    throw new TuneError(`stageParamGroups: decay must be in (0, 1]. Received: decay=${opts.decay}`, { code: 'ERR_CNN_TUNE_OPTION' });
  const stages = modelStages(model).filter((s) => s.layers.some((n) => model.getLayer(n).weights.length > 0));
  return stages.map((s, i) => {
    const names = s.layers.flatMap((n) => model.getLayer(n).weights.map((w) => w.originalName));
    return { name: s.name, params: names, optimizer: opts.optimizer(opts.lr * decay ** (stages.length - 1 - i)) };
  });
}
