import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer.js';
import { TrainError } from '../errors.js';

/**
 * Coefficients `(a, b, c)` of the quintic Newton–Schulz iteration `X ← a·X + (b·A + c·A²)·X`, `A = X·Xᵀ`, chosen
 * (K. Jordan) to maximise the slope at zero: the singular values end up roughly in `[0.5, 1.5]` instead of exactly 1,
 * which does not hurt training and needs fewer iterations.
 */
export const MUON_NS_COEFFICIENTS: readonly [number, number, number] = Object.freeze([3.4445, -4.775, 2.0315]) as readonly [number, number, number];

/** Options of {@link Muon}; defaults as the `Muon` class of `airbench94_muon.py` (KellerJordan/cifar10-airbench). */
export interface MuonOptions {
  /** Learning rate (required, `>= 0`): the step along the orthogonalised update, `θ ← θ − lr·O`. */
  lr: number;
  /** Momentum factor `μ ∈ [0, 1)`. Default `0`. */
  momentum?: number;
  /** Nesterov momentum (`g + μ·buf` instead of `buf`; needs `momentum > 0`). Default `false`. */
  nesterov?: boolean;
  /** Newton–Schulz iterations (a positive integer). Default `3` (airbench94_muon's `steps=3`). */
  nsSteps?: number;
  /** Added to the Frobenius norm of the update before dividing by it (`> 0`). Default `1e-7`. */
  eps?: number;
  /**
   * Before each update, rescale the parameter to Frobenius norm `√out` (`out` = its last axis, the output
   * units/filters), i.e. mean squared norm 1 per output filter — airbench94_muon's `p.data.mul_(len(p.data)**0.5 /
   * p.data.norm())`, which its `Muon` always does. A parameter that is all zeros stays zero. Default `false` (the
   * general Muon of the blog post does not).
   */
  normalizeWeights?: boolean;
}

/**
 * The zeroth power (orthogonalisation) `≈ U·S'·Vᵀ` of a matrix `G = U·S·Vᵀ` by `steps` quintic Newton–Schulz
 * iterations ({@link MUON_NS_COEFFICIENTS}): `X ← G / (‖G‖_F + eps)` (top singular value ≤ 1), then, in the
 * smaller Gram matrix's orientation, `steps` times `A = X·Xᵀ; X ← a·X + (b·A + c·A·A)·X` when `G` is wide
 * (rows ≤ cols), or its transpose `A = Xᵀ·X; X ← a·X + X·(b·A + c·A·A)` when `G` is tall — the reference's
 * transpose-iterate-transpose without the two transposes (the polynomial is symmetric). `‖G‖_F` is
 * `√Σ g²` (squares, no `pow`). `S'` is diagonal with entries roughly in `[0.5, 1.5]`.
 * The reference computes in bfloat16; this is float32 throughout.
 *
 * Reference: `zeropower_via_newtonschulz5` of `airbench94_muon.py` (KellerJordan/cifar10-airbench); K. Jordan,
 * "Muon: An optimizer for hidden layers in neural networks" (2024).
 * @param g a rank-2 float32 tensor `[rows, cols]`.
 * @returns a new `[rows, cols]` float32 tensor (the caller disposes it; intermediates are freed).
 * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) when `g` is not rank 2 or `steps` is not an integer >= 1.
 */
export function zeropowerViaNewtonSchulz(g: tf.Tensor2D, steps = 3, eps = 1e-7): tf.Tensor2D {
  if (g.rank !== 2) throw new TrainError(`zeropowerViaNewtonSchulz: expected a rank-2 tensor, got shape [${g.shape}]`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new TrainError(`zeropowerViaNewtonSchulz: steps must be an integer >= 1. Received: steps=${steps}`, { code: 'ERR_CNN_INVALID_OPTION' });
  const [a, b, c] = MUON_NS_COEFFICIENTS;
  return tf.tidy(() => {
    const tall = g.shape[0] > g.shape[1];
    let x: tf.Tensor2D = tf.div(g, tf.add(frobeniusNorm(g), eps));
    for (let i = 0; i < steps; i++) {
      const gram = tall ? tf.matMul(x, x, true, false) : tf.matMul(x, x, false, true);
      const poly = tf.add(tf.mul(gram, b), tf.mul(tf.matMul(gram, gram), c));
      x = tf.add(tf.mul(x, a), tall ? tf.matMul(x, poly) : tf.matMul(poly, x));
    }
    return x;
  });
}

/** `‖t‖_F = √Σ t²` as a scalar tensor: `tf.norm`'s Frobenius norm without its `abs` and `pow` kernels. */
function frobeniusNorm(t: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.sum(tf.square(t))) as tf.Scalar;
}

/**
 * Muon — MomentUm Orthogonalized by Newton–Schulz — for the weight matrices and convolution kernels of hidden
 * layers: per parameter `θ` with gradient `g`,
 * `buf ← μ·buf + g` (zero-initialised), `u ← g + μ·buf` (Nesterov) or `buf`; with `normalizeWeights`,
 * `θ ← θ·√out / ‖θ‖_F`; then `θ ← θ − lr·NS(u)`, where `NS` ({@link zeropowerViaNewtonSchulz}) orthogonalises `u`
 * viewed as the matrix `[out, rest]` (one row per output unit/filter, PyTorch's `g.reshape(len(g), -1)`).
 * Slot per parameter: `momentum_buffer`.
 *
 * Layout: `@cnn/train`'s parameters keep the output axis last (Dense `[in, out]`, Conv2D HWIO
 * `[kh, kw, in, out]`), so the matrix is `reshape(u, [−1, out])ᵀ`, orthogonalised as `NS(reshape(u, [−1, out]))ᵀ` (the same). Its row order within `rest` (HWI here, IHW in
 * PyTorch) does not change the result: the iteration is equivariant under column permutations.
 *
 * Only for rank ≥ 2 parameters; biases, BatchNorm parameters and (usually) the classifier head go to another
 * optimizer in a {@link ParamGroupOptimizer} group. No weight decay. Newton–Schulz runs in float32 (the reference
 * uses bfloat16), so results match a float32 PyTorch run to rounding.
 *
 * Reference: K. Jordan, "Muon: An optimizer for hidden layers in neural networks" (2024,
 * kellerjordan.github.io/posts/muon); the `Muon` class of `airbench94_muon.py` (KellerJordan/cifar10-airbench).
 */
export class Muon extends Optimizer {
  readonly type = 'Muon';
  /** Momentum factor. */
  readonly momentum: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** Newton–Schulz iterations. */
  readonly nsSteps: number;
  /** Norm regulariser of the Newton–Schulz input. */
  readonly eps: number;
  /** Whether each parameter is rescaled to Frobenius norm `√out` before its update. */
  readonly normalizeWeights: boolean;

  /**
   * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) on an out-of-range option ("Received: momentum=…"): `lr < 0`,
   *   `momentum ∉ [0, 1)`, `nesterov` without momentum, `nsSteps` not an integer >= 1, `eps <= 0`.
   */
  constructor(opts: MuonOptions) {
    super(opts?.lr);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.nsSteps = opts.nsSteps ?? 3;
    this.eps = opts.eps ?? 1e-7;
    this.normalizeWeights = opts.normalizeWeights ?? false;
    const bad = (what: string): never => {
      throw new TrainError(`Muon: ${what}`, { code: 'ERR_CNN_INVALID_OPTION' });
    };
    if (!(this.momentum >= 0 && this.momentum < 1)) bad(`momentum must be in [0, 1). Received: momentum=${opts.momentum}`);
    if (this.nesterov && this.momentum <= 0) bad(`nesterov requires momentum > 0. Received: momentum=${this.momentum}`);
    if (!(Number.isInteger(this.nsSteps) && this.nsSteps >= 1)) bad(`nsSteps must be an integer >= 1. Received: nsSteps=${opts.nsSteps}`);
    if (!(Number.isFinite(this.eps) && this.eps > 0)) bad(`eps must be a finite number > 0. Received: eps=${opts.eps}`);
  }

  /**
   * Checks that every parameter is a matrix or kernel (rank >= 2), then updates them all (see {@link Optimizer.step}).
   * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) naming a rank-0/1 parameter — before anything is updated.
   */
  override step(grads: Record<string, tf.Tensor>, vars: Record<string, tf.Variable>): void {
    for (const [name, g] of Object.entries(grads)) {
      if (g.rank < 2) {
        throw new TrainError(
          `Muon.step: parameter '${name}' has shape [${g.shape}]; Muon updates matrices and conv kernels (rank >= 2) — give biases and norms another optimizer (ParamGroupOptimizer)`,
          { code: 'ERR_CNN_INVALID_OPTION' },
        );
      }
    }
    super.step(grads, vars);
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor): tf.Tensor {
    let u = grad;
    if (this.momentum !== 0) {
      const prev = this.getSlot(name, 'momentum_buffer');
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), grad) : grad;
      this.setSlot(name, 'momentum_buffer', buf);
      u = this.nesterov ? tf.add(grad, tf.mul(buf, this.momentum)) : buf;
    }
    const out = param.shape[param.rank - 1]!;
    let p: tf.Tensor = param;
    if (this.normalizeWeights) p = tf.mul(param, tf.div(Math.sqrt(out), tf.maximum(frobeniusNorm(param), 1e-30)));
    // NS(Mᵀ) = NS(M)ᵀ: orthogonalise the `[rest, out]` view directly instead of transposing to `[out, rest]` and back
    const ortho = zeropowerViaNewtonSchulz(tf.reshape(u, [-1, out]) as tf.Tensor2D, this.nsSteps, this.eps);
    return tf.sub(p, tf.mul(tf.reshape(ortho, param.shape), this.lr));
  }
}
