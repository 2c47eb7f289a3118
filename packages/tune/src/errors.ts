import { CnnError } from '@cnn/core';

/**
 * Stable codes of {@link TuneError} (Node's `ERR_…` convention; a program switches on them, messages may change):
 * - `ERR_CNN_TUNE_OPTION`: an option or argument out of range (names it: "Received: trials=0");
 * - `ERR_CNN_SELECT_ON_TEST`: a search metric or member choice on the test set (`test_*`); select on validation;
 * - `ERR_CNN_SEARCH_SPACE`: a malformed search space;
 * - `ERR_CNN_RESULTS_FILE`: a `results.json` that cannot be read or belongs to another search;
 * - `ERR_CNN_TRIAL_SCRIPT`: a trial script that does not exist or breaks the trial protocol;
 * - `ERR_CNN_ALL_TRIALS_FAILED`: a search whose every trial failed;
 * - `ERR_CNN_QUEUE_URL`: a Redis URL / TLS file / queue name that is not valid;
 * - `ERR_CNN_QUEUE_UNREACHABLE`: Redis unreachable, silent or refusing the password;
 * - `ERR_CNN_JOB_PAYLOAD`: a queue job whose data is not a valid trial / member payload;
 * - `ERR_CNN_ENSEMBLE`: an ensemble member that failed or whose weights cannot be loaded;
 * - `ERR_CNN_MODEL_SOURCE`: a pretrained model URL / file that cannot be read.
 */
export type TuneErrorCode =
  | 'ERR_CNN_TUNE_OPTION'
  | 'ERR_CNN_SELECT_ON_TEST'
  | 'ERR_CNN_SEARCH_SPACE'
  | 'ERR_CNN_RESULTS_FILE'
  | 'ERR_CNN_TRIAL_SCRIPT'
  | 'ERR_CNN_ALL_TRIALS_FAILED'
  | 'ERR_CNN_QUEUE_URL'
  | 'ERR_CNN_QUEUE_UNREACHABLE'
  | 'ERR_CNN_JOB_PAYLOAD'
  | 'ERR_CNN_ENSEMBLE'
  | 'ERR_CNN_MODEL_SOURCE';

/**
 * The errors of `@cnn/tune` (search, queue, ensembles, fine-tuning): a message naming the option, file or URL
 * (passwords masked) and what was expected, and a stable {@link TuneErrorCode}. Use `TuneError.isInstance(e)`
 * across package copies; `CnnError.isInstance` recognises every `@cnn` error.
 */
export class TuneError extends CnnError {
  /** The stable code (see {@link TuneErrorCode}). */
  declare readonly code: TuneErrorCode;

  /**
   * @param message - What went wrong ("runSearch: trials must be an integer >= 1. Received: trials=0").
   * @param options - `code` (default `ERR_CNN_TUNE_OPTION`), `cause`.
   */
  constructor(message: string, options: { code?: TuneErrorCode; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'ERR_CNN_TUNE_OPTION', ...(options.cause === undefined ? {} : { cause: options.cause }) });
  }
}

/**
 * Refuses to select on the test set: a metric named `test_*` (what `fit({test})` reports) must not rank trials,
 * pick members or stop training — select on `val_*` (from `fit({validation})`) and keep the test set for the
 * final report.
 * @throws TuneError `ERR_CNN_SELECT_ON_TEST` naming `where` and the metric.
 */
export function refuseTestMetric(where: string, metric: string): void {
  if (/^test_/.test(metric))
    throw new TuneError(
      `${where}: metric '${metric}' is measured on the test set; selecting on it makes the reported test score optimistic. Select on a validation metric (val_accuracy / val_loss: pass fit a validation split, e.g. randomSplit from @cnn/data) and keep the test set for the final report`,
      { code: 'ERR_CNN_SELECT_ON_TEST' },
    );
}
