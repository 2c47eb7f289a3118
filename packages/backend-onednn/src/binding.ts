/**
 * Typed interface and loader of the native oneDNN addon (`build/Release/onednn_binding.node`).
 *
 * Every kernel function is zero-copy: it reads the `Float32Array`s the CPU backend already holds and writes
 * into a preallocated output `Float32Array`. Geometry is passed as an `Int32Array` of parameters.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * The output tile of the Winograd convolutions in training (forward, backward data, backward weights):
 * - `4` (default): F(4x4, 3x3), 36 multiplications per 16 outputs and channel pair (direct: 144), ~1e-5 relative
 *   error in float32;
 * - `2`: F(2x2, 3x3), 16 per 4 outputs (direct: 36), ~1e-6 relative error.
 * The process-wide default comes from the environment variable `ONEDNN_WINOGRAD_TILE` (`2` or `4`).
 */
export type WinogradTile = 2 | 4;

/** The native half of {@link InferenceGraph} (graph.cc). */
export interface NativeInferenceGraph {
  run(input: Float32Array, batch: number, output: Float32Array): void;
  /** Mean milliseconds per op over `reps` runs (after one warm-up run). */
  profile(input: Float32Array, batch: number, reps: number): Float64Array;
  /** Per-sample output shape `[h, w, c]` (`[1, 1, n]` for a vector). */
  outputShape(): [number, number, number];
  implementations(batch: number): string[];
  dispose(): void;
}

/**
 * The native functions. Conv params (`Int32Array`, 17): `N, H, W, IC, OH, OW, OC, KH, KW, strideH, strideW,
 * dilationH, dilationW, padTop, padLeft, padBottom, padRight`. Pool params (14): `N, H, W, C, OH, OW, KH, KW,
 * strideH, strideW, padTop, padLeft, padBottom, padRight`. MatMul params (7): `batchA, batchB, M, K, N,
 * transposeA, transposeB`. Activations are NHWC, filters HWIO `[fh, fw, inC, outC]`.
 */
export interface OnednnBinding {
  getInfo(): OnednnInfo;
  /** Builds a native inference graph (see {@link InferenceGraph}); throws naming the op on a bad description. */
  InferenceGraph: new (
    ops: readonly object[],
    inputShape: Int32Array,
    winogradTile: number,
    blockedLayouts: boolean,
  ) => NativeInferenceGraph;
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
  conv2dForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, relu: boolean): void;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, out: Float32Array, params: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, out: Float32Array, params: Int32Array): void;
  maxPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, out: Float32Array, params: Int32Array): void;
  avgPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  avgPoolGrad(dy: Float32Array, out: Float32Array, params: Int32Array): void;
  matMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, relu: boolean): void;
  relu(x: Float32Array, out: Float32Array, n: number): void;
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

/** Install instructions shown whenever the addon cannot be used. */
export const INSTALL_HINT = [
  'Install oneDNN, then rebuild the addon:',
  '  Debian/Ubuntu: apt-get install libdnnl-dev',
  '  macOS:         brew install onednn',
  'then: pnpm rebuild @cnn/backend-onednn   (or: npm rebuild @cnn/backend-onednn)',
].join('\n');

/** Thrown when the native addon is missing or cannot load oneDNN; the message names the path and the fix. */
export class OnednnUnavailableError extends Error {
  /** The addon path that was tried. */
  readonly addonPath: string;
  private readonly onednnUnavailable = true;

  constructor(addonPath: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`@cnn/backend-onednn: cannot load the native addon at ${addonPath}: ${reason}\n${INSTALL_HINT}`);
    this.name = 'OnednnUnavailableError';
    this.addonPath = addonPath;
  }

  /** True for any OnednnUnavailableError, even one from another copy of this module. */
  static isInstance(error: unknown): error is OnednnUnavailableError {
    return typeof error === 'object' && error !== null && (error as { onednnUnavailable?: unknown }).onednnUnavailable === true;
  }
}

function moduleDir(): string {
  // tsup shims import.meta.url in the CJS build.
  return dirname(fileURLToPath(import.meta.url));
}

/** Absolute path of the addon: `<package>/build/Release/onednn_binding.node` (from `src/` or `dist/`). */
export function defaultAddonPath(): string {
  return resolve(moduleDir(), '..', 'build', 'Release', 'onednn_binding.node');
}

const REQUIRED_FUNCTIONS: readonly (keyof OnednnBinding)[] = [
  'getInfo',
  'getPrimitiveImpls',
  'clearCache',
  'getConvAlgorithm',
  'setConvAlgorithm',
  'getWinogradTile',
  'setWinogradTile',
  'conv2dForward',
  'conv2dBackwardData',
  'conv2dBackwardFilter',
  'maxPool',
  'maxPoolGrad',
  'avgPool',
  'avgPoolGrad',
  'matMul',
  'relu',
  'step',
  'reluBiasGrad',
  'binary',
  'binaryStrided',
  'clip',
  'gather',
  'sumOuter',
  'sumInner',
  'square',
  'tileRows',
  'batchNorm',
  'batchNormTrain',
  'batchNormGrad',
  'adamUpdate',
  'sgdUpdate',
  'emaUpdate',
  'gelu',
  'geluGrad',
  'InferenceGraph',
];

/**
 * Loads the addon from `path` (default {@link defaultAddonPath}).
 *
 * @throws OnednnUnavailableError when the file is missing, libdnnl cannot be loaded, or the addon is stale
 *   (a function is missing); the message names the path and `apt-get install libdnnl-dev` /
 *   `brew install onednn` / `pnpm rebuild @cnn/backend-onednn`.
 */
export function loadBinding(path: string = defaultAddonPath()): OnednnBinding {
  if (!existsSync(path)) {
    throw new OnednnUnavailableError(path, new Error('file not found (the install script could not build it)'));
  }
  let binding: OnednnBinding;
  try {
    binding = createRequire(import.meta.url)(path) as OnednnBinding;
  } catch (error) {
    throw new OnednnUnavailableError(path, error);
  }
  const missing = REQUIRED_FUNCTIONS.filter((name) => typeof binding[name] !== 'function');
  if (missing.length > 0) {
    throw new OnednnUnavailableError(path, new Error(`stale addon, missing functions: ${missing.join(', ')}`));
  }
  return binding;
}

let cached: OnednnBinding | undefined;
let cachedError: unknown;

/**
 * The process-wide binding, loaded once.
 *
 * @throws OnednnUnavailableError (the same one on every call) when it cannot be loaded.
 */
export function getBinding(): OnednnBinding {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  try {
    cached = loadBinding();
    return cached;
  } catch (error) {
    cachedError = error;
    throw error;
  }
}

/** True when the native addon and libdnnl load; never throws. */
export function isOnednnAvailable(): boolean {
  try {
    getBinding();
    return true;
  } catch {
    return false;
  }
}
