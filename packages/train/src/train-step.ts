import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { clipGradNorm, clipGradValue } from './clip.js';
import { softmaxCrossEntropy, type LossReduction } from './loss.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { TrainError } from './errors.js';

/** Result of one training step. */
export interface StepResult {
  /** Mean cross-entropy of the batch (before the update), per sample whatever the `reduction`. */
  loss: number;
  /** Number of samples whose argmax logit equals the label (argmax of soft labels; before the update). */
  correct: number;
}

/**
 * The trainable parameters of a model as tf variables keyed by their stable layer-scoped name
 * (`LayerVariable.originalName`, e.g. `conv1/kernel`, the name also used in saved weights).
 * @throws TrainError when two trainable weights share a name.
 */
export function trainableVariables(model: tfl.LayersModel): Record<string, tf.Variable> {
  const vars: Record<string, tf.Variable> = {};
  for (const w of model.trainableWeights) {
    if (vars[w.originalName])
      throw new TrainError(`trainableVariables: duplicate weight name '${w.originalName}' in model '${model.name}'`, { code: 'ERR_CNN_INVALID_OPTION' });
    vars[w.originalName] = w.read() as tf.Variable;
  }
  return vars;
}

/**
 * Number of rows of `[batch, k]` logits whose argmax equals the label (scalar int32). `labels`: `[batch]` class
 * indices, or `[batch, k]` soft labels (MixUp / CutMix), whose argmax — the class with the largest share — is
 * the label.
 * @throws TrainError when `labels` is neither `[batch]` nor `[batch, k]`.
 */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const [batch, k] = logits.shape;
  const hard = labels.rank === 1 && labels.shape[0] === batch;
  if (!hard && !(labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === k)) {
    throw new TrainError(`countCorrect: labels must be [${batch}] class indices or [${batch}, ${k}] soft labels. Received: shape [${labels.shape}]`, {
      code: 'ERR_CNN_SHAPE_MISMATCH',
    });
  }
  return tf.tidy(() => {
    const target = hard ? tf.cast(labels, 'int32') : tf.argMax(labels, 1);
    return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), target), 'int32')) as tf.Scalar;
  });
}

/** Options of {@link computeGradients}, {@link applyGradients} and {@link trainStep}. */
export interface StepOptions {
  /** Label smoothing of the loss (see `softmaxCrossEntropy`). Default `0`. */
  labelSmoothing?: number;
  /**
   * Reduction of the loss that is differentiated: `'mean'` (default) or `'sum'` over the batch
   * (`CrossEntropyLoss(reduction='sum')`: gradients `batch` times larger). The reported loss stays the
   * per-sample mean (the sum divided by the batch size).
   */
  reduction?: LossReduction;
  /** Clip gradients to this global L2 norm before the update (`clip_grad_norm_`). Default: no clipping. */
  clipNorm?: number;
  /** Clip every gradient element to `[-clipValue, clipValue]` (`clip_grad_value_`). Default: no clipping. */
  clipValue?: number;
}

/** Gradients of one batch, from {@link computeGradients}. */
export interface BatchGradients {
  /** Mean loss of the batch (per sample, also with `reduction: 'sum'`). */
  loss: number;
  /** Correct predictions. */
  correct: number;
  /** Gradients keyed by variable name (owned by the caller: dispose them). */
  grads: Record<string, tf.Tensor>;
  /** The trainable variables by the same names. */
  vars: Record<string, tf.Variable>;
}

/**
 * Forward pass in training mode, softmax cross-entropy (reduced by `opts.reduction`) and its gradients
 * with respect to every trainable variable (PyTorch's `loss.backward()`), without updating anything. Loss
 * and correct count are read back with one asynchronous `data()` (no synchronous read, so it runs on backends
 * without one, e.g. webgpu in Node); the returned `loss` is the per-sample mean.
 *
 * @param x `[batch, height, width, channels]` float32 NHWC images (not disposed).
 * @param y `[batch]` int32 labels, or `[batch, numClasses]` float32 soft labels (MixUp / CutMix; not disposed).
 */
export async function computeGradients(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, opts: StepOptions = {}): Promise<BatchGradients> {
  const vars = trainableVariables(model);
  const byVarName: Record<string, string> = {};
  for (const [key, v] of Object.entries(vars)) byVarName[v.name] = key;
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    correct = tf.keep(countCorrect(logits, y));
    return softmaxCrossEntropy(logits, y, { labelSmoothing: opts.labelSmoothing, reduction: opts.reduction });
  }, Object.values(vars));
  const divisor = opts.reduction === 'sum' ? x.shape[0] : 1; // report the per-sample mean
  const keyed: Record<string, tf.Tensor> = {};
  for (const [varName, g] of Object.entries(grads)) keyed[byVarName[varName]] = g;
  try {
    const both = tf.tidy(() => tf.stack([value, tf.cast(correct!, 'float32')]));
    let loss: number;
    let c: number;
    try {
      [loss, c] = await both.data();
    } finally {
      both.dispose();
    }
    return { loss: loss / divisor, correct: Math.round(c), grads: keyed, vars };
  } catch (err) {
    tf.dispose(Object.values(keyed));
    throw err;
  } finally {
    tf.dispose([value, correct!]);
  }
}

/**
 * Clips (value first, then global norm, when requested) and applies `grads` with `optimizer.step`.
 * `grads` are not disposed.
 * @returns the global gradient norm before norm clipping when `clipNorm` is set, else `undefined`.
 */
export async function applyGradients(
  optimizer: Optimizer,
  grads: Record<string, tf.Tensor>,
  vars: Record<string, tf.Variable>,
  opts: StepOptions = {},
): Promise<number | undefined> {
  const owned: tf.Tensor[] = [];
  let g = grads;
  let norm: number | undefined;
  try {
    if (opts.clipValue !== undefined) {
      g = clipGradValue(g, opts.clipValue);
      owned.push(...Object.values(g));
    }
    if (opts.clipNorm !== undefined) {
      const r = await clipGradNorm(g, opts.clipNorm);
      g = r.grads;
      norm = r.totalNorm;
      owned.push(...Object.values(g));
    }
    optimizer.step(g, vars);
    return norm;
  } finally {
    tf.dispose(owned);
  }
}

/**
 * One optimisation step, as PyTorch's `zero_grad(); loss = crit(model(x), y); loss.backward();
 * [clip_grad_norm_;] opt.step()`: forward with `model.apply(x, {training: true})` (dropout active,
 * batch norm in training mode), softmax cross-entropy (`opts.reduction`, default `'mean'`), gradients
 * with `tf.variableGrads` over the model's trainable variables ({@link computeGradients}), optional
 * clipping, then `optimizer.step` ({@link applyGradients}). All intermediate tensors are disposed. The caller keeps ownership of `x`
 * and `y`.
 *
 * @param x `[batch, height, width, channels]` float32 NHWC images.
 * @param y `[batch]` int32 labels, or `[batch, numClasses]` float32 soft labels (MixUp / CutMix).
 * @returns the batch's per-sample mean loss (may be NaN/Inf; the caller decides) and correct count, both
 *   before the update.
 */
export async function trainStep(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, optimizer: Optimizer, opts: StepOptions = {}): Promise<StepResult> {
  const r = await computeGradients(model, x, y, opts);
  try {
    await applyGradients(optimizer, r.grads, r.vars, opts);
    return { loss: r.loss, correct: r.correct };
  } finally {
    tf.dispose(Object.values(r.grads));
  }
}
