/**
 * Patch whitening: a convolution whose filters whiten the `k×k` patches of a data set, computed from the data's
 * patch covariance (the first layer of the airbench recipes: K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a
 * single GPU", arXiv 2404.00498, §3.2; after tysam-code's hlb-CIFAR10 and Coates & Ng's ZCA patches).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerFusedGradients } from './fused.js';
import { ModelError } from './errors.js';

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** Result of {@link symmetricEigen}. */
export interface SymmetricEigen {
  /** The `n` eigenvalues in descending order (float64). */
  values: Float64Array;
  /** Row-major `n×n`: row `j` is the unit eigenvector of `values[j]` (float64). */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

/**
 * Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method (rotations that zero one
 * off-diagonal pair at a time, sweeping all pairs until the off-diagonal mass is below `1e-15` of the total;
 * Golub & Van Loan, "Matrix Computations", §8.5), in double precision. Meant for the small matrices of
 * {@link patchWhitening} (`n` up to ~100); O(n³) per sweep, usually 6–10 sweeps.
 *
 * Eigenvalues are returned in descending order (stable on ties), eigenvectors as rows with the sign convention
 * of {@link patchWhitening}: each vector's component of largest magnitude is positive (the first such
 * component on exact ties).
 *
 * @param matrix - `n×n` row-major; only symmetric input is meaningful (the upper triangle is used).
 * @param n - the order.
 * @throws Error when `matrix.length !== n*n`, `n` is not a positive integer, an entry is not finite, or the
 *   iteration does not converge in 100 sweeps.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new ModelError(`symmetricEigen: n must be a positive integer. Received: n=${n}`);
  if (matrix.length !== n * n) throw new ModelError(`symmetricEigen: matrix must have n*n = ${n * n} entries. Received: length=${matrix.length}`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = matrix[i * n + j];
      if (!Number.isFinite(v)) throw new ModelError(`symmetricEigen: entries must be finite. Received: matrix[${i}][${j}]=${v}`);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  const v = new Float64Array(n * n); // columns are the eigenvectors
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  let sweeps = 0;
  for (;;) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * total || off === 0) break;
    if (sweeps === 100) throw new ModelError(`symmetricEigen: no convergence after 100 sweeps (off-diagonal ${off})`);
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation (c, s) with tan = t zeroes a[p][q]: θ = (a_qq − a_pp)/(2 a_pq), t = sgn(θ)/(|θ| + √(θ²+1)).
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J: columns p, q then rows p, q.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, row) => {
    values[row] = a[col * n + col];
    let arg = 0;
    for (let k = 1; k < n; k++) if (Math.abs(v[k * n + col]) > Math.abs(v[arg * n + col])) arg = k;
    const sign = v[arg * n + col] < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[row * n + k] = sign * v[k * n + col];
  });
  return { values, vectors, sweeps };
}

/** Options of {@link patchWhitening}. */
export interface PatchWhiteningOptions {
  /** Patch size `k` (square `k×k` patches, stride 1, no padding). Default `2` (airbench). */
  kernelSize?: number;
  /** Added to every eigenvalue before the inverse square root. Default `5e-4` (airbench). */
  eps?: number;
  /** Use only the first `maxImages` images. Default: all (airbench uses the first 5000 training images). */
  maxImages?: number;
}

/** Result of {@link patchWhitening}. */
export interface PatchWhiteningResult {
  /**
   * float32 HWIO `[k, k, c, 2·d]`, `d = c·k²`: filter `j < d` is `v_j/√(λ_j + eps)`, filter `d + j` its
   * negation, `j` in descending eigenvalue order. The caller disposes it.
   */
  kernel: tf.Tensor4D;
  /** The `d` eigenvalues `λ_j` of the patch second-moment matrix, descending (float64). */
  eigenvalues: Float64Array;
  /** Row-major `d×d`: row `j` is the unit eigenvector `v_j`, components in (kh, kw, c) order (float64). */
  eigenvectors: Float64Array;
  /** Number of patches the statistics were computed from, `n·(h−k+1)·(w−k+1)`. */
  patches: number;
}

/**
 * Computes a patch-whitening filter bank from images, as the airbench recipes initialise their first
 * convolution (K. Jordan, arXiv 2404.00498, `init_whitening_conv`):
 *
 * 1. every `k×k` patch of every image (stride 1, valid: `n·(h−k+1)·(w−k+1)` patches) is flattened to a vector
 *    of `d = c·k²` components in **(kh, kw, c) order** (the HWIO kernel's order; the reference flattens in
 *    (c, kh, kw) order, a permutation of the same vectors);
 * 2. `Σ = (1/P)·Σ_p x_p x_pᵀ` over the `P` patches, accumulated in float64. Like the reference this is the
 *    uncentred second moment (the images are expected normalised, i.e. roughly zero-mean per channel);
 * 3. `Σ = V diag(λ) Vᵀ` by {@link symmetricEigen} (Jacobi, float64), eigenvalues descending. Sign convention:
 *    each eigenvector's component of largest magnitude is positive, so the result is deterministic (the
 *    reference keeps whatever sign `torch.linalg.eigh` returns; both signs end up in the bank anyway);
 * 4. filters `v_j / √(max(λ_j, 0) + eps)` and their negations: `[V_s; −V_s]`, `2d` filters (24 for RGB with
 *    `k = 2`), as an HWIO kernel. Applied to a patch, filter `j` gives its coordinate along `v_j` with unit
 *    variance (`λ_j/(λ_j + eps)`), so the first `d` output channels are the patch's PCA-whitened coordinates.
 *
 * Few images, constant images or any rank-deficient `Σ` give zero eigenvalues; `eps` keeps every scale finite
 * (`1/√eps`) — never NaN.
 *
 * Reads the images synchronously (`dataSync()`: cpu, onednn); on a backend without synchronous reads (webgpu in
 * Node) use {@link patchWhiteningAsync}.
 *
 * @param images - float32 `[n, height, width, channels]` NHWC, already normalised.
 * @param opts - {@link PatchWhiteningOptions}: `kernelSize` (default 2), `eps` (default 5e-4), `maxImages`.
 * @returns The filter bank and the eigen-decomposition ({@link PatchWhiteningResult}).
 * @throws Error ("Received: …") when `images` is not a rank-4 float32 tensor with at least one image, contains
 *   a non-finite value, `kernelSize` is not a positive integer no larger than height and width, `eps` is not
 *   positive, or `maxImages` is not a positive integer.
 */
export function patchWhitening(images: tf.Tensor4D, opts: PatchWhiteningOptions = {}): PatchWhiteningResult {
  const p = whiteningPlan(images, opts);
  const data =
    p.n === p.total ? (images.dataSync() as Float32Array) : tf.tidy(() => tf.slice(images, [0, 0, 0, 0], [p.n, p.h, p.w, p.c]).dataSync() as Float32Array);
  return whiteningFromData(data, p);
}

/**
 * {@link patchWhitening} with an asynchronous read of the images (`await t.data()`): the same bank, on backends
 * without synchronous reads too (webgpu in Node). What `initWhiteningAsync` and the cli's fast recipe use.
 * @returns A promise of the {@link PatchWhiteningResult} (the caller disposes its `kernel`).
 * @throws Error (synchronously, before any read) on the argument errors of {@link patchWhitening}; a non-finite
 *   image value rejects the promise.
 */
export function patchWhiteningAsync(images: tf.Tensor4D, opts: PatchWhiteningOptions = {}): Promise<PatchWhiteningResult> {
  const p = whiteningPlan(images, opts);
  const read = async (): Promise<PatchWhiteningResult> => {
    if (p.n === p.total) return whiteningFromData((await images.data()) as Float32Array, p);
    const first = tf.slice(images, [0, 0, 0, 0], [p.n, p.h, p.w, p.c]);
    try {
      return whiteningFromData((await first.data()) as Float32Array, p);
    } finally {
      first.dispose();
    }
  };
  return read();
}

interface WhiteningPlan {
  total: number;
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  eps: number;
}

/** Checks the arguments of {@link patchWhitening}. */
function whiteningPlan(images: tf.Tensor4D, opts: PatchWhiteningOptions): WhiteningPlan {
  if (!(images instanceof tf.Tensor) || images.rank !== 4) {
    throw new ModelError(
      `patchWhitening: images must be a [n, height, width, channels] tensor. Received: shape=${JSON.stringify((images as tf.Tensor | undefined)?.shape)}`,
    );
  }
  if (images.dtype !== 'float32') throw new ModelError(`patchWhitening: images must be float32. Received: dtype=${images.dtype}`);
  const k = opts.kernelSize ?? 2;
  const eps = opts.eps ?? 5e-4;
  const [total, h, w, c] = images.shape;
  if (!Number.isInteger(k) || k < 1 || k > h || k > w) {
    throw new ModelError(`patchWhitening: kernelSize must be a positive integer <= height (${h}) and width (${w}). Received: kernelSize=${opts.kernelSize}`);
  }
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ModelError(`patchWhitening: eps must be a finite number > 0. Received: eps=${opts.eps}`);
  if (opts.maxImages !== undefined && !(Number.isInteger(opts.maxImages) && opts.maxImages >= 1)) {
    throw new ModelError(`patchWhitening: maxImages must be a positive integer. Received: maxImages=${opts.maxImages}`);
  }
  const n = Math.min(total, opts.maxImages ?? total);
  if (n < 1) throw new ModelError(`patchWhitening: images must hold at least one image. Received: shape=${JSON.stringify(images.shape)}`);
  return { total, n, h, w, c, k, eps };
}

/** The whitening bank of the first `n` images, `data` their row-major NHWC values. */
function whiteningFromData(data: Float32Array, { n, h, w, c, k, eps }: WhiteningPlan): PatchWhiteningResult {
  const d = c * k * k;
  const acc = new Float64Array(d * d); // upper triangle
  const patch = new Float64Array(d);
  const oh = h - k + 1;
  const ow = w - k + 1;
  for (let img = 0; img < n; img++) {
    const base = img * h * w * c;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let t = 0;
        for (let ky = 0; ky < k; ky++) {
          let src = base + ((y + ky) * w + x) * c;
          for (let kx = 0; kx < k; kx++) {
            for (let ch = 0; ch < c; ch++) patch[t++] = data[src++];
          }
        }
        for (let i = 0; i < d; i++) {
          const pi = patch[i];
          const row = i * d;
          for (let j = i; j < d; j++) acc[row + j] += pi * patch[j];
        }
      }
    }
  }
  const patches = n * oh * ow;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const m = acc[i * d + j] / patches;
      if (!Number.isFinite(m)) throw new ModelError('patchWhitening: images must be finite. Received: a NaN or infinite value');
      acc[i * d + j] = m;
      acc[j * d + i] = m;
    }
  }
  const { values, vectors } = symmetricEigen(acc, d);
  const kernel = new Float32Array(d * 2 * d);
  for (let j = 0; j < d; j++) {
    const s = 1 / Math.sqrt(Math.max(values[j], 0) + eps);
    for (let t = 0; t < d; t++) {
      // HWIO [kh, kw, c, filter]: row t (the (kh, kw, c) position) of filter j
      const v = vectors[j * d + t] * s;
      kernel[t * 2 * d + j] = v;
      kernel[t * 2 * d + d + j] = -v;
    }
  }
  return { kernel: tf.tensor4d(kernel, [k, k, c, 2 * d]), eigenvalues: values, eigenvectors: vectors, patches };
}

/** Constructor options of {@link WhiteningConv2D}. */
export interface WhiteningConv2DArgs extends NonNullable<LayerArgs> {
  /** Patch size `k` (`k×k` kernel, stride 1, valid padding). Default `2`. */
  kernelSize?: number;
  /** Output channels. Default `2·c·k²` (the `[V; −V]` bank of {@link patchWhitening}; 24 for RGB, `k = 2`). */
  filters?: number;
  /** Whether the bias is trained (see {@link WhiteningConv2D.biasTrainable}). Default `true`. */
  biasTrainable?: boolean;
  /**
   * Initial kernel before {@link WhiteningConv2D.setWhitening}; not serialised (saved weights replace it).
   * Default: PyTorch's `Conv2d` default `U(±1/√(k²·c))`, seeded by `seed`.
   */
  kernelInitializer?: Initializer;
  /** Initial bias; not serialised. Default zeros (airbench zeroes its conv biases). */
  biasInitializer?: Initializer;
  /** Seed of the default kernel initialiser. Default unseeded. */
  seed?: number;
}

/**
 * The patch-whitening convolution of the airbench recipes: `k×k` (default 2×2), stride 1, valid padding, with
 * bias, whose **kernel is frozen** (a non-trainable weight, set from data by {@link WhiteningConv2D.setWhitening}
 * / {@link initWhitening}) and whose **bias is trainable** until frozen through
 * {@link WhiteningConv2D.biasTrainable} (airbench trains it for the first 3 epochs, then sets
 * `bias.requires_grad = False`).
 *
 * Input `[batch, height, width, c]` float32 NHWC → output `[batch, height−k+1, width−k+1, filters]`. The forward
 * is one `FusedConv2D` kernel (conv + bias) with the gradients of `@cnn/models`' fused layers, so a frozen kernel
 * and a data input cost only the bias gradient (`Σ dy`).
 *
 * Weights: `kernel` HWIO `[k, k, c, filters]` (non-trainable) and `bias` `[filters]`. `trainableWeights` is
 * `[bias]` while the bias trains, else `[]`; `getWeights()` lists trainable weights first (Keras), so the order is
 * `[bias, kernel]` in both states. Setting the layer's `trainable = false` freezes both; setting it back to
 * `true` restores the bias to its own `biasTrainable` state.
 *
 * Registered with `tf.serialization.registerClass` under the class name `WhiteningConv2D` (config: `kernelSize`,
 * `filters`, `biasTrainable`, `seed`).
 */
export class WhiteningConv2D extends tfl.layers.Layer {
  /** Serialisation class name. */
  static className = 'WhiteningConv2D';
  /** Patch size `k`. */
  readonly kernelSize: number;
  /** Output channels (`undefined` until built when not given: then `2·c·k²`). */
  filters: number | undefined;
  /** Seed of the default kernel initialiser. */
  readonly seed: number | undefined;
  private biasTrainable_: boolean;
  private readonly kernelInit: Initializer | undefined;
  private readonly biasInit: Initializer;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  /**
   * @throws Error when `kernelSize` or `filters` is not a positive integer, `biasTrainable` is not a boolean or
   *   `seed` is not an integer.
   */
  constructor(args: WhiteningConv2DArgs = {}) {
    super(args);
    this.kernelSize = args.kernelSize ?? 2;
    if (!Number.isInteger(this.kernelSize) || this.kernelSize < 1) {
      throw new ModelError(`WhiteningConv2D: kernelSize must be a positive integer. Received: kernelSize=${args.kernelSize}`);
    }
    if (args.filters != null && !(Number.isInteger(args.filters) && args.filters >= 1)) {
      throw new ModelError(`WhiteningConv2D: filters must be a positive integer. Received: filters=${args.filters}`);
    }
    this.filters = args.filters ?? undefined;
    this.biasTrainable_ = args.biasTrainable ?? true;
    if (typeof this.biasTrainable_ !== 'boolean') {
      throw new ModelError(`WhiteningConv2D: biasTrainable must be a boolean. Received: biasTrainable=${String(args.biasTrainable)}`);
    }
    if (args.seed != null && !Number.isInteger(args.seed)) throw new ModelError(`WhiteningConv2D: seed must be an integer. Received: seed=${args.seed}`);
    this.seed = args.seed ?? undefined;
    this.kernelInit = args.kernelInitializer;
    this.biasInit = args.biasInitializer ?? tfl.initializers.zeros();
    registerFusedGradients();
  }

  /**
   * Whether the bias is trained. Set `false` to freeze it (airbench, after `whiten_bias_epochs = 3`), `true` to
   * train it again; takes effect on the next `trainableWeights` read, so a training loop must collect the
   * trainable weights again after the change (tfjs-layers' `model.fit` collects them at `compile`). Like any
   * trainability change it moves the bias between the model's `trainableWeights` and `nonTrainableWeights`, so the
   * order of `model.getWeights()` changes: save and restore weights by name (`model.save`, `originalName`).
   * @throws Error when `value` is not a boolean.
   */
  get biasTrainable(): boolean {
    return this.biasTrainable_;
  }

  set biasTrainable(value: boolean) {
    if (typeof value !== 'boolean') throw new ModelError(`WhiteningConv2D: biasTrainable must be a boolean. Received: biasTrainable=${String(value)}`);
    this.biasTrainable_ = value;
    if (this.bias) this.bias.trainable = value && this.trainable;
  }

  override get trainable(): boolean {
    return this.trainable_;
  }

  override set trainable(value: boolean) {
    this.trainable_ = value;
    if (this.bias) this.bias.trainable = value && this.biasTrainable_;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[shape.length - 1];
    if (shape.length !== 4 || c == null) {
      throw new ModelError(`WhiteningConv2D: input must be [batch, height, width, channels] with known channels. Received: shape=${JSON.stringify(shape)}`);
    }
    const k = this.kernelSize;
    this.filters ??= 2 * c * k * k;
    const bound = 1 / Math.sqrt(k * k * c);
    const kernelInit = this.kernelInit ?? tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed });
    this.kernel = this.addWeight('kernel', [k, k, c, this.filters], 'float32', kernelInit, undefined, false);
    this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInit, undefined, true);
    this.bias.trainable = this.biasTrainable_ && this.trainable;
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const kernel = this.kernel!.read();
    const bias = this.bias!.read();
    return tf.tidy(() => {
      if (tf.getKernel(tf.FusedConv2D, tf.getBackend()) == null) {
        return tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias);
      }
      return tf.engine().runKernel(tf.FusedConv2D, { x, filter: kernel, bias }, {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
        activation: 'linear',
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const k = this.kernelSize;
    const out = (d: number | null): number | null => (d == null ? null : d - k + 1);
    return [s[0], out(s[1]), out(s[2]), this.filters ?? 2 * (s[3] as number) * k * k];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      filters: this.filters ?? null,
      biasTrainable: this.biasTrainable_,
      seed: this.seed ?? null,
    };
  }

  /**
   * Replaces the (frozen) kernel.
   * @param kernel - float32 HWIO `[k, k, c, filters]` (not disposed).
   * @throws Error when the layer is not built or the shape differs.
   */
  setKernel(kernel: tf.Tensor): void {
    if (!this.kernel) throw new ModelError(`WhiteningConv2D '${this.name}': not built yet (apply it or build its model first)`);
    const want = this.kernel.shape;
    if (kernel.rank !== 4 || kernel.shape.some((d, i) => d !== want[i])) {
      throw new ModelError(`WhiteningConv2D '${this.name}': kernel must be ${JSON.stringify(want)}. Received: shape=${JSON.stringify(kernel.shape)}`);
    }
    this.kernel.write(kernel);
  }

  /**
   * Sets the kernel to the {@link patchWhitening} bank of `images` with this layer's `kernelSize`; the bias is
   * left as it is.
   * @param images - float32 `[n, height, width, c]` NHWC, normalised as the model's inputs.
   * @param opts - `eps` (default 5e-4) and `maxImages` of {@link patchWhitening}.
   * @returns The eigen-decomposition (the kernel tensor is already disposed: read it with `getWeights()`).
   * @throws Error when the layer is not built, `filters !== 2·c·k²`, or on {@link patchWhitening}'s errors.
   */
  setWhitening(images: tf.Tensor4D, opts: Omit<PatchWhiteningOptions, 'kernelSize'> = {}): Omit<PatchWhiteningResult, 'kernel'> {
    return this.writeBank(patchWhitening(images, { ...opts, kernelSize: this.bankKernelSize(images) }));
  }

  /**
   * {@link WhiteningConv2D.setWhitening} with an asynchronous read of the images ({@link patchWhiteningAsync}):
   * the same kernel, on backends without synchronous reads too (webgpu in Node).
   * @throws Error (synchronously) on {@link WhiteningConv2D.setWhitening}'s argument errors; a non-finite image
   *   value rejects the promise.
   */
  setWhiteningAsync(images: tf.Tensor4D, opts: Omit<PatchWhiteningOptions, 'kernelSize'> = {}): Promise<Omit<PatchWhiteningResult, 'kernel'>> {
    return patchWhiteningAsync(images, { ...opts, kernelSize: this.bankKernelSize(images) }).then((r) => this.writeBank(r));
  }

  /** Checks that the layer is built as a whitening bank for `images`; returns its `k`. */
  private bankKernelSize(images: tf.Tensor4D): number {
    if (!this.kernel) throw new ModelError(`WhiteningConv2D '${this.name}': not built yet (apply it or build its model first)`);
    const [k, , c, filters] = this.kernel.shape as number[];
    if (filters !== 2 * c * k * k) {
      throw new ModelError(`WhiteningConv2D '${this.name}': a whitening bank has 2·c·k² = ${2 * c * k * k} filters. Received: filters=${filters}`);
    }
    if (images.rank === 4 && images.shape[3] !== c) {
      throw new ModelError(`WhiteningConv2D '${this.name}': images must have ${c} channels. Received: shape=${JSON.stringify(images.shape)}`);
    }
    return k;
  }

  private writeBank({ kernel, ...rest }: PatchWhiteningResult): Omit<PatchWhiteningResult, 'kernel'> {
    try {
      this.kernel!.write(kernel);
    } finally {
      kernel.dispose();
    }
    return rest;
  }
}
tf.serialization.registerClass(WhiteningConv2D);

/** Creates a {@link WhiteningConv2D} layer (frozen kernel, trainable bias). */
export function whiteningConv2d(args: WhiteningConv2DArgs = {}): WhiteningConv2D {
  return new WhiteningConv2D(args);
}

/** Options of {@link initWhitening}. */
export interface InitWhiteningOptions extends Omit<PatchWhiteningOptions, 'kernelSize'> {
  /** Name of the whitening layer. Default: the model's only {@link WhiteningConv2D}. */
  layerName?: string;
}

/**
 * Sets a model's whitening layer ({@link WhiteningConv2D}) from a data set, as airbench's
 * `init_whitening_conv(model[0], train_images[:5000])`: see {@link patchWhitening}. Reads synchronously; on webgpu in
 * Node use {@link initWhiteningAsync}.
 *
 * @param model - a built model containing a {@link WhiteningConv2D} (nested models are searched too).
 * @param images - float32 `[n, height, width, c]` NHWC, normalised like the model's inputs (e.g. the first
 *   5000 training images; or pass `maxImages`).
 * @param opts - `eps` (default 5e-4), `maxImages`, `layerName`.
 * @returns The eigen-decomposition of the patch second moments.
 * @throws Error when the model has no such layer, several without `layerName`, `layerName` is not a
 *   {@link WhiteningConv2D}, or on {@link WhiteningConv2D.setWhitening}'s errors.
 */
export function initWhitening(model: tfl.LayersModel, images: tf.Tensor4D, opts: InitWhiteningOptions = {}): Omit<PatchWhiteningResult, 'kernel'> {
  const { layerName, ...rest } = opts;
  return findWhiteningLayer(model, layerName).setWhitening(images, rest);
}

/**
 * {@link initWhitening} with an asynchronous read of the images ({@link WhiteningConv2D.setWhiteningAsync}): the
 * same kernel, on backends without synchronous reads too (webgpu in Node). What the cli's fast recipe uses.
 * @returns A promise of the eigen-decomposition of the patch second moments.
 * @throws Error (synchronously) on {@link initWhitening}'s layer and argument errors; a non-finite image value
 *   rejects the promise.
 */
export function initWhiteningAsync(
  model: tfl.LayersModel,
  images: tf.Tensor4D,
  opts: InitWhiteningOptions = {},
): Promise<Omit<PatchWhiteningResult, 'kernel'>> {
  const { layerName, ...rest } = opts;
  return findWhiteningLayer(model, layerName).setWhiteningAsync(images, rest);
}

function findWhiteningLayer(model: tfl.LayersModel, layerName: string | undefined): WhiteningConv2D {
  const found: WhiteningConv2D[] = [];
  const visit = (layers: tfl.layers.Layer[]): void => {
    for (const l of layers) {
      if (l instanceof WhiteningConv2D) found.push(l);
      const nested = (l as unknown as { layers?: tfl.layers.Layer[] }).layers;
      if (Array.isArray(nested)) visit(nested);
    }
  };
  visit(model.layers);
  let layer: WhiteningConv2D | undefined;
  if (layerName !== undefined) {
    layer = found.find((l) => l.name === layerName);
    if (!layer)
      throw new ModelError(
        `initWhitening: model '${model.name}' has no WhiteningConv2D named '${layerName}'. Received: layerName=${layerName}; whitening layers: ${JSON.stringify(found.map((l) => l.name))}`,
      );
  } else {
    if (found.length === 0) throw new ModelError(`initWhitening: model '${model.name}' has no WhiteningConv2D layer`);
    if (found.length > 1)
      throw new ModelError(
        `initWhitening: model '${model.name}' has ${found.length} WhiteningConv2D layers (${found.map((l) => l.name).join(', ')}); pass layerName`,
      );
    layer = found[0]!;
  }
  return layer;
}
