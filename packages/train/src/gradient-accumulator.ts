/**
 * {@link GradientAccumulator}: the state of gradient accumulation over micro-batches.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';
import type { LossReduction } from './loss.js';

/**
 * Sums the gradients of up to `steps` micro-batches into one optimizer step (PyTorch's `loss.backward()` on
 * several batches before `optimizer.step()`; fastai's `GradientAccumulation`). With reduction `'mean'` the group
 * gradient is the sample-weighted mean `Σ size_i·g_i / Σ size_i` — the gradient of one batch of all the group's
 * samples (batch-norm statistics and dropout masks stay per micro-batch); with `'sum'` it is `Σ g_i`, again the
 * gradient of the larger batch's summed loss.
 *
 * The accumulator owns its running sums (float32 tensors keyed by variable name, shapes of the variables) and
 * frees them on {@link GradientAccumulator.take} and {@link GradientAccumulator.reset}; the gradients passed to
 * {@link GradientAccumulator.add} stay the caller's.
 *
 * @example
 * ```ts
 * const acc = new GradientAccumulator(4, 'mean');
 * acc.add(grads, batchSize, loss);           // per micro-batch; then dispose grads
 * if (acc.full) optimizer.step(acc.take(), vars);
 * ```
 */
export class GradientAccumulator {
  /** Micro-batches per optimizer step (integer >= 1). */
  readonly steps: number;
  /** How the group's gradients combine (`'mean'`: sample-weighted mean; `'sum'`: sum). */
  readonly reduction: LossReduction;
  #sum: Record<string, tf.Tensor> | undefined;
  #lossSum = 0;
  #samples = 0;
  #count = 0;

  /**
   * @param steps - Micro-batches per step, an integer >= 1.
   * @param reduction - The loss reduction the gradients were computed with. Default `'mean'`.
   * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) on a bad `steps` ("Received: accumulateSteps=…").
   */
  constructor(steps: number, reduction: LossReduction = 'mean') {
    if (!Number.isInteger(steps) || steps < 1) {
      throw new TrainError(`trainEpoch: accumulateSteps must be an integer >= 1. Received: accumulateSteps=${steps}`, { code: 'ERR_CNN_INVALID_OPTION' });
    }
    this.steps = steps;
    this.reduction = reduction;
  }

  /** Micro-batches added since the last step. */
  get count(): number {
    return this.#count;
  }

  /** Samples added since the last step. */
  get samples(): number {
    return this.#samples;
  }

  /** True when `steps` micro-batches have been added. */
  get full(): boolean {
    return this.#count >= this.steps;
  }

  /** True when nothing has been added since the last step. */
  get empty(): boolean {
    return this.#samples === 0;
  }

  /** Sample-weighted mean loss of the micro-batches added since the last step (`NaN` when empty). */
  get meanLoss(): number {
    return this.#lossSum / this.#samples;
  }

  /**
   * Adds one micro-batch: `w·g` into the running sums (`w` = its `size` for `'mean'`, 1 for `'sum'`).
   * @param grads - Its gradients by variable name (not disposed here).
   * @param size - Its number of samples (>= 1).
   * @param loss - Its per-sample mean loss (for {@link GradientAccumulator.meanLoss}).
   */
  add(grads: Readonly<Record<string, tf.Tensor>>, size: number, loss: number): void {
    const prev = this.#sum;
    const next: Record<string, tf.Tensor> = {};
    const w = this.reduction === 'sum' ? 1 : size;
    for (const [name, grad] of Object.entries(grads)) {
      next[name] = tf.tidy(() => {
        const term = w === 1 ? grad.clone() : tf.mul(grad, w);
        return prev?.[name] ? tf.add(prev[name], term) : term;
      });
    }
    if (prev) tf.dispose(Object.values(prev));
    this.#sum = next;
    this.#lossSum += loss * size;
    this.#samples += size;
    this.#count += 1;
  }

  /**
   * The group gradient — `Σ size_i·g_i / Σ size_i` (`'mean'`) or `Σ g_i` (`'sum'`), new tensors the caller
   * disposes — and a reset for the next group.
   * @throws TrainError (code `ERR_CNN_BAD_STATE`) when nothing was added.
   */
  take(): Record<string, tf.Tensor> {
    const sum = this.#sum;
    if (!sum || this.#samples === 0)
      throw new TrainError('GradientAccumulator.take: no gradients were added since the last step', { code: 'ERR_CNN_BAD_STATE' });
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(sum)) out[name] = this.reduction === 'sum' ? t.clone() : tf.div(t, this.#samples);
    this.reset();
    return out;
  }

  /** Drops the running sums (frees their tensors) and the counters. */
  reset(): void {
    if (this.#sum) tf.dispose(Object.values(this.#sum));
    this.#sum = undefined;
    this.#lossSum = 0;
    this.#samples = 0;
    this.#count = 0;
  }
}
