import cliProgress from 'cli-progress';
import { formatCount, formatPercent, formatSeconds } from './format';

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
  acc: number;
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
  return `${epochLabel}  batch ${info.batch}${of}  loss ${info.loss.toFixed(4)}  acc ${formatPercent(info.acc)}  ` +
    `${formatCount(info.imgPerSec)} img/s${eta}`;
}

/**
 * Creates the reporter for one epoch.
 *
 * - `'bar'`: a cli-progress bar on `process.stderr` with batch n/N, loss, acc, img/s and ETA.
 * - `'lines'`: one line through `log` every `logEvery` batches (and at the last batch when `total` is known).
 * - `'none'`: nothing.
 * - `'auto'`: `'bar'` when `process.stderr.isTTY`, else `'lines'`.
 *
 * @param log line sink (default `console.log` in the callers).
 * @param logEvery batches between lines in `'lines'` mode (integer >= 1).
 * @throws Error on an unknown mode or a bad `logEvery`.
 */
export function createProgress(mode: ProgressMode, opts: { total?: number; log: (line: string) => void; logEvery: number; label: string }): ProgressReporter {
  if (!Number.isInteger(opts.logEvery) || opts.logEvery < 1) {
    throw new Error(`progress: logEvery must be an integer >= 1. Received: logEvery=${opts.logEvery}`);
  }
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update() {}, stop() {} };
  if (resolved === 'lines') {
    return {
      update(info) {
        if (info.batch % opts.logEvery === 0 || info.batch === opts.total) opts.log(formatProgressLine(info, opts.label));
      },
      stop() {},
    };
  }
  if (resolved !== 'bar') throw new Error(`progress: must be 'auto', 'bar', 'lines' or 'none'. Received: progress=${String(mode)}`);
  const bar = new cliProgress.SingleBar({
    format: `${opts.label} {bar} {value}/{total}  loss {loss}  acc {acc}  {rate} img/s  ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar.start(opts.total ?? 0, 0, { loss: '-', acc: '-', rate: '-' });
  return {
    update(info) {
      if (!opts.total) bar.setTotal(info.batch);
      bar.update(info.batch, { loss: info.loss.toFixed(4), acc: formatPercent(info.acc), rate: formatCount(info.imgPerSec) });
    },
    stop() {
      bar.stop();
    },
  };
}
