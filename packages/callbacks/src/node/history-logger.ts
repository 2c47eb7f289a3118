import { writeFileAtomic } from '@cnn/core/node';
import { Callback } from '@cnn/train';
import { historyToCsv } from '../loggers.js';
import { CallbackError } from '../errors.js';

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
 * @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) when neither `json` nor `csv` is given.
 */
export class HistoryLogger extends Callback {
  /** JSON path. */
  readonly json?: string;
  /** CSV path. */
  readonly csv?: string;

  constructor(opts: HistoryLoggerOptions) {
    super();
    if (!opts?.json && !opts?.csv) throw new CallbackError('HistoryLogger: give json and/or csv paths', { code: 'ERR_CNN_INVALID_OPTION' });
    this.json = opts.json;
    this.csv = opts.csv;
  }

  /** Runs after the other callbacks (see `Callback.runsLast`), so the files hold the whole epoch. */
  override readonly runsLast = true;

  override async onEpochEnd(): Promise<void> {
    const h = this.context.history;
    if (this.json) await writeFileAtomic(this.json, `${JSON.stringify(h, null, 2)}\n`);
    if (this.csv) await writeFileAtomic(this.csv, historyToCsv(h));
  }
}
