import { forwardLayers } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Callback, type GradientsInfo, type HistoryEntry, type Logs } from '@cnn/train';

const CSV_COLUMNS: Array<keyof HistoryEntry> = ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'seconds', 'imgPerSec'];

/** The history as CSV (header `epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,imgPerSec`, `\n` line ends; Keras' `CSVLogger` columns). */
export function historyToCsv(history: HistoryEntry[]): string {
  return `${[CSV_COLUMNS.join(','), ...history.map((e) => CSV_COLUMNS.map((c) => String(e[c])).join(','))].join('\n')}\n`;
}

/** Names of the first non-finite tensors found by {@link TerminateOnNaN}. */
export interface NonFiniteReport {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch. */
  batch: number;
  /** The batch loss. */
  loss: number;
  /** First variable whose gradient has NaN/Inf (model weight order). */
  gradient?: string;
  /** First model variable (weight) holding NaN/Inf. */
  variable?: string;
  /** First layer whose output on the batch (inference mode) has NaN/Inf. */
  layer?: string;
  /** The message logged. */
  message: string;
}

/** True when `t` holds a NaN or ±Inf (read asynchronously: no synchronous read, so webgpu in Node works). */
async function nonFinite(t: tf.Tensor): Promise<boolean> {
  const flag = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))));
  try {
    return (await flag.data())[0] === 1;
  } finally {
    flag.dispose();
  }
}

/** First layer (execution order, inference mode) whose output on `x` is non-finite; Sequential and functional models. */
async function firstNonFiniteLayer(model: tfl.LayersModel, x: tf.Tensor): Promise<string | undefined> {
  const flags: { name: string; flag: tf.Tensor }[] = [];
  try {
    tf.tidy(() => {
      forwardLayers(model, x, {
        logits: false,
        onLayer: (name, out) => {
          flags.push({ name, flag: tf.keep(tf.logicalNot(tf.all(tf.isFinite(out)))) });
        },
      });
    });
  } catch {
    tf.dispose(flags.map((f) => f.flag));
    return undefined; // a graph the walker does not support (several inputs, shared layers)
  }
  try {
    for (const { name, flag } of flags) if ((await flag.data())[0] === 1) return name;
    return undefined;
  } finally {
    tf.dispose(flags.map((f) => f.flag));
  }
}

/**
 * Stops training at the first batch whose loss or gradients are NaN/Inf, before that batch's update is
 * applied (Keras' `TerminateOnNaN`, plus a diagnosis): names the batch, the first variable whose
 * gradient is non-finite, the first non-finite weight, and the first layer whose output on the batch is
 * non-finite. The report is in {@link TerminateOnNaN.report}.
 */
export class TerminateOnNaN extends Callback {
  /** What was found, once training was stopped. */
  report?: NonFiniteReport;
  private readonly log: (line: string) => void;

  /** @param opts.log line sink (default `console.error`). */
  constructor(opts: { log?: (line: string) => void } = {}) {
    super();
    this.log = opts.log ?? console.error;
  }

  override onTrainBegin(): void {
    this.report = undefined;
  }

  override async onGradients(info: GradientsInfo): Promise<void> {
    let badGrad: string | undefined;
    for (const k of Object.keys(info.grads)) {
      if (await nonFinite(info.grads[k])) {
        badGrad = k;
        break;
      }
    }
    if (Number.isFinite(info.loss) && badGrad === undefined) return;
    const model = this.context.model;
    let variable: string | undefined;
    for (const w of model.weights) {
      if (await nonFinite(w.read())) {
        variable = w.originalName;
        break;
      }
    }
    const layer = await firstNonFiniteLayer(model, info.x);
    const parts = [`loss ${info.loss}`];
    if (badGrad) parts.push(`first non-finite gradient: '${badGrad}'`);
    if (variable) parts.push(`first non-finite weight: '${variable}'`);
    if (layer) parts.push(`first non-finite activation: layer '${layer}'`);
    const message = `TerminateOnNaN: epoch ${info.epoch}, batch ${info.batch}: ${parts.join('; ')}; stopping before this update`;
    this.report = { epoch: info.epoch, batch: info.batch, loss: info.loss, gradient: badGrad, variable, layer, message };
    this.log(message);
    this.context.stopTraining = true;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    if (typeof logs.val_loss === 'number' && !Number.isFinite(logs.val_loss)) {
      const message = `TerminateOnNaN: epoch ${epoch}: val_loss ${logs.val_loss}; stopping`;
      this.report = { epoch, batch: 0, loss: logs.val_loss, message };
      this.log(message);
      this.context.stopTraining = true;
    }
  }
}
