import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from './errors.js';

/** Which weight initialisation a model builder uses. */
export type InitScheme = 'pytorch' | 'keras';

/** Initializer type as accepted by tfjs-layers layer args. */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** A kernel/bias initializer pair for one layer. */
export interface LayerInit {
  /** Initializer for the kernel (`[kh, kw, inC, outC]` or `[inputs, units]`). */
  kernelInitializer: Initializer;
  /** Initializer for the bias (`[outC]` or `[units]`). */
  biasInitializer: Initializer;
}

/**
 * Builds the kernel and bias initializers of one conv/dense layer.
 *
 * - `'pytorch'` follows `torch.nn.Conv2d`/`torch.nn.Linear.reset_parameters()`: the kernel is
 *   `kaiming_uniform_(a=√5)`, i.e. `U(-1/√fanIn, 1/√fanIn)` (gain `√(2/(1+5))` times `√(3/fanIn)`),
 *   and the bias is `U(-1/√fanIn, 1/√fanIn)`.
 * - `'keras'` is the Keras default: glorot-uniform kernel, zero bias.
 *
 * @param scheme initialisation scheme.
 * @param fanIn inputs per output unit: `kh*kw*inChannels` for a conv, `inputs` for a dense layer.
 * @param seed integer seed; the kernel uses `seed`, the bias `seed + 1` (tfjs' seeded alea generator).
 *   `undefined` → unseeded (`Math.random`).
 * @throws Error when `fanIn` is not a positive integer or `scheme` is unknown.
 */
export function layerInit(scheme: InitScheme, fanIn: number, seed?: number): LayerInit {
  if (!Number.isInteger(fanIn) || fanIn <= 0) {
    throw new ModelError(`layerInit: fanIn must be a positive integer. Received: fanIn=${fanIn}`);
  }
  const biasSeed = seed === undefined ? undefined : seed + 1;
  if (scheme === 'pytorch') {
    const bound = 1 / Math.sqrt(fanIn);
    return {
      kernelInitializer: tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed }),
      biasInitializer: tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: biasSeed }),
    };
  }
  if (scheme === 'keras') {
    return {
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      biasInitializer: tfl.initializers.zeros(),
    };
  }
  throw new ModelError(`layerInit: init must be 'pytorch' or 'keras'. Received: init=${String(scheme)}`);
}

/**
 * Derives the seed of the `index`-th parameterised layer from a model seed so that every layer draws
 * from its own stream (each layer consumes two seeds: kernel and bias).
 *
 * @returns `undefined` when `seed` is `undefined`, else `seed * 1009 + 2 * index`.
 */
export function layerSeed(seed: number | undefined, index: number): number | undefined {
  return seed === undefined ? undefined : seed * 1009 + 2 * index;
}

/** The base class of tfjs-layers' initializers (not exported by name; `Zeros` extends it). */
type InitializerCtor = abstract new () => Initializer;
const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as InitializerCtor;

/** Options of {@link Dirac} / {@link dirac}. */
export interface DiracArgs {
  /**
   * Integer seed of the base initialiser that fills the filters beyond the identity ones (tfjs' seeded
   * generator, as `layerInit`'s kernel). `undefined` → unseeded.
   */
  seed?: number;
}

/**
 * Partial Dirac (identity) initialiser for convolution kernels, airbench's form of `torch.nn.init.dirac_`
 * (K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU", arXiv 2404.00498: `dirac_(w[:in_channels])`).
 *
 * For a kernel `[...spatial, inChannels, outChannels]` (HWIO `[kh, kw, in, out]` for `Conv2D`; rank 3 to 5):
 * - output filters `i < min(in, out)` are the identity on channel `i`: 1 at the kernel centre
 *   (`floor(k/2)` on every spatial axis, PyTorch's centre, so even sizes take the lower-right of the middle)
 *   for input channel `i`, 0 elsewhere; a 'same'-padded stride-1 convolution with this kernel copies input
 *   channel `i` to output channel `i`;
 * - the other output filters keep PyTorch's default `Conv2d` initialisation, `U(−1/√fanIn, 1/√fanIn)` with
 *   `fanIn = kh·kw·in` (the same values `layerInit('pytorch', fanIn, seed).kernelInitializer` draws there).
 *
 * With `in >= out` the whole kernel is the identity on the first `out` channels (`torch.nn.init.dirac_`).
 * Registered with `tf.serialization.registerClass` under the class name `Dirac` (config: `seed`), so layers
 * using it serialise and load.
 */
export class Dirac extends InitializerBase {
  /** Serialisation class name. */
  static className = 'Dirac';
  /** Seed of the base initialiser (`undefined`: unseeded). */
  readonly seed: number | undefined;

  /** @throws Error when `seed` is given and is not an integer. */
  constructor(args: DiracArgs = {}) {
    super();
    if (args.seed !== undefined && args.seed !== null && !Number.isInteger(args.seed)) {
      throw new ModelError(`Dirac: seed must be an integer. Received: seed=${args.seed}`);
    }
    this.seed = args.seed ?? undefined;
  }

  /**
   * @param shape - `[...spatial, in, out]`, rank 3–5 (HWIO for a 2-D convolution).
   * @param dtype - `'float32'` (default).
   * @returns A new float32 tensor of `shape`.
   * @throws Error when the rank is not 3–5, a dimension is not a positive integer, or `dtype` is not float32.
   */
  override apply(shape: tfl.Shape, dtype?: tf.DataType): tf.Tensor {
    if (shape.length < 3 || shape.length > 5 || shape.some((d) => d == null || !Number.isInteger(d) || d < 1)) {
      throw new ModelError(`Dirac: expects a convolution kernel [...spatial, in, out] of rank 3 to 5. Received: shape=${JSON.stringify(shape)}`);
    }
    if (dtype !== undefined && dtype !== 'float32') throw new ModelError(`Dirac: dtype must be float32. Received: dtype=${dtype}`);
    const dims = shape as number[];
    const spatial = dims.slice(0, -2);
    const inC = dims[dims.length - 2];
    const outC = dims[dims.length - 1];
    const fanIn = spatial.reduce((a, b) => a * b, 1) * inC;
    const bound = 1 / Math.sqrt(fanIn);
    // The identity filters are built here and merged with the random draw by `where` (no read of the draw:
    // initialisers are synchronous, and webgpu in Node cannot read synchronously).
    // Row-major offset of (centre..., i, o) is (centreOffset·in + i)·out + o.
    let centre = 0;
    for (const k of spatial) centre = centre * k + Math.floor(k / 2);
    const size = dims.reduce((a, b) => a * b, 1);
    const positions = size / (inC * outC);
    const identity = Math.min(inC, outC);
    const fixed = new Uint8Array(size);
    const value = new Float32Array(size);
    for (let p = 0; p < positions; p++) {
      for (let i = 0; i < inC; i++) {
        const row = (p * inC + i) * outC;
        for (let o = 0; o < identity; o++) {
          fixed[row + o] = 1;
          value[row + o] = p === centre && i === o ? 1 : 0;
        }
      }
    }
    return tf.tidy(() =>
      tf.where(tf.tensor(fixed, dims, 'bool'), tf.tensor(value, dims, 'float32'), tf.randomUniform(dims, -bound, bound, 'float32', this.seed)),
    );
  }

  /** The serialised config: `{ seed }` when seeded, else `{}`. */
  override getConfig(): tf.serialization.ConfigDict {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}
tf.serialization.registerClass(Dirac as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/**
 * Creates a {@link Dirac} initialiser: identity on the first `min(in, out)` output filters, PyTorch's default
 * uniform elsewhere. Use as `kernelInitializer` of a 3×3 'same' convolution.
 * @throws Error when `seed` is not an integer.
 */
export function dirac(args: DiracArgs = {}): Dirac {
  return new Dirac(args);
}
