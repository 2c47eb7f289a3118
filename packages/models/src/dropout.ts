import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from './errors.js';

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];

/** Constructor options of {@link Dropout}. */
export interface DropoutArgs extends NonNullable<LayerArgs> {
  /** Probability of zeroing an element, in `[0, 1)`. Default `0.5` (PyTorch's `nn.Dropout`). */
  rate?: number;
  /**
   * Integer seed of the mask stream. Default: a random 31-bit integer drawn at construction (and then
   * stored in the layer config, so a saved model keeps it).
   */
  seed?: number;
}

/** The RNG state of one {@link Dropout} layer: its seed and the number of training-mode calls made. */
export interface DropoutRngState {
  /** The layer's seed. */
  seed: number;
  /** Training-mode calls made so far (the index of the next mask). */
  calls: number;
}

/** 32-bit integer mix (the `lowbias32` finaliser by C. Wellons, "Prospecting for hash functions", 2018). */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The integer seed of mask number `call` of a layer seeded with `seed`: a hash of both. */
export function dropoutMaskSeed(seed: number, call: number): number {
  return mix32(mix32(seed >>> 0) ^ mix32((call + 0x9e3779b9) >>> 0) ^ Math.floor(call / 2 ** 32));
}

/**
 * Inverted dropout with a reproducible, resumable mask stream (PyTorch's `nn.Dropout` semantics):
 * in training mode (`training: true`) each element is zeroed with probability `rate` and the kept
 * elements are scaled by `1 / (1 - rate)`; in inference mode it is the identity.
 *
 * Unlike tfjs-layers' `dropout` (whose fixed `seed` repeats one mask on every call, and whose unseeded
 * masks cannot be reproduced), mask number `k` is drawn with `tf.randomUniform(shape, 0, 1, 'float32',
 * dropoutMaskSeed(seed, k))`, where `k` counts this layer's training-mode calls. The counter is the
 * layer's RNG state: {@link Dropout.getRngState} / {@link Dropout.setRngState} (or
 * {@link getModelRngState} / {@link setModelRngState} for a whole model) save and restore it, so a
 * training run resumed from a checkpoint draws the same masks as an uninterrupted one.
 *
 * Input/output shape: any, unchanged. Registered with `tf.serialization.registerClass` under the class
 * name `SeededDropout` (config: `rate`, `seed`).
 */
export class Dropout extends tfl.layers.Layer {
  /** Serialisation class name. */
  static className = 'SeededDropout';
  /** Drop probability. */
  readonly rate: number;
  /** Mask stream seed. */
  readonly seed: number;
  private calls = 0;

  /** @throws Error when `rate` is outside `[0, 1)` or `seed` is not a safe integer. */
  constructor(args: DropoutArgs = {}) {
    super(args);
    this.rate = args.rate ?? 0.5;
    if (!(this.rate >= 0 && this.rate < 1)) {
      throw new ModelError(`Dropout: rate must be in [0, 1). Received: rate=${args.rate}`);
    }
    const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
    if (!Number.isSafeInteger(seed)) throw new ModelError(`Dropout: seed must be a safe integer. Received: seed=${args.seed}`);
    this.seed = seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return tf.clone(x);
    const maskSeed = dropoutMaskSeed(this.seed, this.calls);
    this.calls += 1;
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', maskSeed), this.rate), x.dtype);
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }

  /** The current RNG state (a copy). */
  getRngState(): DropoutRngState {
    return { seed: this.seed, calls: this.calls };
  }

  /**
   * Restores a state from {@link Dropout.getRngState}.
   * @throws Error when `state.seed` differs from this layer's seed or `calls` is not an integer >= 0.
   */
  setRngState(state: DropoutRngState): void {
    if (!state || state.seed !== this.seed) {
      throw new ModelError(`Dropout '${this.name}': RNG state is for seed ${state?.seed}, this layer has seed ${this.seed}`);
    }
    if (!Number.isSafeInteger(state.calls) || state.calls < 0) {
      throw new ModelError(`Dropout '${this.name}': calls must be an integer >= 0. Received: calls=${state.calls}`);
    }
    this.calls = state.calls;
  }
}
tf.serialization.registerClass(Dropout);

/** Functional constructor of {@link Dropout}, like `tfl.layers.dropout`. */
export function dropout(args: DropoutArgs = {}): Dropout {
  return new Dropout(args);
}

/** A layer with resumable random state (duck-typed: {@link Dropout} and any layer with these methods). */
/** A layer with a seeded random stream whose state checkpoints save and restore (e.g. {@link Dropout}). */
export interface RngLayer {
  name: string;
  /** The layer's random-stream state, for a checkpoint. */
  getRngState(): unknown;
  /** Restores a state from {@link RngLayer.getRngState}. */
  setRngState(state: unknown): void;
}

/** Layers of `model` with `getRngState`/`setRngState` ({@link Dropout}), nested models included, in order. */
export function rngLayers(model: tfl.LayersModel): RngLayer[] {
  const out: RngLayer[] = [];
  const visit = (layers: unknown[]): void => {
    for (const l of layers as Array<Record<string, unknown>>) {
      if (typeof l.getRngState === 'function' && typeof l.setRngState === 'function') out.push(l as unknown as RngLayer);
      if (Array.isArray(l.layers)) visit(l.layers);
    }
  };
  visit(model.layers);
  return out;
}

/**
 * Collects the RNG state of every layer of `model` that has one ({@link Dropout}, nested models
 * included), keyed by layer name. Plain JSON.
 */
export function getModelRngState(model: tfl.LayersModel): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const l of rngLayers(model)) state[l.name] = l.getRngState();
  return state;
}

/**
 * Restores states from {@link getModelRngState}.
 * @throws Error naming the layer when a layer with RNG state has no entry in `state`, or an entry names
 *   no such layer.
 */
export function setModelRngState(model: tfl.LayersModel, state: Record<string, unknown>): void {
  const layers = rngLayers(model);
  const names = new Set(layers.map((l) => l.name));
  for (const key of Object.keys(state)) {
    if (!names.has(key)) throw new ModelError(`setModelRngState: state has an entry for '${key}', model '${model.name}' has no such RNG layer`);
  }
  for (const l of layers) {
    if (!(l.name in state)) throw new ModelError(`setModelRngState: no state for layer '${l.name}'`);
    l.setRngState(state[l.name]);
  }
}
