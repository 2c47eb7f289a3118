/**
 * Types of the native oneDNN addon's interface (what `onednn_binding.node` exports), and the list of its
 * functions the loader checks, typed from the interface.
 *
 * Every kernel function is zero-copy: it reads the `Float32Array`s the CPU backend already holds and writes
 * into a preallocated output `Float32Array`. Geometry is passed as an `Int32Array` of parameters.
 *
 * Adding a native function: declare it in {@link OnednnBinding}; the compiler then asks for its entry in
 * `REQUIRED` below (the loader refuses an addon that lacks it: a stale build).
 */

/** Library facts reported by {@link OnednnBinding.getInfo}. */
export interface OnednnInfo {
  /** oneDNN version, e.g. `"2.6.3"`. */
  onednnVersion: string;
  /** oneDNN git hash, or `"N/A"`. */
  onednnHash: string;
  /** OpenMP threads oneDNN and the native loops use (`omp_get_max_threads()`). */
  threads: number;
  /** The CPU instruction set oneDNN dispatches to, e.g. `"avx2"`, `"avx512_core"`. */
  isa: string;
  /**
   * The version of the addon's own vector kernels (GCC `target_clones`) this CPU runs: `"avx512f"`, `"avx2"` or
   * `"default"` (baseline x86-64, as on a CPU without AVX2, and on other architectures).
   */
  kernelIsa: string;
  /** Absolute path of the libdnnl shared library the process loaded (`""` when unknown). */
  libraryPath: string;
  /** Primitives currently held in the cache. */
  cachedPrimitives: number;
}

/** One primitive the addon created: the tfjs kernel, its cache key (dims/attrs) and oneDNN's `impl_info_str()`. */
export interface PrimitiveImpl {
  kernel: string;
  key: string;
  /** e.g. `"jit:avx2"`, `"brg:avx2"`, `"gemm:jit"`; a `"ref:"` prefix means a slow reference implementation. */
  impl: string;
}

/**
 * How 3x3, stride-1, undilated convolutions (forward, backward data, backward filter) run:
 * - `'auto'` (default): Winograd (Lavin & Gray 2016; tile: {@link WinogradTile}) when both channel counts are
 *   ≥ 16, where F(4x4) is 1.3–3× faster than oneDNN's direct kernels on 2 cores (AVX2 and AVX-512); oneDNN's
 *   direct primitives otherwise (a fixed rule, so results are bit-identical from run to run);
 * - `'direct'`: always oneDNN's direct primitives;
 * - `'winograd'`: Winograd wherever the geometry allows (tests, benchmarks).
 * The process-wide default comes from the environment variable `ONEDNN_CONV_ALGO` (unset: `'auto'`).
 * Winograd results differ from direct convolution by rounding only (relative error ~1e-6 for F(2x2), ~1e-5 for
 * F(4x4) in float32).
 */
export type ConvAlgorithm = 'auto' | 'direct' | 'winograd';

/**
 * The output tile of the Winograd convolutions in training (forward, backward data, backward weights), F(m x m,
 * 3x3): (m+2)² multiplications per m² outputs and channel pair (direct: 9m²), at a float32 error that grows with m
 * (relative RMS over 256 channels: F(2x2) 5e-7, F(3x3) 1.8e-6, F(4x4) 3.3e-6, F(5x5) 5.1e-6, F(6x6) 6.5e-6,
 * F(7x7) 6.6e-5; bf16 convolutions ~2e-3):
 * - `'auto'` (default): per pass, from its output size, the m with the fewest multiplications (a larger m only
 *   when it saves over 15%): airbench94's 31x31 layer F(4x4), 15x15 F(5x5), 7x7 F(7x7), 3x3 F(3x3);
 * - `2` … `7`: that tile everywhere (`4`: the default before 'auto').
 * The process-wide default comes from the environment variable `ONEDNN_WINOGRAD_TILE` (`2` … `7`; unset or any
 * other value: `'auto'`).
 */
export type WinogradTile = 'auto' | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * Compute precision of the training convolutions (forward, backward data, backward weights) and matmuls:
 * - `'float32'` (default): float32 throughout;
 * - `'bf16'`: mixed precision as in PyTorch's `torch.autocast(device_type='cpu', dtype=torch.bfloat16)`: the
 *   kernel converts its float32 inputs (src, weights, diff_dst) to bfloat16 and oneDNN runs bf16 primitives
 *   (AMX or AVX512_BF16) that accumulate and write float32 (dst, diff_src, diff_weights). Tensors seen by tfjs,
 *   the master weights, batch norm, the optimizer and the loss stay float32. Winograd is not used in bf16.
 *   Needs a CPU on which oneDNN dispatches to AVX512_BF16 or AMX (Intel Cooper Lake / Sapphire Rapids and newer,
 *   AMD Zen 4 and newer).
 */
export type Precision = 'float32' | 'bf16';

/** The native half of {@link InferenceGraph} (graph.cc). */
export interface NativeInferenceGraph {
  /** Runs the graph on `batch` inputs (NHWC float32, row-major) into `output` (`[batch, classes]` float32). */
  run(input: Float32Array, batch: number, output: Float32Array): void;
  /** Mean milliseconds per op over `reps` runs (after one warm-up run). */
  profile(input: Float32Array, batch: number, reps: number): Float64Array;
  /** Per-sample output shape `[h, w, c]` (`[1, 1, n]` for a vector). */
  outputShape(): [number, number, number];
  /** The oneDNN implementation name of each op at batch size `batch` (e.g. `brg_conv_fwd:avx2`). */
  implementations(batch: number): string[];
  /** Frees the native primitives and buffers; the graph cannot run afterwards. */
  dispose(): void;
}

/**
 * The native functions. Conv params (`Int32Array`, 17): `N, H, W, IC, OH, OW, OC, KH, KW, strideH, strideW,
 * dilationH, dilationW, padTop, padLeft, padBottom, padRight`. Pool params (14): `N, H, W, C, OH, OW, KH, KW,
 * strideH, strideW, padTop, padLeft, padBottom, padRight`. MatMul params (7): `batchA, batchB, M, K, N,
 * transposeA, transposeB`. Activations are NHWC, filters HWIO `[fh, fw, inC, outC]`.
 */
export interface OnednnBinding {
  /** oneDNN version, ISA, threads and the libdnnl path (see {@link OnednnInfo}). */
  getInfo(): OnednnInfo;
  /** Builds a native inference graph (see {@link InferenceGraph}); throws naming the op on a bad description. */
  InferenceGraph: new (
    ops: readonly object[],
    inputShape: Int32Array,
    winogradTile: number,
    blockedLayouts: boolean,
  ) => NativeInferenceGraph;
  /** The oneDNN primitives created so far with their implementation names (see {@link PrimitiveImpl}). */
  getPrimitiveImpls(): PrimitiveImpl[];
  /** Drops cached primitives and the impl records. */
  clearCache(): void;
  /** The algorithm of 3x3 stride-1 convolutions (see {@link ConvAlgorithm}). */
  getConvAlgorithm(): ConvAlgorithm;
  /** Sets it process-wide. @throws TypeError for any other string. */
  setConvAlgorithm(mode: ConvAlgorithm): void;
  /** The Winograd tile of training convolutions (see {@link WinogradTile}). */
  getWinogradTile(): WinogradTile;
  /** Sets it process-wide. @throws TypeError for anything but 2 or 4. */
  setWinogradTile(tile: WinogradTile): void;
  /** The compute precision of conv and matmul primitives (see {@link Precision}). */
  getPrecision(): Precision;
  /**
   * Sets it process-wide. @throws TypeError for anything but `'float32'` or `'bf16'`; Error for `'bf16'` on a
   * CPU without AVX512_BF16 / AMX.
   */
  setPrecision(precision: Precision): void;
  /** Whether oneDNN dispatches to an ISA with bf16 dot products (AVX512_BF16 or AMX) on this CPU. */
  bf16Supported(): boolean;
  /** 2-D convolution, NHWC × HWIO filter (+ bias, + ReLU) into `out` (NHWC); `params` from the backend's conv geometry. */
  conv2dForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, relu: boolean): void;
  /** Gradient of a convolution with respect to its input: `dy` (NHWC) × filter (HWIO) into `out` (NHWC). */
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Gradient of a convolution with respect to its filter: `x` and `dy` (NHWC) into `out` (HWIO). */
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Max pooling, NHWC. */
  maxPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Gradient of max pooling: `dy` routed to each window's argmax of `x` (NHWC). */
  maxPoolGrad(dy: Float32Array, x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Average pooling, NHWC. */
  avgPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Gradient of average pooling: `dy` spread evenly over each window (NHWC). */
  avgPoolGrad(dy: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Matrix product `a·b` (+ bias, + ReLU) into `out`; `params` holds the shapes and transposes. */
  matMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, relu: boolean): void;
  /** `out = max(x, 0)` over `n` elements. */
  relu(x: Float32Array, out: Float32Array, n: number): void;
  /** `out = x > 0 ? 1 : alpha` over `n` elements (tfjs `Step`, the ReLU gradient mask). */
  step(x: Float32Array, out: Float32Array, n: number, alpha: number): void;
  /**
   * ReLU's gradient through its output and the bias gradient, one pass over `rows × channels` values:
   * `dz = y > 0 ? dy : 0` (NaN where `y` is NaN), `dbias[c] = Σ_rows dz[·, c]` (double accumulation).
   */
  reluBiasGrad(dy: Float32Array, y: Float32Array, dz: Float32Array, dbias: Float32Array, rows: number, channels: number): void;
  /**
   * op: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 squared difference; mode: 0 same shape, 1 b is a
   * row, 2 a is a row, 3 b scalar, 4 a scalar.
   */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, outer: number, inner: number, mode: number): void;
  /**
   * General broadcast over a collapsed 4-d output `dims`: `out[i] = op(a[Σ i_k·aStrides_k], b[Σ i_k·bStrides_k])`;
   * the innermost strides are 0 (broadcast) or 1. op as in {@link OnednnBinding.binary}.
   */
  binaryStrided(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array, aStrides: Int32Array, bStrides: Int32Array): void;
  /**
   * `out[b, o, i, :] = x[b, o, indices[b, i], :]` for x `[batch, outer, dimSize, slice]`, indices `[batch, count]`
   * (tfjs GatherV2 after its reshape). Returns false, writing nothing, when an index is outside `[0, dimSize)`.
   */
  gather(x: Float32Array, indices: Int32Array, out: Float32Array, batch: number, outer: number, dimSize: number, slice: number, count: number): boolean;
  /** `out = min(max(x, lo), hi)`, NaN passing through (tfjs ClipByValue). */
  clip(x: Float32Array, out: Float32Array, n: number, lo: number, hi: number): void;
  /**
   * Training-mode batch norm over the last axis of `[rows, channels]`: writes `y`, the batch `mean` and the
   * biased batch `variance` (`[channels]` each); `y = (x − mean)·gamma/sqrt(variance + eps) + beta`.
   */
  batchNormTrain(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    rows: number,
    channels: number,
    eps: number,
  ): void;
  /**
   * Closed-form batch-norm gradient: `dx = gamma·invstd/N·(N·dy − Σdy − x̂·Σ(dy·x̂))`, `dgamma = Σ(dy·x̂)`,
   * `dbeta = Σdy` (sums over rows, `invstd = 1/sqrt(variance + eps)`, `x̂ = (x − mean)·invstd`).
   */
  batchNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    rows: number,
    channels: number,
    eps: number,
  ): void;
  /** `out[j] = Σ_i x[i·inner + j] / divisor` (divisor default 1; Mean passes the count). */
  sumOuter(x: Float32Array, out: Float32Array, outer: number, inner: number, divisor?: number): void;
  /** `out[i] = Σ_j x[i·inner + j] / divisor`. */
  sumInner(x: Float32Array, out: Float32Array, outer: number, inner: number, divisor?: number): void;
  /** `out = x²` over `n` elements. */
  square(x: Float32Array, out: Float32Array, n: number): void;
  /** `out` = the `rowLen` values of `x` repeated `rows` times. */
  tileRows(x: Float32Array, out: Float32Array, rows: number, rowLen: number): void;
  /** Per last-axis channel: `out = offset + (x - mean) · scale / sqrt(variance + eps)`; each vector has `channels` values. */
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    outer: number,
    channels: number,
    eps: number,
  ): void;
  /** scalars (8): weightDecay, beta1, 1-beta1, beta2, 1-beta2, sqrt(1-beta2^t), eps, lr/(1-beta1^t). */
  adamUpdate(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array | null,
    v: Float32Array | null,
    vmax: Float32Array | null,
    outParam: Float32Array,
    outM: Float32Array,
    outV: Float32Array,
    outVmax: Float32Array | null,
    n: number,
    amsgrad: boolean,
    scalars: Float32Array,
  ): void;
  /** scalars (5): weightDecay, momentum, 1-dampening, lr, 0. `outBuf` null means no momentum. */
  sgdUpdate(
    param: Float32Array,
    grad: Float32Array,
    buf: Float32Array | null,
    outParam: Float32Array,
    outBuf: Float32Array | null,
    n: number,
    nesterov: boolean,
    scalars: Float32Array,
  ): void;
  /** scalars (2): weight, 1 − weight. `outAvg = torch.lerp(avg, param, weight)` (see `CnnEmaUpdate`). */
  emaUpdate(avg: Float32Array, param: Float32Array, outAvg: Float32Array, n: number, scalars: Float32Array): void;
  /** `out = x·Φ(x)` (exact GELU, see `CnnGelu`). */
  gelu(x: Float32Array, out: Float32Array, n: number): void;
  /** `out = dy·(Φ(x) + x·φ(x))`. */
  geluGrad(dy: Float32Array, x: Float32Array, out: Float32Array, n: number): void;
}

/** The names of {@link OnednnBinding}'s members that are functions (or constructors). */
export type NativeFunctionName = {
  [K in keyof OnednnBinding]-?: OnednnBinding[K] extends (...args: never[]) => unknown
    ? K
    : OnednnBinding[K] extends abstract new (
          ...args: never[]
        ) => unknown
      ? K
      : never;
}[keyof OnednnBinding];

/** One entry per native function: a member added to {@link OnednnBinding} and missing here fails to compile. */
const REQUIRED: Record<NativeFunctionName, true> = {
  getInfo: true,
  getPrimitiveImpls: true,
  clearCache: true,
  getConvAlgorithm: true,
  setConvAlgorithm: true,
  getWinogradTile: true,
  setWinogradTile: true,
  getPrecision: true,
  setPrecision: true,
  bf16Supported: true,
  conv2dForward: true,
  conv2dBackwardData: true,
  conv2dBackwardFilter: true,
  maxPool: true,
  maxPoolGrad: true,
  avgPool: true,
  avgPoolGrad: true,
  matMul: true,
  relu: true,
  step: true,
  reluBiasGrad: true,
  binary: true,
  binaryStrided: true,
  clip: true,
  gather: true,
  sumOuter: true,
  sumInner: true,
  square: true,
  tileRows: true,
  batchNorm: true,
  batchNormTrain: true,
  batchNormGrad: true,
  adamUpdate: true,
  sgdUpdate: true,
  emaUpdate: true,
  gelu: true,
  geluGrad: true,
  InferenceGraph: true,
};

/** Every function an addon must export; a build that lacks one is stale (`loadBinding` refuses it). */
export const REQUIRED_FUNCTIONS: readonly NativeFunctionName[] = Object.keys(REQUIRED) as NativeFunctionName[];
