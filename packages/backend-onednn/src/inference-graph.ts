/**
 * A whole feed-forward CNN run natively in one call: the inference path ONNX Runtime takes, on this backend's
 * kernels. Build it from a list of ops (`@cnn/deploy`'s `compileNative` builds it from a tfjs-layers model).
 */
import { getBinding, type NativeInferenceGraph } from './binding.js';
import { OnednnError } from './binding-diagnostics.js';

/** Activation fused into an op. */
export type GraphActivation = 'linear' | 'relu';

/** A 2-D convolution: `y = act(conv(x, filter) + bias)`, NHWC, filter HWIO `[kh, kw, inChannels, outChannels]`. */
export interface Conv2DGraphOp {
  op: 'conv2d';
  inputs: [number];
  filter: Float32Array;
  bias?: Float32Array;
  kernel: [number, number];
  strides: [number, number];
  /** tfjs convention: 1 = dense. */
  dilations: [number, number];
  /** Explicit padding `[top, left, bottom, right]` (resolve `'same'` before). */
  pads: [number, number, number, number];
  outChannels: number;
  activation?: GraphActivation;
}

/** Max or average pooling (average excludes padding, as tfjs). */
export interface PoolGraphOp {
  op: 'maxPool' | 'avgPool';
  inputs: [number];
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
}

/** A dense layer over the last axis: `y = act(x · weights + bias)`, weights `[inFeatures, units]`. */
export interface DenseGraphOp {
  op: 'dense';
  inputs: [number];
  weights: Float32Array;
  bias?: Float32Array;
  units: number;
  activation?: GraphActivation;
}

/** Per-channel `y = act(x · scale + offset)` (a batch normalisation not folded into a convolution). */
export interface AffineGraphOp {
  op: 'affine';
  inputs: [number];
  scale: Float32Array;
  offset: Float32Array;
  activation?: GraphActivation;
}

/** Element-wise sum of same-shape inputs (residual connections), then the activation. */
export interface AddGraphOp {
  op: 'add';
  inputs: number[];
  activation?: GraphActivation;
}

/** Concatenation along the channel (last) axis. */
export interface ConcatGraphOp {
  op: 'concat';
  inputs: number[];
}

/**
 * Ops without attributes: relu, gelu (exact, `x·Φ(x)`, as the backend's `Gelu` kernel and PyTorch's
 * `nn.GELU()`), softmax (last axis), global average pooling, flatten / identity (no copy).
 */
export interface SimpleGraphOp {
  op: 'relu' | 'gelu' | 'softmax' | 'globalAvgPool' | 'flatten' | 'identity';
  inputs: [number];
}

/**
 * One op of an {@link InferenceGraph}. `inputs` are value ids: 0 is the graph input, op `i` produces value
 * `i + 1`; the last op's value is the output.
 */
export type GraphOp = Conv2DGraphOp | PoolGraphOp | DenseGraphOp | AffineGraphOp | AddGraphOp | ConcatGraphOp | SimpleGraphOp;

/** Options of {@link InferenceGraph}. */
export interface InferenceGraphOptions {
  /**
   * The algorithm of the 3x3 stride-1 convolutions.
   * - `'auto'` (default): tuned per batch size, as `torch.backends.cudnn.benchmark`: when the plan of a batch
   *   size is built (its first `run`), each such convolution with ≥ 16 channels on each side runs oneDNN's direct
   *   kernel, Winograd F(2x2, 3x3) and F(4x4, 3x3) on that batch (one warm-up run, then the best of two timed
   *   runs) and keeps the fastest, or the most accurate within 3% of it (direct, then F(2x2), then F(4x4));
   *   `implementations()` shows the times. That first call takes a few times longer
   *   (~2 s for CIFAR10Net at batch 256) and the choice can differ between runs when two are close, so results
   *   can differ by ~1e-5 relative between processes.
   * - `'training'`: wherever the training kernels pick Winograd (≥ 16 channels each side, unless
   *   `setConvAlgorithm` says otherwise), the tile their default `'auto'` setting takes for the convolution's
   *   output size (see {@link WinogradTile}: airbench94's 31x31 layer F(4x4), 15x15 F(5x5), 7x7 F(7x7), 3x3
   *   F(3x3)), so inference rounds as training did.
   * - `2` … `7`: F(m x m, 3x3) there (`4`: 36 multiplications per 16 outputs, ~1e-5 relative error; `2`: ~1e-6;
   *   `7`: ~1e-4); `0`: oneDNN's direct kernels only.
   * All but `'auto'` are deterministic.
   */
  winogradTile?: 'auto' | 'training' | 0 | 2 | 3 | 4 | 5 | 6 | 7;
  /**
   * Let oneDNN's direct convolutions with a multiple of 8 output channels (and the pooling after them) keep
   * oneDNN's blocked layout (nChw8c on AVX2, ~20% faster than NHWC for 5x5 layers), with reorders to NHWC where
   * another op reads the value. Default `true`; `false` keeps every value NHWC.
   */
  blockedLayouts?: boolean;
}

/**
 * A native inference graph over float32 NHWC images: every op runs on oneDNN primitives or the backend's
 * native loops (3x3 stride-1 convolutions with 16+ channels each side on Winograd or oneDNN's direct kernel, as
 * `winogradTile` says; a Winograd filter transform is made once per graph, oneDNN's filter layouts once per
 * batch size), with no tfjs dispatch between them. For each batch size it keeps a plan (primitives and
 * activation buffers, assigned by liveness) and reuses it. Results equal tfjs' `predict` on this backend up to
 * float32 rounding (~1e-5 relative where F(4x4, 3x3) runs, ~1e-6 with `winogradTile: 2` or `0`); a relu keeps
 * NaN, as tfjs' `Relu`.
 *
 * Not thread-safe (one call at a time, like the rest of the binding); `dispose()` frees the native memory.
 */
export class InferenceGraph {
  /** Per-sample input shape `[height, width, channels]`. */
  readonly inputShape: [number, number, number];
  /** Per-sample output shape `[height, width, channels]` (`[1, 1, n]` for logits). */
  readonly outputShape: [number, number, number];
  private native: NativeInferenceGraph | null;

  /**
   * @param inputShape - `[height, width, channels]` of one input image.
   * @param ops - The ops, in order (see {@link GraphOp}).
   * @param options - See {@link InferenceGraphOptions}.
   * @throws Error naming the op index when an op is unknown, refers to a later value, has weights of the wrong
   *   length, or does not fit its input shape; RangeError for a `winogradTile` other than 'auto', 'training', 0, 2 … 7.
   * @throws OnednnUnavailableError when the native addon cannot load.
   */
  constructor(inputShape: [number, number, number], ops: readonly GraphOp[], options: InferenceGraphOptions = {}) {
    const tile = options.winogradTile ?? 'auto';
    if (!(tile === 'auto' || tile === 'training' || tile === 0 || (Number.isInteger(tile) && tile >= 2 && tile <= 7))) {
      throw new RangeError(`InferenceGraph: winogradTile must be 'auto', 'training', 0 or 2 … 7, got ${JSON.stringify(tile)}`);
    }
    const code = tile === 'auto' ? -1 : tile === 'training' ? -2 : tile;
    this.native = new (getBinding().InferenceGraph)(ops, Int32Array.from(inputShape), code, options.blockedLayouts ?? true);
    this.inputShape = [...inputShape];
    this.outputShape = this.native.outputShape();
  }

  /** Output elements per sample. */
  get outputSize(): number {
    return this.outputShape[0] * this.outputShape[1] * this.outputShape[2];
  }

  /**
   * Runs the graph on `batch` images (the first call at a batch size builds its plan: primitives, buffers and,
   * with `winogradTile: 'auto'`, the convolution tuning).
   * @param input - `[batch, ...inputShape]` float32, NHWC, flattened.
   * @param batch - Number of images (a positive integer).
   * @param output - Optional destination of `batch × outputSize` floats (allocated when omitted).
   * @returns `output`: `[batch, ...outputShape]` flattened.
   * @throws Error when the graph is disposed, `batch` is not a positive integer or a buffer is too short.
   */
  run(input: Float32Array, batch: number, output = new Float32Array(batch * this.outputSize)): Float32Array {
    this.live().run(input, batch, output);
    return output;
  }

  /**
   * Where the time goes: each op's implementation and its mean wall time in milliseconds over `reps` runs
   * (default 10, after one warm-up run) on `input` (`batch` images).
   */
  profile(input: Float32Array, batch: number, reps = 10): { op: string; ms: number }[] {
    const native = this.live();
    const ms = native.profile(input, batch, reps);
    return native.implementations(batch).map((op, i) => ({ op, ms: ms[i]! }));
  }

  /** The implementation each op runs at `batch` (default 1), e.g. `conv2d jit:avx2` (builds that plan). */
  implementations(batch = 1): string[] {
    return this.live().implementations(batch);
  }

  /** Frees the native plans and weights; later calls throw. Safe to call twice. */
  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }

  private live(): NativeInferenceGraph {
    if (!this.native) throw new OnednnError('InferenceGraph: used after dispose()', { code: 'ERR_CNN_ONEDNN_DISPOSED' });
    return this.native;
  }
}
