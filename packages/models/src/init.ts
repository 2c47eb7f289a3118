import * as tfl from '@tensorflow/tfjs-layers';

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
    throw new Error(`layerInit: fanIn must be a positive integer. Received: fanIn=${fanIn}`);
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
  throw new Error(`layerInit: init must be 'pytorch' or 'keras'. Received: init=${String(scheme)}`);
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
