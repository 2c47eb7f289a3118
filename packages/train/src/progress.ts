import { TrainError } from './errors.js';
import { formatCount, formatPercent, formatSeconds } from './format.js';

/** How per-batch progress is shown. `'auto'`: a bar when stderr is a TTY, else `'lines'`. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** Running statistics reported after each batch. */
export interface ProgressInfo {
  /** 1-based batch index. */
  batch: number;
  /** Batches in the epoch, when the loader knows its `length`. */
  total?: number;
  /** Mean loss so far over the epoch's samples. */
  loss: number;
  /** Accuracy so far (0–1). */
  accuracy: number;
  /** Throughput so far (img/s). */
  imgPerSec: number;
  /** Elapsed seconds in the epoch. */
  seconds: number;
}

/** Per-epoch progress reporter. */
export interface ProgressReporter {
  /** Called after every batch. */
  update(info: ProgressInfo): void;
  /** Called once at the end of the epoch. */
  stop(): void;
}

/** Builds the plain progress line, e.g. `  batch 100/938  loss 0.2345  acc 93.12%  4,870 img/s  ETA 12.3 s`. */
export function formatProgressLine(info: ProgressInfo, epochLabel = ''): string {
  const of = info.total ? `/${info.total}` : '';
  const eta = info.total && info.batch > 0 ? `  ETA ${formatSeconds((info.seconds / info.batch) * (info.total - info.batch))}` : '';
  return (
    `${epochLabel}  batch ${info.batch}${of}  loss ${info.loss.toFixed(4)}  acc ${formatPercent(info.accuracy)}  ` +
    `${formatCount(info.imgPerSec)} img/s${eta}`
  );
}

/** Options of a progress reporter for one epoch. */
export interface ProgressOptions {
  /** Batches in the epoch, when known. */
  total?: number;
  /** Line sink. */
  log: (line: string) => void;
  /** Batches between lines in `'lines'` mode (integer >= 1). */
  logEvery: number;
  /** Label, e.g. `Epoch 3/10`. */
  label: string;
}

/** Makes a terminal progress bar; `@cnn/train/node` registers one (cli-progress on stderr). */
export type ProgressBarFactory = (opts: ProgressOptions) => ProgressReporter;

let barFactory: ProgressBarFactory | undefined;

/** Registers the `'bar'` progress display (done by importing `@cnn/train/node`). */
export function registerProgressBar(factory: ProgressBarFactory): void {
  barFactory = factory;
}

/** True when a registered bar can draw on a terminal: Node's stderr is a TTY. */
function stderrIsTty(): boolean {
  const proc = (globalThis as { process?: { stderr?: { isTTY?: boolean } } }).process;
  return proc?.stderr?.isTTY === true;
}

/**
 * Creates the reporter for one epoch.
 *
 * - `'bar'`: a progress bar with batch n/N, loss, acc, img/s and ETA (cli-progress on stderr, registered by
 *   `@cnn/train/node`; without it, lines).
 * - `'lines'`: one line through `log` every `logEvery` batches (and at the last batch when `total` is known).
 * - `'none'`: nothing.
 * - `'auto'`: `'bar'` when a bar is registered and stderr is a TTY, else `'lines'`.
 *
 * @throws TrainError on an unknown mode or a bad `logEvery`.
 */
export function createProgress(mode: ProgressMode, opts: ProgressOptions): ProgressReporter {
  if (!Number.isInteger(opts.logEvery) || opts.logEvery < 1) {
    throw new TrainError(`progress: logEvery must be an integer >= 1. Received: logEvery=${opts.logEvery}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  if (mode !== 'auto' && mode !== 'bar' && mode !== 'lines' && mode !== 'none') {
    throw new TrainError(`progress: must be 'auto', 'bar', 'lines' or 'none'. Received: progress=${String(mode)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const resolved = mode === 'auto' ? (barFactory && stderrIsTty() ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update() {}, stop() {} };
  if (resolved === 'bar' && barFactory) return barFactory(opts);
  return {
    update(info) {
      if (info.batch % opts.logEvery === 0 || info.batch === opts.total) opts.log(formatProgressLine(info, opts.label));
    },
    stop() {},
  };
}
