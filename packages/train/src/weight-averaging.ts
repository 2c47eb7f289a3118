import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedWeight } from './checkpoint.js';
import { EMA_UPDATE_KERNEL } from '@cnn/core';
import { TrainError } from './errors.js';

/**
 * Weight averaging for any tfjs-layers model: an exponential moving average of the weights ({@link ModelEma},
 * timm's `ModelEmaV2`) and Lookahead's slow weights ({@link Lookahead}, Zhang et al. 2019, as airbench uses
 * it). Both keep a float32 copy of ALL the model's float32 weights — trainable ones and non-trainable ones
 * such as batch-norm running statistics — keyed by the stable layer-scoped name (`conv1/kernel`), and update it
 * with {@link lerp} (torch.lerp's float32 formula, or the backend's {@link EMA_UPDATE_KERNEL}).
 *
 * @packageDocumentation
 */

/**
 * Name of the optional backend kernel of {@link lerp} (the contract; `@cnn/backend-onednn` may register it).
 * Inputs `avg` and `param` (float32, same shape); attr `weight` (a number, already rounded to float32);
 * outputs `[avg']` with `avg' = weight < 0.5 ? avg + weight·(param − avg) : param − (param − avg)·(1 − weight)`,
 * every operation rounded to float32 separately (no fused multiply-add), so the result is bit-identical to
 * the tf-op path.
 */
export { EMA_UPDATE_KERNEL };

/** Options of {@link lerp}. */
export interface LerpOptions {
  /**
   * Use the active backend's {@link EMA_UPDATE_KERNEL} when it registers one (identical results); `false`
   * forces the tf-op path. Default `true`.
   */
  fused?: boolean;
}

/**
 * `torch.lerp(start, end, weight)` with a scalar weight, in float32: `start + weight·(end − start)`, evaluated
 * as PyTorch's kernel does, `w < 0.5 ? start + w·(end − start) : end − (end − start)·(1 − w)` with
 * `w = fround(weight)` (exact at `w = 0` and `w = 1`), each operation rounded to float32. (Builds of
 * PyTorch whose compiler contracts this into fused multiply-adds, such as Debian's torch 1.13 on x86-64 and
 * CUDA, round once per branch instead and can differ by one float32 ulp.)
 *
 * Runs the backend kernel {@link EMA_UPDATE_KERNEL} when registered (and `opts.fused !== false`), else tf ops.
 *
 * @param start `[...shape]` float32 (PyTorch's `self`, e.g. the running average).
 * @param end `[...shape]` float32, the same shape (e.g. the current weights).
 * @param weight a finite number; `0` returns `start`, `1` returns `end`.
 * @returns a new float32 tensor of the same shape (the caller disposes it).
 * @throws TrainError when the shapes differ, a dtype is not float32, or `weight` is not finite ("Received: weight=…").
 */
export function lerp(start: tf.Tensor, end: tf.Tensor, weight: number, opts: LerpOptions = {}): tf.Tensor {
  if (!(typeof weight === 'number' && Number.isFinite(weight)))
    throw new TrainError(`lerp: weight must be a finite number. Received: weight=${weight}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (start.dtype !== 'float32' || end.dtype !== 'float32')
    throw new TrainError(`lerp: start and end must be float32, got ${start.dtype} and ${end.dtype}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!tf.util.arraysEqual(start.shape, end.shape))
    throw new TrainError(`lerp: start has shape [${start.shape}], end has [${end.shape}]; they must be equal`, { code: 'ERR_CNN_INVALID_OPTION' });
  const w = Math.fround(weight);
  if ((opts.fused ?? true) && tf.getKernel(EMA_UPDATE_KERNEL, tf.getBackend()) != null) {
    const out = tf.engine().runKernel(EMA_UPDATE_KERNEL, { avg: start, param: end }, { weight: w }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out[0] : out;
  }
  return tf.tidy(() => {
    const diff = tf.sub(end, start);
    return w < 0.5 ? tf.add(start, tf.mul(diff, tf.scalar(w))) : tf.sub(end, tf.mul(diff, tf.scalar(Math.fround(1 - w))));
  });
}

/** Serializable state of an averaged weight copy (for checkpoints). */
export interface AveragedWeightsState {
  /** Every averaged weight (float32 copies) in the model's weight order. */
  weights: NamedWeight[];
}

/** The model's float32 weights by stable name; throws on duplicates. */
function floatWeights(fn: string, model: tfl.LayersModel): Map<string, tfl.LayerVariable> {
  if (!model || !Array.isArray(model.weights)) throw new TrainError(`${fn}: model must be a tfjs-layers LayersModel`, { code: 'ERR_CNN_INVALID_OPTION' });
  const out = new Map<string, tfl.LayerVariable>();
  for (const w of model.weights) {
    if (w.dtype !== 'float32') continue;
    if (out.has(w.originalName))
      throw new TrainError(`${fn}: duplicate weight name '${w.originalName}' in model '${model.name}'`, { code: 'ERR_CNN_INVALID_OPTION' });
    out.set(w.originalName, w);
  }
  return out;
}

/**
 * A float32 copy of a model's weights that can be averaged toward the model and written back: the shared
 * machinery of {@link ModelEma} and {@link Lookahead}.
 */
class AveragedWeights {
  private readonly vars = new Map<string, tf.Variable>();

  constructor(
    private readonly owner: string,
    model: tfl.LayersModel,
  ) {
    for (const [name, w] of floatWeights(`${owner}`, model)) this.vars.set(name, tf.variable(w.read(), false));
  }

  get names(): string[] {
    return [...this.vars.keys()];
  }

  get(name: string): tf.Variable | undefined {
    return this.vars.get(name);
  }

  /** The model's weights paired with ours; throws naming the first mismatch. */
  private pairs(fn: string, model: tfl.LayersModel): Array<[tf.Variable, tfl.LayerVariable]> {
    if (this.vars.size === 0 && (model as { weights?: unknown })?.weights === undefined)
      throw new TrainError(`${this.owner}.${fn}: model must be a LayersModel`, { code: 'ERR_CNN_INVALID_OPTION' });
    const ws = floatWeights(`${this.owner}.${fn}`, model);
    const out: Array<[tf.Variable, tfl.LayerVariable]> = [];
    for (const [name, avg] of this.vars) {
      const w = ws.get(name);
      if (!w)
        throw new TrainError(`${this.owner}.${fn}: model '${model.name}' has no weight '${name}' (the average was built from another model?)`, {
          code: 'ERR_CNN_INVALID_OPTION',
        });
      if (!tf.util.arraysEqual(w.shape as number[], avg.shape))
        throw new TrainError(`${this.owner}.${fn}: weight '${name}' has shape [${w.shape}], the average [${avg.shape}]`, { code: 'ERR_CNN_INVALID_OPTION' });
      out.push([avg, w]);
    }
    if (ws.size !== this.vars.size) {
      const extra = [...ws.keys()].find((n) => !this.vars.has(n));
      throw new TrainError(`${this.owner}.${fn}: model '${model.name}' has weight '${extra}' that the average does not hold (built from another model?)`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    return out;
  }

  /** `avg ← lerp(avg, w, weight)` for every weight. */
  lerpToward(fn: string, model: tfl.LayersModel, weight: number, fused: boolean): void {
    for (const [avg, w] of this.pairs(fn, model)) {
      const next = lerp(avg, w.read(), weight, { fused });
      avg.assign(next);
      next.dispose();
    }
  }

  /** `w ← avg` for every weight. */
  writeTo(fn: string, model: tfl.LayersModel): void {
    for (const [avg, w] of this.pairs(fn, model)) w.write(avg);
  }

  /** `avg ← w` for every weight. */
  readFrom(fn: string, model: tfl.LayersModel): void {
    for (const [avg, w] of this.pairs(fn, model)) avg.assign(w.read());
  }

  /** Exchanges `avg` and `w` for every weight. */
  swap(fn: string, model: tfl.LayersModel): void {
    for (const [avg, w] of this.pairs(fn, model)) {
      const theta = tf.clone(w.read());
      w.write(avg);
      avg.assign(theta);
      theta.dispose();
    }
  }

  getState(): AveragedWeightsState {
    return {
      weights: [...this.vars].map(([name, v]) => ({ name, shape: v.shape.slice(), values: Float32Array.from(v.dataSync() as Float32Array) })),
    };
  }

  async readState(): Promise<AveragedWeightsState> {
    return {
      weights: await Promise.all(
        [...this.vars].map(async ([name, v]) => ({ name, shape: v.shape.slice(), values: Float32Array.from((await v.data()) as Float32Array) })),
      ),
    };
  }

  setState(fn: string, state: AveragedWeightsState): void {
    const ws = state?.weights;
    if (!Array.isArray(ws))
      throw new TrainError(`${this.owner}.${fn}: state.weights must be an array of {name, shape, values}`, { code: 'ERR_CNN_INVALID_OPTION' });
    const byName = new Map(ws.map((w) => [w?.name, w]));
    for (const [name, v] of this.vars) {
      const w = byName.get(name);
      if (!w) throw new TrainError(`${this.owner}.${fn}: state has no weight '${name}'`, { code: 'ERR_CNN_INVALID_OPTION' });
      const size = v.shape.reduce((a, b) => a * b, 1);
      if (!tf.util.arraysEqual(w.shape, v.shape) || w.values?.length !== size) {
        throw new TrainError(`${this.owner}.${fn}: weight '${name}' has shape [${w.shape}] (${w.values?.length} values), expected [${v.shape}]`, {
          code: 'ERR_CNN_INVALID_OPTION',
        });
      }
    }
    if (byName.size !== this.vars.size)
      throw new TrainError(`${this.owner}.${fn}: state holds ${byName.size} weights, the model ${this.vars.size}`, { code: 'ERR_CNN_INVALID_OPTION' });
    for (const [name, v] of this.vars) {
      const w = byName.get(name)!;
      const t = tf.tensor(Float32Array.from(w.values), w.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** Options of {@link ModelEma}. */
export interface ModelEmaOptions {
  /** Decay `d ∈ [0, 1]` of `ema ← d·ema + (1 − d)·w`. Default `0.9999` (timm). */
  decay?: number;
  /** Allow the backend's {@link EMA_UPDATE_KERNEL} (see {@link lerp}). Default `true`. */
  fused?: boolean;
}

/** Serializable state of a {@link ModelEma}. */
export interface ModelEmaState extends AveragedWeightsState {
  /** Number of {@link ModelEma.update} calls. */
  updates: number;
}

function checkDecay(fn: string, decay: number): number {
  if (!(typeof decay === 'number' && decay >= 0 && decay <= 1))
    throw new TrainError(`${fn}: decay must be a number in [0, 1]. Received: decay=${decay}`, { code: 'ERR_CNN_INVALID_OPTION' });
  return decay;
}

/**
 * Exponential moving average of a model's weights (timm's `ModelEmaV2`; Polyak averaging): a float32 copy of
 * ALL float32 weights — trainable ones and batch-norm running statistics — initialised from the model and
 * updated with `ema ← decay·ema + (1 − decay)·w`, computed as `torch.lerp(ema, w, 1 − decay)` (timm
 * `ModelEmaV3`'s form; see {@link lerp}). Evaluate the average with {@link ModelEma.copyTo} (into the model or a
 * same-architecture clone) or {@link ModelEma.swap} (twice: in, evaluate, back).
 *
 * ```ts
 * const ema = new ModelEma(model, { decay: 0.999 });
 * // after every optimizer step:
 * ema.update(model);
 * ```
 *
 * Reference: timm `timm/utils/model_ema.py`; Polyak & Juditsky (1992). {@link ModelEmaCallback} drives it from `fit`.
 */
export class ModelEma {
  /** Default decay of {@link ModelEma.update}. */
  readonly decay: number;
  /** Whether the backend kernel may be used. */
  readonly fused: boolean;
  private readonly avg: AveragedWeights;
  private updates_ = 0;

  /**
   * Copies the model's current float32 weights.
   * @throws TrainError when `decay` is outside `[0, 1]` or two weights share a name.
   */
  constructor(model: tfl.LayersModel, opts: ModelEmaOptions = {}) {
    this.decay = checkDecay('ModelEma', opts.decay ?? 0.9999);
    this.fused = opts.fused ?? true;
    this.avg = new AveragedWeights('ModelEma', model);
  }

  /** Number of {@link ModelEma.update} calls so far (restored by {@link ModelEma.setState}). */
  get updates(): number {
    return this.updates_;
  }

  /** Names of the averaged weights (`conv1/kernel`, `bn1/moving_mean`, …). */
  get names(): string[] {
    return this.avg.names;
  }

  /** The averaged value of one weight (a live variable: read it, do not dispose it), or `undefined`. */
  get(name: string): tf.Variable | undefined {
    return this.avg.get(name);
  }

  /**
   * `ema ← decay·ema + (1 − decay)·w` for every weight of `model`.
   * @param decay this update's decay (e.g. a warm-up `min(d, (1 + t)/(10 + t))`). Default {@link ModelEma.decay}.
   * @throws TrainError when `decay` is outside `[0, 1]` or `model`'s weights do not match (naming the weight).
   */
  update(model: tfl.LayersModel, decay: number = this.decay): void {
    checkDecay('ModelEma.update', decay);
    this.avg.lerpToward('update', model, 1 - decay, this.fused);
    this.updates_ += 1;
  }

  /** Re-initialises the average from `model`'s current weights (timm's `set`). */
  set(model: tfl.LayersModel): void {
    this.avg.readFrom('set', model);
  }

  /** Writes the averaged weights into `model` (the same architecture). */
  copyTo(model: tfl.LayersModel): void {
    this.avg.writeTo('copyTo', model);
  }

  /** Exchanges the model's weights and the average (call again to swap back). */
  swap(model: tfl.LayersModel): void {
    this.avg.swap('swap', model);
  }

  /**
   * The averaged weights (copies) and the update counter, read synchronously (`dataSync()`; cpu, onednn). On a
   * backend without synchronous reads (webgpu in Node) use {@link ModelEma.readState}.
   */
  getState(): ModelEmaState {
    return { ...this.avg.getState(), updates: this.updates_ };
  }

  /** {@link ModelEma.getState} with asynchronous reads (`await variable.data()`); what checkpoints use. */
  async readState(): Promise<ModelEmaState> {
    const updates = this.updates_;
    return { ...(await this.avg.readState()), updates };
  }

  /** Restores {@link ModelEma.getState}. @throws TrainError naming a missing or misshapen weight (nothing is changed then). */
  setState(state: ModelEmaState): void {
    if (!Number.isInteger(state?.updates) || state.updates < 0)
      throw new TrainError(`ModelEma.setState: updates must be an integer >= 0. Received: updates=${state?.updates}`, { code: 'ERR_CNN_BAD_STATE' });
    this.avg.setState('setState', state);
    this.updates_ = state.updates;
  }

  /** Frees the averaged weights. */
  dispose(): void {
    this.avg.dispose();
  }
}

/** Options of {@link Lookahead}. */
export interface LookaheadOptions {
  /** Synchronise every `k` optimizer steps (integer >= 1). Default `5` (the paper's and airbench's). */
  k?: number;
  /**
   * Slow-weight step size α: a number in `[0, 1]`, or a function of the 1-based optimizer step at which the
   * synchronisation happens (e.g. `(t) => airbenchLookaheadAlpha(t, total)`). Default `0.5` (the paper's).
   */
  alpha?: number | ((step: number) => number);
  /** Allow the backend's {@link EMA_UPDATE_KERNEL} (see {@link lerp}). Default `true`. */
  fused?: boolean;
}

/**
 * Lookahead (Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019) as a
 * wrapper around any optimizer's training loop, in airbench's form: slow weights φ over ALL the model's float32
 * weights (batch-norm running statistics included), initialised to the model's; every `k` optimizer steps
 * `φ ← lerp(φ, θ, α)` then `θ ← φ` ({@link Lookahead.update}); at the end of training the model takes φ
 * ({@link Lookahead.finalize}, airbench's `update(decay=1)`).
 *
 * ```ts
 * const la = new Lookahead(model, { k: 5, alpha: (t) => airbenchLookaheadAlpha(t, totalSteps) });
 * for (let t = 1; t <= totalSteps; t++) { trainStep(model, x, y, opt); la.update(model, t); }
 * la.finalize(model);
 * ```
 *
 * Reference: the paper's Algorithm 1; airbench94's `LookaheadState` (Jordan 2024, arXiv 2404.00498).
 * {@link LookaheadCallback} drives it from `fit` with exact resume.
 */
export class Lookahead {
  /** Synchronisation period in optimizer steps. */
  readonly k: number;
  /** Whether the backend kernel may be used. */
  readonly fused: boolean;
  private readonly alpha: number | ((step: number) => number);
  private readonly slow: AveragedWeights;

  /**
   * Copies the model's current float32 weights as the slow weights.
   * @throws TrainError when `k` is not an integer >= 1, a constant `alpha` is outside `[0, 1]`, or two weights share a name.
   */
  constructor(model: tfl.LayersModel, opts: LookaheadOptions = {}) {
    this.k = opts.k ?? 5;
    if (!(Number.isInteger(this.k) && this.k >= 1))
      throw new TrainError(`Lookahead: k must be an integer >= 1. Received: k=${opts.k}`, { code: 'ERR_CNN_INVALID_OPTION' });
    const a = opts.alpha ?? 0.5;
    if (typeof a === 'number') checkAlpha('Lookahead', a);
    else if (typeof a !== 'function')
      throw new TrainError(`Lookahead: alpha must be a number in [0, 1] or a function of the step. Received: alpha=${String(a)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    this.alpha = a;
    this.fused = opts.fused ?? true;
    this.slow = new AveragedWeights('Lookahead', model);
  }

  /** α at the 1-based optimizer step `step`. @throws TrainError when a schedule returns a value outside `[0, 1]`. */
  alphaAt(step: number): number {
    return typeof this.alpha === 'number' ? this.alpha : checkAlpha('Lookahead: alpha schedule', this.alpha(step), step);
  }

  /** Names of the slow weights. */
  get names(): string[] {
    return this.slow.names;
  }

  /** The slow value of one weight (a live variable: read it, do not dispose it), or `undefined`. */
  get(name: string): tf.Variable | undefined {
    return this.slow.get(name);
  }

  /**
   * Call after every optimizer step with its 1-based number: when `step` is a multiple of `k`,
   * {@link Lookahead.sync} with `α = alphaAt(step)`.
   * @returns whether the weights were synchronised.
   * @throws TrainError when `step` is not an integer >= 1, or as `sync`.
   */
  update(model: tfl.LayersModel, step: number): boolean {
    if (!(Number.isInteger(step) && step >= 1))
      throw new TrainError(`Lookahead.update: step must be an integer >= 1. Received: step=${step}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (step % this.k !== 0) return false;
    this.sync(model, this.alphaAt(step));
    return true;
  }

  /**
   * One Lookahead synchronisation: `φ ← lerp(φ, θ, α)`, then `θ ← φ` (airbench's `LookaheadState.update(net,
   * decay = 1 − α)`).
   * @throws TrainError when `alpha` is outside `[0, 1]` or the model's weights do not match (naming the weight).
   */
  sync(model: tfl.LayersModel, alpha: number): void {
    checkAlpha('Lookahead.sync', alpha);
    this.slow.lerpToward('sync', model, alpha, this.fused);
    this.slow.writeTo('sync', model);
  }

  /** `θ ← φ`: the model takes the slow weights (airbench's final `update(decay=1.0)`). */
  finalize(model: tfl.LayersModel): void {
    this.slow.writeTo('finalize', model);
  }

  /**
   * The slow weights (copies), read synchronously (`dataSync()`; cpu, onednn). On a backend without synchronous
   * reads (webgpu in Node) use {@link Lookahead.readState}.
   */
  getState(): AveragedWeightsState {
    return this.slow.getState();
  }

  /** {@link Lookahead.getState} with asynchronous reads (`await variable.data()`); what checkpoints use. */
  readState(): Promise<AveragedWeightsState> {
    return this.slow.readState();
  }

  /** Restores {@link Lookahead.getState}. @throws TrainError naming a missing or misshapen weight (nothing is changed then). */
  setState(state: AveragedWeightsState): void {
    this.slow.setState('setState', state);
  }

  /** Frees the slow weights. */
  dispose(): void {
    this.slow.dispose();
  }
}

function checkAlpha(fn: string, alpha: number, step?: number): number {
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) {
    throw new TrainError(`${fn}: alpha must be a number in [0, 1]. Received: alpha=${alpha}${step !== undefined ? ` at step ${step}` : ''}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  return alpha;
}

/**
 * airbench94's Lookahead step size at optimizer step `step` of `totalSteps`: `α = 1 − decay`, `decay =
 * 0.95⁵·(step/totalSteps)³`, computed in float32 exactly as airbench's
 * `0.95**5 * (torch.arange(total + 1) / total)**3` table (so α goes from ≈1 — θ kept — early on to
 * `1 − 0.95⁵ ≈ 0.226` — strong averaging — at the end).
 * @throws TrainError unless `0 <= step <= totalSteps` are integers and `totalSteps >= 1`.
 */
export function airbenchLookaheadAlpha(step: number, totalSteps: number): number {
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1))
    throw new TrainError(`airbenchLookaheadAlpha: totalSteps must be an integer >= 1. Received: totalSteps=${totalSteps}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(Number.isInteger(step) && step >= 0 && step <= totalSteps)) {
    throw new TrainError(`airbenchLookaheadAlpha: step must be an integer in [0, ${totalSteps}]. Received: step=${step}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const f = Math.fround;
  const x = f(step / totalSteps);
  const cube = f(f(x * x) * x);
  const decay = f(f(0.95 ** 5) * cube);
  return 1 - decay;
}
