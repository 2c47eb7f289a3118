import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm } from '../batch-norm.js';
import { conv2d, dense } from '../fused.js';
import { layerInit, layerSeed, type InitScheme, type Initializer } from '../init.js';
import { resolveOptions, type ModelOptions } from '../mnist-net.js';
import { ModelError } from '../errors.js';

/** A symbolic tensor of a tfjs-layers functional graph. */
export type Sym = tfl.SymbolicTensor;

/** Options of the zoo builders (ResNet, DenseNet, MobileNetV2). */
export interface ZooOptions extends ModelOptions {
  /**
   * Input shape without the batch axis, NHWC `[height, width, channels]`. Default `[224, 224, 3]`
   * (ImageNet variants) or `[32, 32, 3]` (CIFAR variants).
   */
  inputShape?: [number, number, number];
}

/**
 * Per-model builder state: validated options, a running seed index (one stream per parameterised
 * layer, see {@link layerSeed}) and the initialisers torchvision uses.
 */
export class ZooBuilder {
  readonly numClasses: number;
  readonly init: InitScheme;
  readonly seed: number | undefined;
  readonly inputShape: [number, number, number];
  private index = 0;

  constructor(fn: string, opts: ZooOptions, defaultShape: [number, number, number]) {
    const r = resolveOptions(fn, opts);
    this.numClasses = r.numClasses;
    this.init = r.init;
    this.seed = r.seed;
    const shape = opts.inputShape ?? defaultShape;
    if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ModelError(`${fn}: inputShape must be [height, width, channels] positive integers. Received: inputShape=${JSON.stringify(opts.inputShape)}`);
    }
    this.inputShape = shape;
  }

  /** The next layer seed (`undefined` when unseeded). */
  nextSeed(): number | undefined {
    return layerSeed(this.seed, this.index++);
  }

  /**
   * Kernel initialiser of a conv layer: torchvision's `kaiming_normal_(mode='fan_out',
   * nonlinearity='relu')` (`'pytorch'`, as tfjs' variance scaling with scale 2 over fan-out, truncated
   * normal) or glorot-uniform (`'keras'`).
   */
  convInit(): Initializer {
    const seed = this.nextSeed();
    if (this.init === 'keras') return tfl.initializers.glorotUniform({ seed });
    return tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed });
  }
}

/** Options of {@link convBn}. */
export interface ConvSpec {
  /** Layer name of the convolution (torchvision's module path, e.g. `layer1.0.conv1`). */
  name: string;
  filters: number;
  kernel: number;
  stride?: number;
  /** Symmetric zero padding (PyTorch's `padding`). Default `kernel // 2`. */
  padding?: number;
  /** Depthwise convolution (`groups = channels`, multiplier 1). Default `false`. */
  depthwise?: boolean;
  /** Bias on the convolution. Default `false`. */
  bias?: boolean;
}

/**
 * A 2-D convolution with PyTorch's symmetric padding, without bias by default: `'same'` padding when the
 * stride is 1 and the kernel odd with `padding = kernel // 2` (identical to PyTorch's), otherwise an
 * explicit `ZeroPadding2D` (named `<name>.pad`) followed by a `'valid'` convolution (tfjs' `'same'`
 * pads asymmetrically for stride 2, PyTorch does not).
 */
export function conv(b: ZooBuilder, x: Sym, spec: ConvSpec): Sym {
  const stride = spec.stride ?? 1;
  const pad = spec.padding ?? Math.floor(spec.kernel / 2);
  let padding: 'same' | 'valid' = 'valid';
  let input = x;
  if (pad > 0) {
    if (stride === 1 && spec.kernel % 2 === 1 && pad === Math.floor(spec.kernel / 2)) padding = 'same';
    else input = tfl.layers.zeroPadding2d({ name: `${spec.name}.pad`, padding: pad }).apply(input) as Sym;
  }
  const inC = x.shape[x.shape.length - 1] as number;
  if (spec.depthwise) {
    const layer = tfl.layers.depthwiseConv2d({
      name: spec.name,
      kernelSize: spec.kernel,
      strides: stride,
      padding,
      depthMultiplier: 1,
      useBias: spec.bias ?? false,
      depthwiseInitializer: b.convInit(),
    });
    return layer.apply(input) as Sym;
  }
  const kernelInitializer = b.convInit();
  const bias = spec.bias ?? false;
  const biasInit = bias ? layerInit(b.init === 'keras' ? 'keras' : 'pytorch', spec.kernel * spec.kernel * inC, b.nextSeed()).biasInitializer : undefined;
  return conv2d({
    name: spec.name,
    filters: spec.filters,
    kernelSize: spec.kernel,
    strides: stride,
    padding,
    useBias: bias,
    kernelInitializer,
    ...(biasInit ? { biasInitializer: biasInit } : {}),
  }).apply(input) as Sym;
}

/** A PyTorch-semantics {@link batchNorm} (momentum 0.1, eps 1e-5) named `name`. */
export function bn(x: Sym, name: string): Sym {
  return batchNorm({ name }).apply(x) as Sym;
}

/** ReLU (or ReLU6 with `max: 6`) named `name`. */
export function relu(x: Sym, name: string, max?: number): Sym {
  return tfl.layers.reLU({ name, ...(max !== undefined ? { maxValue: max } : {}) }).apply(x) as Sym;
}

/** The classifier `Linear(inFeatures, numClasses)` with PyTorch's default initialisation, named `name`. */
export function linear(b: ZooBuilder, x: Sym, name: string, units: number): Sym {
  const inF = x.shape[x.shape.length - 1] as number;
  return dense({ name, units, ...layerInit(b.init, inF, b.nextSeed()) }).apply(x) as Sym;
}

/** `[batch, h, w, c]` → `[batch, c]` mean over space (`AdaptiveAvgPool2d(1)` + `flatten`). */
export function globalAvgPool(x: Sym, name: string): Sym {
  return tfl.layers.globalAveragePooling2d({ name }).apply(x) as Sym;
}

/** The graph's input `[batch, ...inputShape]`, named `input`. */
export function input(b: ZooBuilder): Sym {
  return tfl.input({ shape: b.inputShape, name: 'input' });
}
