import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../errors.js';

/** One optimizer slot (e.g. Adam's `exp_avg`) of one parameter, as plain data. */
export interface SlotState {
  /** Parameter shape. */
  shape: number[];
  /** Values in row-major order. */
  values: Float32Array;
}

/** Serializable optimizer state (for checkpoints). */
export interface OptimizerState {
  /** Optimizer class, e.g. `'Adam'`, `'SGD'`. */
  type: string;
  /** Number of `step()` calls made so far. */
  step: number;
  /** Learning rate at the time of `getState()`. */
  lr: number;
  /** `slots[parameterName][slotName]`, e.g. `slots['conv1/kernel'].exp_avg`. */
  slots: Record<string, Record<string, SlotState>>;
}

/**
 * Base class of the PyTorch-semantics optimizers. Parameters and gradients are matched by name; the
 * state (`slots` per parameter, `step` counter) is kept in tf variables and can be exported with
 * {@link Optimizer.getState} and restored with {@link Optimizer.setState}.
 */
export abstract class Optimizer {
  /** Class name stored in {@link OptimizerState.type}. */
  abstract readonly type: string;
  private lr_: number;
  private step_ = 0;
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  protected constructor(lr: number) {
    this.lr_ = Optimizer.checkLr(lr);
  }

  private static checkLr(lr: number): number {
    if (!(Number.isFinite(lr) && lr >= 0)) {
      throw new TrainError(`Optimizer: lr must be a finite number >= 0. Received: lr=${lr}`, { code: 'ERR_CNN_INVALID_OPTION' });
    }
    return lr;
  }

  /** Learning rate used by the next {@link Optimizer.step}. Setting it validates `>= 0`. */
  get lr(): number {
    return this.lr_;
  }

  set lr(value: number) {
    this.lr_ = Optimizer.checkLr(value);
  }

  /** Number of completed `step()` calls (PyTorch's `state['step']`). */
  get iterations(): number {
    return this.step_;
  }

  /**
   * Applies one update to every parameter that has a gradient, then increments the step counter.
   *
   * @param grads gradients keyed by parameter name; each the parameter's shape, float32.
   * @param vars the parameters (tf variables, updated in place), keyed by the same names.
   * @throws TrainError when a gradient has no matching variable or its shape differs.
   */
  step(grads: Record<string, tf.Tensor>, vars: Record<string, tf.Variable>): void {
    this.step_ += 1;
    for (const [name, grad] of Object.entries(grads)) {
      const v = vars[name];
      if (!v) throw new TrainError(`${this.type}.step: no variable named '${name}' for its gradient`, { code: 'ERR_CNN_INVALID_OPTION' });
      if (!tf.util.arraysEqual(grad.shape, v.shape)) {
        throw new TrainError(`${this.type}.step: gradient '${name}' has shape [${grad.shape}], variable has [${v.shape}]`, { code: 'ERR_CNN_INVALID_OPTION' });
      }
      tf.tidy(() => v.assign(this.update(name, v, grad, this.step_)));
    }
  }

  /**
   * Computes the new value of one parameter (inside a `tf.tidy`). Implementations read and write
   * their slots with {@link Optimizer.getSlot}/{@link Optimizer.setSlot}.
   * @param t 1-based step number.
   */
  protected abstract update(name: string, param: tf.Variable, grad: tf.Tensor, t: number): tf.Tensor;

  /** The slot tensor, or `undefined` when not yet created. */
  protected getSlot(param: string, slot: string): tf.Tensor | undefined {
    return this.slots.get(param)?.get(slot);
  }

  /** Stores `value` (copied into a non-trainable variable) as the slot. */
  protected setSlot(param: string, slot: string, value: tf.Tensor): void {
    let perParam = this.slots.get(param);
    if (!perParam) {
      perParam = new Map();
      this.slots.set(param, perParam);
    }
    const existing = perParam.get(slot);
    if (existing) existing.assign(value);
    else perParam.set(slot, tf.variable(value, false));
  }

  /**
   * Exports the state as plain data (copies; safe to serialise), reading the slots synchronously
   * (`dataSync()`): for backends that allow it (cpu, onednn). On a backend without synchronous reads (webgpu in
   * Node) use {@link Optimizer.readState}, which checkpoints use.
   */
  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [param, perParam] of this.slots) {
      slots[param] = {};
      for (const [slot, v] of perParam) {
        slots[param][slot] = { shape: v.shape.slice(), values: Float32Array.from(v.dataSync() as Float32Array) };
      }
    }
    return { type: this.type, step: this.step_, lr: this.lr_, slots };
  }

  /**
   * {@link Optimizer.getState} with asynchronous reads (`await variable.data()`): the same copies, on backends
   * without synchronous reads too (webgpu in Node). What `captureTrainingState` and `lrFind` use.
   */
  async readState(): Promise<OptimizerState> {
    const step = this.step_;
    const lr = this.lr_;
    const slots: OptimizerState['slots'] = {};
    const reads: Promise<void>[] = [];
    for (const [param, perParam] of this.slots) {
      const out: Record<string, SlotState> = {};
      slots[param] = out;
      for (const [slot, v] of perParam) {
        const shape = v.shape.slice();
        reads.push(
          v.data().then((values) => {
            out[slot] = { shape, values: Float32Array.from(values as Float32Array) };
          }),
        );
      }
    }
    await Promise.all(reads);
    return { type: this.type, step, lr, slots };
  }

  /**
   * Replaces the state with one from {@link Optimizer.getState} (of the same optimizer type).
   * @throws TrainError when `state.type` differs or a slot's values do not match its shape.
   */
  setState(state: OptimizerState): void {
    if (state.type !== this.type) {
      throw new TrainError(`${this.type}.setState: state is for '${state.type}', expected '${this.type}'`, { code: 'ERR_CNN_BAD_STATE' });
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new TrainError(`${this.type}.setState: step must be an integer >= 0. Received: step=${state.step}`, { code: 'ERR_CNN_BAD_STATE' });
    }
    for (const [param, perParam] of Object.entries(state.slots)) {
      for (const [slot, s] of Object.entries(perParam)) {
        const size = s.shape.reduce((a, b) => a * b, 1);
        if (s.values.length !== size) {
          throw new TrainError(`${this.type}.setState: slot ${param}.${slot} has ${s.values.length} values, shape [${s.shape}] needs ${size}`, {
            code: 'ERR_CNN_BAD_STATE',
          });
        }
      }
    }
    this.dispose();
    for (const [param, perParam] of Object.entries(state.slots)) {
      for (const [slot, s] of Object.entries(perParam)) {
        tf.tidy(() => this.setSlot(param, slot, tf.tensor(Float32Array.from(s.values), s.shape, 'float32')));
      }
    }
    this.step_ = state.step;
    this.lr = state.lr;
  }

  /** Frees the slot variables (the step counter is kept). */
  dispose(): void {
    for (const perParam of this.slots.values()) for (const v of perParam.values()) v.dispose();
    this.slots.clear();
  }
}
