import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { GradientsInfo, HistoryEntry, Logs } from '@cnn/train';
import { Callback } from './base';
import { writeFileAtomic } from '@cnn/data';

const CSV_COLUMNS: Array<keyof HistoryEntry> = ['epoch', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'lr', 'seconds', 'imgPerSec'];

/** The history as CSV (header `epoch,trainLoss,trainAcc,testLoss,testAcc,lr,seconds,imgPerSec`, `\n` line ends). */
export function historyToCsv(history: HistoryEntry[]): string {
  return `${[CSV_COLUMNS.join(','), ...history.map((e) => CSV_COLUMNS.map((c) => String(e[c])).join(','))].join('\n')}\n`;
}

/** Options of {@link HistoryLogger}. */
export interface HistoryLoggerOptions {
  /** Path of the JSON file (an array of history entries). Default: none. */
  json?: string;
  /** Path of the CSV file (Keras' `CSVLogger`). Default: none. */
  csv?: string;
}

/**
 * Writes the whole history (restored epochs included when resuming) to JSON and/or CSV after every
 * epoch, atomically, so the files are always complete.
 * @throws Error when neither `json` nor `csv` is given.
 */
export class HistoryLogger extends Callback {
  /** JSON path. */
  readonly json?: string;
  /** CSV path. */
  readonly csv?: string;

  constructor(opts: HistoryLoggerOptions) {
    super();
    if (!opts?.json && !opts?.csv) throw new Error('HistoryLogger: give json and/or csv paths');
    this.json = opts.json;
    this.csv = opts.csv;
  }

  async afterEpoch(): Promise<void> {
    const h = this.context.history;
    if (this.json) await writeFileAtomic(this.json, `${JSON.stringify(h, null, 2)}\n`);
    if (this.csv) await writeFileAtomic(this.csv, historyToCsv(h));
  }
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

function nonFinite(t: tf.Tensor): boolean {
  return tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))).dataSync()[0] === 1);
}

/** First layer of a layer chain whose output on `x` is non-finite (layers applied in order, inference mode). */
function firstNonFiniteLayer(model: tfl.LayersModel, x: tf.Tensor): string | undefined {
  let h: tf.Tensor = x;
  const owned: tf.Tensor[] = [];
  try {
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      h = layer.apply(h, { training: false }) as tf.Tensor;
      owned.push(h);
      if (nonFinite(h)) return layer.name;
    }
  } catch {
    return undefined; // not a plain chain (functional model with branches)
  } finally {
    tf.dispose(owned);
  }
  return undefined;
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

  onTrainBegin(): void {
    this.report = undefined;
  }

  onGradients(info: GradientsInfo): void {
    const badGrad = Object.keys(info.grads).find((k) => nonFinite(info.grads[k]));
    if (Number.isFinite(info.loss) && badGrad === undefined) return;
    const model = this.context.model;
    const variable = model.weights.find((w) => nonFinite(w.read()))?.originalName;
    const layer = firstNonFiniteLayer(model, info.x);
    const parts = [`loss ${info.loss}`];
    if (badGrad) parts.push(`first non-finite gradient: '${badGrad}'`);
    if (variable) parts.push(`first non-finite weight: '${variable}'`);
    if (layer) parts.push(`first non-finite activation: layer '${layer}'`);
    const message = `TerminateOnNaN: epoch ${info.epoch}, batch ${info.batch}: ${parts.join('; ')}; stopping before this update`;
    this.report = { epoch: info.epoch, batch: info.batch, loss: info.loss, gradient: badGrad, variable, layer, message };
    this.log(message);
    this.context.stopTraining = true;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (typeof logs.val_loss === 'number' && !Number.isFinite(logs.val_loss)) {
      const message = `TerminateOnNaN: epoch ${epoch}: val_loss ${logs.val_loss}; stopping`;
      this.report = { epoch, batch: 0, loss: logs.val_loss, message };
      this.log(message);
      this.context.stopTraining = true;
    }
  }
}
