/**
 * Fused training layers: `Conv2D` and `Dense` whose forward pass is one fused kernel (`FusedConv2D`,
 * `_FusedMatMul`: product + bias + activation) in training as well as inference.
 *
 * Why: tfjs-core fuses bias and activation only when no gradient is being recorded (`shouldFuse` in its
 * fused ops); under a gradient tape a ReLU layer runs as conv → Add → Relu and backpropagates through
 * Relu → Step → Multiply and Add → Sum. Here the layers call the fused kernel directly and the gradients of
 * those two kernels are registered (tfjs registers none: its fused ops use `customGrad`), so a step does one
 * kernel forward and one mask-and-bias pass backward — the `CnnReluBiasGrad` kernel where the backend
 * registers it (`@cnn/backend-onednn`), tf ops elsewhere. The gradients are lazy per input, as tfjs' own
 * Conv2D gradient is: the input gradient of a first layer (whose input is data) is never computed.
 *
 * The layers serialise exactly like tfjs-layers' `Conv2D` / `Dense` (same class name and config), so a saved
 * model loads anywhere TF.js runs, as the stock layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { RELU_BIAS_GRAD_KERNEL } from '@cnn/core';
import { ModelError } from './errors.js';

/**
 * Kernel name of the optional fused ReLU-gradient kernel (a backend contract, e.g. `@cnn/backend-onednn`):
 * inputs `dy` and `y` (the ReLU's output, same shape `[..., channels]`), outputs `[dz, dbias]` with
 * `dz = dy · (y > 0)` and `dbias[c] = Σ dz[..., c]` over every axis but the last.
 */
export { RELU_BIAS_GRAD_KERNEL };

/** Activations the fused kernels take and the registered gradients differentiate. */
type FusedActivation = 'linear' | 'relu';

type ConvLayerArgs = Parameters<typeof tfl.layers.conv2d>[0];
type DenseLayerArgs = Parameters<typeof tfl.layers.dense>[0];
type Kwargs = Record<string, unknown>;

/** The private state of tfjs-layers' Conv2D / Dense read by the fused call (tfjs-layers 4.x field names). */
interface ConvState {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string };
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}
interface DenseState {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string };
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): void;
}

/** tfjs-layers' class registered under `className` (tfjs-layers exports factories, not the classes). */
function stockLayerClass<T>(className: string): T {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new ModelError(`@cnn/models: tfjs-layers did not register the ${className} layer`);
  return entry[0] as unknown as T;
}

function fusedActivation(activation: { getClassName(): string }): FusedActivation | null {
  const name = activation.getClassName();
  return name === 'relu' || name === 'linear' ? name : null;
}

/** True when the active backend has `kernelName`. */
function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/** One tensor out of a layer's `inputs`. */
function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new ModelError(`Expected exactly one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

/**
 * The shared start of both gradients: `dz` (the gradient before the activation) and a lazy bias gradient
 * (`Σ dz` over every axis but the last). For ReLU on a backend with {@link RELU_BIAS_GRAD_KERNEL} both come
 * from one native pass; otherwise `dz = dy · step(y)` and the bias gradient is a `tf.sum`.
 */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: string, kernelName: string): { dz: tf.Tensor; dbias: () => tf.Tensor } {
  const axes = dy.shape.map((_, i) => i).slice(0, -1);
  if (activation === 'linear') return { dz: dy, dbias: () => tf.sum(dy, axes) };
  if (activation !== 'relu') {
    throw new ModelError(`@cnn/models: no gradient for ${kernelName} with activation '${activation}' (only 'linear' and 'relu')`);
  }
  if (hasKernel(RELU_BIAS_GRAD_KERNEL)) {
    const [dz, db] = tf.engine().runKernel(RELU_BIAS_GRAD_KERNEL, { dy, y }, {}) as tf.Tensor[];
    return { dz: dz!, dbias: () => db! };
  }
  const dz = tf.mul(dy, tf.step(y));
  return { dz, dbias: () => tf.sum(dz, axes) };
}

let gradientsRegistered = false;

/**
 * Registers the gradients of the `FusedConv2D` and `_FusedMatMul` kernels (linear and relu activations,
 * NHWC, dilation 1, no prelu weights), once per process. Called by the fused layers' constructors.
 */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: tf.FusedConv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as tf.FusedConv2DAttrs;
      const { dz, dbias } = activationGrad(dy as tf.Tensor, y, a.activation, 'FusedConv2D');
      const common = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dz, filter }, { ...common, inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, { ...common, filterShape: filter.shape }) as tf.Tensor,
        bias: dbias,
      };
    },
  });
  tf.registerGradient({
    kernelName: tf._FusedMatMul,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const { transposeA, transposeB, activation } = attrs as unknown as tf._FusedMatMulAttrs;
      const { dz, dbias } = activationGrad(dy as tf.Tensor, y, activation, '_FusedMatMul');
      // The four transpose cases of d(a·b), as tfjs' BatchMatMul gradient.
      const da = () =>
        !transposeA
          ? !transposeB
            ? tf.matMul(dz, b, false, true)
            : tf.matMul(dz, b, false, false)
          : !transposeB
            ? tf.matMul(b, dz, false, true)
            : tf.matMul(b, dz, true, true);
      const db = () =>
        !transposeA
          ? !transposeB
            ? tf.matMul(a, dz, true, false)
            : tf.matMul(dz, a, true, false)
          : !transposeB
            ? tf.matMul(a, dz, false, false)
            : tf.matMul(dz, a, true, true);
      return { a: da, b: db, bias: dbias };
    },
  });
}

type ConvCtor = new (args: ConvLayerArgs) => tfl.layers.Layer;
type DenseCtor = new (args: DenseLayerArgs) => tfl.layers.Layer;

/**
 * tfjs-layers' `Conv2D` (NHWC, kernel HWIO `[kh, kw, inChannels, filters]`, bias `[filters]`) whose forward is
 * one `FusedConv2D` kernel (conv + bias + activation) in training too, differentiated by
 * {@link registerFusedGradients}. Activations other than linear/relu, channels-first data and dilated
 * convolutions (tfjs has no dilated conv gradient) run tfjs-layers' own code. Serialises as `Conv2D`.
 *
 * Input `[batch, height, width, inChannels]` float32 → output `[batch, outHeight, outWidth, filters]`.
 */
export class Conv2D extends stockLayerClass<ConvCtor>('Conv2D') {
  /** Serialisation class name: the stock layer's, so saved models load as tfjs-layers' `Conv2D`. */
  static className = 'Conv2D';

  constructor(args: ConvLayerArgs) {
    super(args);
    registerFusedGradients();
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as ConvState;
    const activation = fusedActivation(s.activation);
    const dilations = typeof s.dilationRate === 'number' ? [s.dilationRate, s.dilationRate] : s.dilationRate;
    if (activation == null || s.rank !== 2 || s.dataFormat !== 'channelsLast' || dilations.some((d) => d !== 1) || !hasKernel(tf.FusedConv2D)) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(
      () =>
        tf.engine().runKernel(tf.FusedConv2D, { x: single(inputs), filter: s.kernel.read(), ...(s.bias ? { bias: s.bias.read() } : {}) }, {
          strides: s.strides,
          pad: s.padding === 'same' ? 'same' : 'valid',
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
          activation,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
  }
}

/**
 * tfjs-layers' `Dense` (kernel `[inFeatures, units]`, bias `[units]`) whose forward on rank-2 input is one
 * `_FusedMatMul` kernel (matmul + bias + activation) in training too, differentiated by
 * {@link registerFusedGradients}. Other activations and inputs of rank > 2 run tfjs-layers' own code.
 * Serialises as `Dense`.
 *
 * Input `[batch, inFeatures]` float32 → output `[batch, units]`.
 */
export class Dense extends stockLayerClass<DenseCtor>('Dense') {
  /** Serialisation class name: the stock layer's, so saved models load as tfjs-layers' `Dense`. */
  static className = 'Dense';

  constructor(args: DenseLayerArgs) {
    super(args);
    registerFusedGradients();
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as DenseState;
    const activation = fusedActivation(s.activation);
    const x = single(inputs);
    if (activation == null || x.rank !== 2 || !hasKernel(tf._FusedMatMul)) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      s.invokeCallHook(inputs, kwargs);
      return tf.engine().runKernel(tf._FusedMatMul, { a: x, b: s.kernel.read(), ...(s.bias ? { bias: s.bias.read() } : {}) }, {
        transposeA: false,
        transposeB: false,
        activation,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  }
}

/**
 * A {@link Conv2D} layer; takes tfjs-layers' `conv2d` arguments (`filters`, `kernelSize`, `strides`,
 * `padding`, `activation`, `useBias`, initialisers, `name`, ...; defaults as there).
 * @throws Error on arguments tfjs-layers rejects.
 */
export function conv2d(args: ConvLayerArgs): Conv2D {
  return new Conv2D(args);
}

/**
 * A {@link Dense} layer; takes tfjs-layers' `dense` arguments (`units`, `activation`, `useBias`,
 * initialisers, `name`, ...; defaults as there).
 * @throws Error on arguments tfjs-layers rejects.
 */
export function dense(args: DenseLayerArgs): Dense {
  return new Dense(args);
}
