import type * as tf from '@tensorflow/tfjs-core';
import { Optimizer, type OptimizerState } from './optimizer.js';
import { TrainError } from '../errors.js';

/** Which parameters (by `@cnn/train`'s variable name `layer/weight`, e.g. `layer4.1.conv2/kernel`) a group holds. */
export type ParamMatcher = string[] | RegExp | ((name: string) => boolean);

/** One parameter group of a {@link ParamGroupOptimizer}. */
export interface ParamGroup {
  /** Group name for messages and `getState` (default `group<i>`). */
  name?: string;
  /** The group's parameters. A parameter belongs to the first group that matches it. */
  params: ParamMatcher;
  /** The inner optimizer that updates them, with the group's learning rate, e.g. `new Adam({lr: 1e-4})`. */
  optimizer: Optimizer;
}

/** Options of {@link ParamGroupOptimizer}. */
export interface ParamGroupOptimizerOptions {
  /**
   * The reference learning rate reported as `lr` (default: the largest group lr). Setting `lr` (e.g. from
   * an LR scheduler) sets every group to `lr · groupLr₀ / baseLr₀`, keeping the ratios, as PyTorch's
   * schedulers do with `param_groups`.
   */
  baseLr?: number;
}

function matcher(m: ParamMatcher): (name: string) => boolean {
  if (Array.isArray(m)) {
    const set = new Set(m);
    return (n) => set.has(n);
  }
  if (m instanceof RegExp) return (n) => m.test(n);
  if (typeof m === 'function') return m;
  throw new TrainError('ParamGroupOptimizer: params must be an array of names, a RegExp or a predicate', { code: 'ERR_CNN_INVALID_OPTION' });
}

const GROUP_KEY = (i: number): string => `__group${i}__`;

/**
 * PyTorch's `param_groups` for `@cnn/train`: `torch.optim.SGD([{'params': biases, 'lr': 0.64, 'weight_decay':
 * 5e-6}, {'params': rest, 'lr': 0.01, 'weight_decay': 3e-4}], momentum=0.85, nesterov=True)` is
 *
 * ```ts
 * new ParamGroupOptimizer([
 *   { name: 'norm-biases', params: /^bn.*\/beta$/, optimizer: new SGD({ lr: 0.64, weightDecay: 5e-6, momentum: 0.85, nesterov: true }) },
 *   { name: 'rest', params: () => true, optimizer: new SGD({ lr: 0.01, weightDecay: 3e-4, momentum: 0.85, nesterov: true }) },
 * ]);
 * ```
 *
 * An {@link Optimizer} that hands each group's gradients to the group's inner optimizer, so every group has its
 * own learning rate, weight decay, momentum — or even another optimizer class (discriminative fine-tuning). Works
 * wherever `@cnn/train` takes an optimizer (`fit`, `trainStep`, schedulers, checkpoints).
 *
 * Learning rate: `lr` is the base rate (default the largest group rate). Setting it — as every `@cnn/train`
 * scheduler does on each step — sets each group to `lr · groupLr₀ / baseLr₀`, so the group ratios are kept, as a
 * PyTorch scheduler scales each `param_group['lr']` by the same factor (e.g. `LambdaLR`: `initial_lr_g · λ(t)`; the
 * results agree up to the double-precision rounding of the product). Weight decay and the other hyperparameters
 * of a group stay fixed (PyTorch's schedulers change only `lr`).
 *
 * Groups with no gradient in a step (e.g. frozen layers) are not stepped, so their inner step counters
 * (Adam's bias correction) count only their own updates.
 *
 * Reference: PyTorch `torch.optim.Optimizer` "per-parameter options" (`param_groups`).
 */
export class ParamGroupOptimizer extends Optimizer {
  /** State type. */
  readonly type = 'ParamGroups';
  /** The groups (name, inner optimizer, lr ratio to the base). */
  readonly groups: {
    /** The group's name. */
    name: string;
    /** The inner optimizer that updates this group's parameters. */
    optimizer: Optimizer;
    /** This group's learning rate over the base one. */
    scale: number;
    /** Whether the parameter (variable) named `name` belongs to this group. */
    match: (name: string) => boolean;
  }[];
  private base: number;
  private steps = 0;
  private readonly assignment = new Map<string, number>();

  /**
   * @throws TrainError when `groups` is empty, a group has no optimizer, names repeat, or the base lr is not > 0.
   */
  constructor(groups: ParamGroup[], opts: ParamGroupOptimizerOptions = {}) {
    if (!Array.isArray(groups) || groups.length === 0)
      throw new TrainError('ParamGroupOptimizer: groups must be a non-empty array', { code: 'ERR_CNN_INVALID_OPTION' });
    groups.forEach((g, i) => {
      if (!(g?.optimizer instanceof Optimizer))
        throw new TrainError(`ParamGroupOptimizer: group ${g?.name ?? i} needs an optimizer (e.g. new Adam({lr}))`, { code: 'ERR_CNN_INVALID_OPTION' });
    });
    const base = opts.baseLr ?? Math.max(...groups.map((g) => g.optimizer.lr));
    if (!(Number.isFinite(base) && base > 0))
      throw new TrainError(`ParamGroupOptimizer: baseLr must be > 0. Received: baseLr=${base}`, { code: 'ERR_CNN_INVALID_OPTION' });
    super(base);
    this.base = base;
    const names = groups.map((g, i) => g.name ?? `group${i}`);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new TrainError(`ParamGroupOptimizer: duplicate group name '${dup}'`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.groups = groups.map((g, i) => ({ name: names[i], optimizer: g.optimizer, scale: g.optimizer.lr / base, match: matcher(g.params) }));
  }

  /** The base learning rate; setting it rescales every group (see {@link ParamGroupOptimizerOptions.baseLr}). */
  override get lr(): number {
    return this.base;
  }

  override set lr(value: number) {
    if (!(Number.isFinite(value) && value >= 0))
      throw new TrainError(`ParamGroupOptimizer: lr must be a finite number >= 0. Received: lr=${value}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.base = value;
    for (const g of this.groups) g.optimizer.lr = value * g.scale;
  }

  /** Completed `step()` calls. */
  override get iterations(): number {
    return this.steps;
  }

  /** Index of the group a parameter belongs to. @throws TrainError when no group matches it. */
  groupOf(name: string): number {
    let i = this.assignment.get(name);
    if (i === undefined) {
      i = this.groups.findIndex((g) => g.match(name));
      if (i < 0)
        throw new TrainError(
          `ParamGroupOptimizer: parameter '${name}' is in no group (groups: ${this.groups.map((g) => g.name).join(', ')}); add a catch-all group, e.g. params: /.*/`,
          { code: 'ERR_CNN_INVALID_OPTION' },
        );
      this.assignment.set(name, i);
    }
    return i;
  }

  /**
   * Splits `grads`/`vars` by group and calls each inner optimizer's `step` with its share.
   * @throws TrainError when a gradient's parameter is in no group (nothing is updated then), or as the inner step.
   */
  override step(grads: Record<string, tf.Tensor>, vars: Record<string, tf.Variable>): void {
    const parts = this.groups.map(() => ({ grads: {} as Record<string, tf.Tensor>, vars: {} as Record<string, tf.Variable> }));
    for (const [name, g] of Object.entries(grads)) {
      const p = parts[this.groupOf(name)];
      p.grads[name] = g;
      if (vars[name]) p.vars[name] = vars[name];
    }
    this.steps += 1;
    parts.forEach((p, i) => {
      if (Object.keys(p.grads).length > 0) this.groups[i].optimizer.step(p.grads, p.vars);
    });
  }

  protected update(): tf.Tensor {
    throw new TrainError('ParamGroupOptimizer.update: not used (step delegates to the inner optimizers)', { code: 'ERR_CNN_INVALID_OPTION' });
  }

  /**
   * The inner optimizers' slots merged by parameter name, plus one pseudo-entry per group
   * (`__group<i>__`: `step`, the inner step counter).
   */
  override getState(): OptimizerState {
    return this.merge(this.groups.map((g) => g.optimizer.getState()));
  }

  /** {@link ParamGroupOptimizer.getState} with asynchronous reads (each inner optimizer's `readState`). */
  override async readState(): Promise<OptimizerState> {
    const steps = this.steps;
    const base = this.base;
    return this.merge(await Promise.all(this.groups.map((g) => g.optimizer.readState())), steps, base);
  }

  private merge(states: OptimizerState[], steps = this.steps, base = this.base): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    states.forEach((s, i) => {
      Object.assign(slots, s.slots);
      slots[GROUP_KEY(i)] = { step: { shape: [1], values: Float32Array.of(s.step) } };
    });
    return { type: this.type, step: steps, lr: base, slots };
  }

  /**
   * Restores a state from {@link ParamGroupOptimizer.getState} of an optimizer with the same groups.
   * @throws TrainError when the type or the number of groups differs.
   */
  override setState(state: OptimizerState): void {
    if (state.type !== this.type)
      throw new TrainError(`ParamGroupOptimizer.setState: state is for '${state.type}', expected '${this.type}'`, { code: 'ERR_CNN_BAD_STATE' });
    const perGroup = this.groups.map(() => ({}) as OptimizerState['slots']);
    for (const [name, s] of Object.entries(state.slots)) {
      if (/^__group\d+__$/.test(name)) continue;
      perGroup[this.groupOf(name)][name] = s;
    }
    const n = Object.keys(state.slots).filter((k) => /^__group\d+__$/.test(k)).length;
    if (n !== this.groups.length)
      throw new TrainError(`ParamGroupOptimizer.setState: state has ${n} groups, this optimizer ${this.groups.length}`, { code: 'ERR_CNN_BAD_STATE' });
    this.groups.forEach((g, i) => {
      const step = state.slots[GROUP_KEY(i)].step.values[0];
      g.optimizer.setState({ type: g.optimizer.type, step, lr: state.lr * g.scale, slots: perGroup[i] });
    });
    this.steps = state.step;
    this.lr = state.lr;
  }

  /** Disposes the inner optimizers' slots. */
  override dispose(): void {
    for (const g of this.groups) g.optimizer.dispose();
  }
}
