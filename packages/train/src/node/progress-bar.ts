import cliProgress from 'cli-progress';
import { formatCount, formatPercent } from '../format.js';
import type { ProgressOptions, ProgressReporter } from '../progress.js';

/** A cli-progress bar on `process.stderr`: batch n/N, loss, acc, img/s and ETA. */
export function cliProgressBar(opts: ProgressOptions): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label} {bar} {value}/{total}  loss {loss}  acc {acc}  {rate} img/s  ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opts.total ?? 0, 0, { loss: '-', acc: '-', rate: '-' });
  return {
    update(info) {
      if (!opts.total) bar.setTotal(info.batch);
      bar.update(info.batch, { loss: info.loss.toFixed(4), acc: formatPercent(info.accuracy), rate: formatCount(info.imgPerSec) });
    },
    stop() {
      bar.stop();
    },
  };
}
