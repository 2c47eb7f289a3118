/**
 * Typed interface and loader of the native oneDNN addon: the prebuilt of the per-platform optional package
 * `@cnn/backend-onednn-linux-x64` (`prebuilt/onednn_binding.node`, libdnnl bundled beside it and loaded through
 * its RUNPATH `$ORIGIN`) when it is installed and fits this host, else the source build
 * `build/Release/onednn_binding.node`.
 *
 * Every kernel function is zero-copy: it reads the `Float32Array`s the CPU backend already holds and writes
 * into a preallocated output `Float32Array`. Geometry is passed as an `Int32Array` of parameters.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
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
 * The output tile of the Winograd convolutions in training (forward, backward data, backward weights):
 * - `4` (default): F(4x4, 3x3), 36 multiplications per 16 outputs and channel pair (direct: 144), ~1e-5 relative
 *   error in float32;
 * - `2`: F(2x2, 3x3), 16 per 4 outputs (direct: 36), ~1e-6 relative error.
 * The process-wide default comes from the environment variable `ONEDNN_WINOGRAD_TILE` (`2` or `4`).
 */
export type WinogradTile = 2 | 4;

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

/** The command that builds the addon from the installed package's sources (`--build-from-source` skips the prebuilt). */
export const BUILD_FROM_SOURCE_COMMAND = 'npm rebuild @cnn/backend-onednn --build-from-source';

/** What a source build needs, and the command; shown whenever the addon cannot be used. */
export const INSTALL_HINT = [
  'Build the addon from source; it needs a C++17 compiler, make, python3 and oneDNN 2.x or 3.x:',
  '  Debian/Ubuntu: apt-get install g++ make python3 libdnnl-dev',
  '  macOS:         xcode-select --install && brew install onednn',
  `then: ${BUILD_FROM_SOURCE_COMMAND}   (pnpm: pnpm rebuild @cnn/backend-onednn)`,
].join('\n');

/** The platform the prebuilt addon is made for (`<platform>-<arch>`, glibc). */
export const PREBUILT_TARGET = 'linux-x64';

/**
 * The optional dependency that carries the prebuilt for {@link PREBUILT_TARGET} (`os`/`cpu`/`libc` fields, so npm
 * installs it on linux-x64 with glibc only; the pattern of sharp and esbuild).
 */
export const PREBUILT_PACKAGE = '@cnn/backend-onednn-linux-x64';

/** Where an addon comes from: this package's source build, its prebuilt, or a path the caller gave. */
export type AddonKind = 'source build' | 'prebuilt' | 'custom';

/** One addon the loader tried and why it could not be used. */
export interface AddonAttempt {
  kind: AddonKind;
  /** The addon path, or a description when there was no file to try. */
  path: string;
  reason: string;
}

/** Thrown when no native addon can be used; the message names the platform, every attempt and the fix. */
export class OnednnUnavailableError extends Error {
  /** The addon path that was tried (the first attempt's). */
  readonly addonPath: string;
  /** Every addon tried, in order. */
  readonly attempts: readonly AddonAttempt[];
  private readonly onednnUnavailable = true;

  /**
   * @param addonPath the addon that was tried (for one attempt), or the first of `attempts`.
   * @param cause why it failed (Error or string); ignored when `attempts` is given.
   * @param attempts every attempt when the loader tried several; default one `{kind: 'custom', addonPath, cause}`.
   * @param host the platform named in the message; default {@link hostPlatform}().
   */
  constructor(addonPath: string, cause: unknown, attempts?: readonly AddonAttempt[], host: HostPlatform = hostPlatform()) {
    const list = attempts ?? [{ kind: 'custom' as const, path: addonPath, reason: describeLoadError(cause) }];
    const where = `${host.platform}-${host.arch}${host.platform === 'linux' ? ` (${host.libc ?? 'unknown libc'})` : ''}`;
    super(
      [`@cnn/backend-onednn: cannot load the native addon on ${where}. Tried:`, ...list.map((a) => `  - ${a.kind} ${a.path}: ${a.reason}`), INSTALL_HINT].join(
        '\n',
      ),
    );
    this.name = 'OnednnUnavailableError';
    this.addonPath = addonPath;
    this.attempts = list;
  }

  /** True for any OnednnUnavailableError, even one from another copy of this module. */
  static isInstance(error: unknown): error is OnednnUnavailableError {
    return typeof error === 'object' && error !== null && (error as { onednnUnavailable?: unknown }).onednnUnavailable === true;
  }
}

/** The host as the prebuilt cares about it: `process.platform`, `process.arch`, and on Linux the C library. */
export interface HostPlatform {
  platform: string;
  arch: string;
  /** `'glibc'` or `'musl'` on Linux (from `process.report`), `null` elsewhere. */
  libc: 'glibc' | 'musl' | null;
  /** glibc's version, e.g. `"2.36"`; `null` without glibc. */
  glibcVersion: string | null;
}

/** Describes this process's platform (see {@link HostPlatform}). */
export function hostPlatform(): HostPlatform {
  let glibcVersion: string | null = null;
  if (process.platform === 'linux') {
    const report = process.report as unknown as { excludeNetwork?: boolean; getReport(): object } | undefined;
    if (report) {
      const before = report.excludeNetwork;
      report.excludeNetwork = true; // the report otherwise resolves every network interface
      try {
        const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
        glibcVersion = header?.glibcVersionRuntime ?? null;
      } finally {
        report.excludeNetwork = before;
      }
    }
  }
  const libc = process.platform !== 'linux' ? null : glibcVersion ? 'glibc' : 'musl';
  return { platform: process.platform, arch: process.arch, libc, glibcVersion };
}

function moduleDir(): string {
  // tsup shims import.meta.url in the CJS build.
  return dirname(fileURLToPath(import.meta.url));
}

/** The package's root folder (the parent of `src/` or `dist/`). */
export function packageRoot(): string {
  return resolve(moduleDir(), '..');
}

/** Absolute path of the source build: `<package>/build/Release/onednn_binding.node`. */
export function defaultAddonPath(root: string = packageRoot()): string {
  return resolve(root, 'build', 'Release', 'onednn_binding.node');
}

/**
 * The folder of {@link PREBUILT_PACKAGE} as Node resolves it from the package folder `root`, or `null` when it is
 * not installed (another platform, `--omit=optional`, or a source-only install).
 */
export function prebuiltPackageDir(root: string = packageRoot()): string | null {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve(`${PREBUILT_PACKAGE}/package.json`));
  } catch {
    return null;
  }
}

/**
 * Absolute path of the prebuilt addon, `<@cnn/backend-onednn-linux-x64>/prebuilt/onednn_binding.node`, or `null`
 * when {@link PREBUILT_PACKAGE} is not installed.
 */
export function prebuiltAddonPath(root: string = packageRoot()): string | null {
  const dir = prebuiltPackageDir(root);
  return dir === null ? null : resolve(dir, 'prebuilt', 'onednn_binding.node');
}

/** `a >= b` for dotted versions like "2.36" and "2.34". */
function versionAtLeast(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return true;
}

/**
 * Why the prebuilt addon cannot serve `host`, or `null` when it can: it exists for linux-x64 with glibc at least
 * the version its manifest names (`manifestMinGlibc`).
 */
export function prebuiltUnsupportedReason(host: HostPlatform, manifestMinGlibc: string | null = null): string | null {
  const key = `${host.platform}-${host.arch}`;
  if (key !== PREBUILT_TARGET) {
    return `no prebuilt for ${key} (the one prebuilt, ${PREBUILT_PACKAGE}, is for ${PREBUILT_TARGET} with glibc)`;
  }
  if (host.libc !== 'glibc') {
    return `no prebuilt for ${key} with ${host.libc ?? 'an unknown C library'} (the prebuilt needs glibc)`;
  }
  if (manifestMinGlibc && host.glibcVersion && !versionAtLeast(host.glibcVersion, manifestMinGlibc)) {
    return `the prebuilt needs glibc >= ${manifestMinGlibc}, this system has ${host.glibcVersion}`;
  }
  return null;
}

/**
 * A load error in words: a truncated or corrupt file, a missing shared library, a C/C++ runtime too old, or the
 * loader's own message.
 */
export function describeLoadError(cause: unknown): string {
  const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
  if (
    /truncated: |file too short|invalid ELF header|not an ELF|ELF load command|wrong ELF class|unknown file type|slice is not valid|not a mach-o/i.test(message)
  ) {
    return `the file is truncated or corrupt (${message}); reinstall the package (npm install --force) or build from source`;
  }
  if (/GLIBC(XX)?_[0-9.]+' not found/.test(message)) {
    return `this system's C or C++ runtime is too old for it (${message})`;
  }
  if (/cannot open shared object file|Library not loaded/.test(message)) {
    return `a shared library it needs is missing (${message})`;
  }
  return message;
}

/**
 * Checks that a 64-bit little-endian ELF file (a Linux `.node` or `.so`) holds every byte its headers point at:
 * the program headers, each loadable segment and the section header table. dlopen maps a truncated file without
 * complaint and the process dies of SIGBUS when it touches the missing pages, so the loader checks first.
 *
 * @returns `null` when the file is complete or not such an ELF file (dlopen then reports what it is), else
 *   `"truncated: the file has N bytes, its ELF headers need M"`.
 */
export function elfTruncation(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 64) return null;
    // "\x7fELF", ELFCLASS64, ELFDATA2LSB
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const shoff = Number(header.readBigUInt64LE(0x28));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    let need = Math.max(phoff + phnum * phentsize, shnum > 0 ? shoff + shnum * shentsize : 0);
    if (phoff + phnum * phentsize <= size && phentsize >= 56) {
      const table = Buffer.alloc(phnum * phentsize);
      readSync(fd, table, 0, table.length, phoff);
      for (let i = 0; i < phnum; i++) {
        const at = i * phentsize;
        if (table.readUInt32LE(at) !== 1) continue; // PT_LOAD
        need = Math.max(need, Number(table.readBigUInt64LE(at + 0x08)) + Number(table.readBigUInt64LE(at + 0x20)));
      }
    }
    return need > size ? `truncated: the file has ${size} bytes, its ELF headers need ${need}` : null;
  } finally {
    closeSync(fd);
  }
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

/** Where each loaded binding came from (see {@link addonOrigin}). */
const origins = new WeakMap<object, { kind: AddonKind; addonPath: string }>();

function kindOf(path: string, root: string): AddonKind {
  const resolved = resolve(path);
  if (resolved === defaultAddonPath(root)) return 'source build';
  const prebuilt = prebuiltPackageDir(root);
  if (prebuilt !== null && resolved.startsWith(resolve(prebuilt, 'prebuilt') + sep)) return 'prebuilt';
  return 'custom';
}

/** Loads one addon file; throws `Error` with {@link describeLoadError}'s words. */
function requireAddon(path: string, kind: AddonKind): OnednnBinding {
  if (!existsSync(path)) {
    throw new Error(kind === 'source build' ? 'not built (the install used the prebuilt, or the source build failed or did not run)' : 'file not found');
  }
  const truncated = elfTruncation(path);
  if (truncated) throw new Error(describeLoadError(new Error(`${path}: ${truncated}`)));
  let binding: OnednnBinding;
  try {
    binding = createRequire(import.meta.url)(path) as OnednnBinding;
  } catch (error) {
    throw new Error(describeLoadError(error));
  }
  const missing = REQUIRED_FUNCTIONS.filter((name) => typeof binding[name] !== 'function');
  if (missing.length > 0) throw new Error(`stale addon, missing functions: ${missing.join(', ')} (rebuild it)`);
  origins.set(binding, { kind, addonPath: resolve(path) });
  return binding;
}

/** Options of {@link loadBinding}. */
export interface LoadBindingOptions {
  /** The package folder holding `build/`, from which {@link PREBUILT_PACKAGE} is resolved. Default: this package's. */
  root?: string;
  /** The host to load for. Default {@link hostPlatform}(). */
  host?: HostPlatform;
}

/**
 * Loads the native addon.
 *
 * With `path`, exactly that file. Without, the first of these that loads: the prebuilt of the optional package
 * {@link PREBUILT_PACKAGE} ({@link prebuiltAddonPath}) when it is installed and {@link prebuiltUnsupportedReason}
 * allows it on this host, then the source build ({@link defaultAddonPath}, present after a source build).
 *
 * @throws OnednnUnavailableError when none loads: the message names the platform, every attempt with its
 *   reason (file missing, truncated or corrupt, libdnnl missing, glibc too old, stale addon, unsupported
 *   platform) and {@link INSTALL_HINT} with {@link BUILD_FROM_SOURCE_COMMAND}.
 */
export function loadBinding(path?: string, opts: LoadBindingOptions = {}): OnednnBinding {
  const root = opts.root ?? packageRoot();
  if (path !== undefined) {
    const kind = kindOf(path, root);
    try {
      return requireAddon(path, kind);
    } catch (error) {
      throw new OnednnUnavailableError(path, error, [{ kind, path, reason: (error as Error).message }]);
    }
  }
  const attempts: AddonAttempt[] = [];
  const host = opts.host ?? hostPlatform();
  const prebuilt = prebuiltAddonPath(root);
  let manifest: { minGlibc?: string; libraries?: string[] } = {};
  if (prebuilt !== null) {
    try {
      manifest = JSON.parse(readFileSync(join(dirname(prebuilt), 'manifest.json'), 'utf8')) as typeof manifest;
    } catch {
      // no manifest: the load itself reports a glibc mismatch or a missing library
    }
  }
  const unsupported = prebuiltUnsupportedReason(host, manifest.minGlibc ?? null);
  if (unsupported) {
    attempts.push({ kind: 'prebuilt', path: PREBUILT_PACKAGE, reason: unsupported });
  } else if (prebuilt === null) {
    attempts.push({
      kind: 'prebuilt',
      path: PREBUILT_PACKAGE,
      reason: 'not installed (an optional dependency: npm leaves it out with --omit=optional or --no-optional; reinstall without them)',
    });
  } else {
    try {
      // The bundled libraries: present and complete (a truncated libdnnl would crash the process in dlopen).
      for (const lib of manifest.libraries ?? []) {
        const libPath = join(dirname(prebuilt), lib);
        if (!existsSync(libPath)) throw new Error(`the bundled ${lib} is missing from ${dirname(prebuilt)}; reinstall the package`);
        const truncated = elfTruncation(libPath);
        if (truncated) throw new Error(describeLoadError(new Error(`${libPath}: ${truncated}`)));
      }
      return requireAddon(prebuilt, 'prebuilt');
    } catch (error) {
      attempts.push({ kind: 'prebuilt', path: prebuilt, reason: (error as Error).message });
    }
  }
  const source = defaultAddonPath(root);
  try {
    return requireAddon(source, 'source build');
  } catch (error) {
    attempts.push({ kind: 'source build', path: source, reason: (error as Error).message });
  }
  throw new OnednnUnavailableError(attempts[0]!.path, undefined, attempts, host);
}

/** Where the native code in use was loaded from (see {@link addonOrigin}). */
export interface AddonOrigin {
  /** `'prebuilt'` (from {@link PREBUILT_PACKAGE}), `'source build'` (compiled at install) or `'custom'` (a path given). */
  kind: AddonKind;
  /** Absolute path of the addon file. */
  addonPath: string;
  /** Absolute real path (symlinks resolved) of the libdnnl the process loaded, `""` when unknown. */
  libraryPath: string;
}

/** The libdnnl mapped into this process, from /proc/self/maps (Linux); `""` when none or unknown. */
export function libdnnlFromProcMaps(): string {
  try {
    const line = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .find((l) => /\/libdnnl\.so[.\d]*$/.test(l));
    return line ? line.slice(line.indexOf('/')) : '';
  } catch {
    return '';
  }
}

/**
 * Where `binding` (default the process-wide one) and its libdnnl were loaded from.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function addonOrigin(binding: OnednnBinding = getBinding()): AddonOrigin {
  const origin = origins.get(binding) ?? { kind: 'custom' as const, addonPath: '' };
  const info = binding.getInfo();
  let libraryPath = info.libraryPath || libdnnlFromProcMaps();
  try {
    if (libraryPath) libraryPath = realpathSync(libraryPath);
  } catch {
    // keep the path as the dynamic loader named it
  }
  return { ...origin, libraryPath };
}

let cached: OnednnBinding | undefined;
let cachedError: unknown;

/**
 * The process-wide binding, loaded once (see {@link loadBinding}).
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
