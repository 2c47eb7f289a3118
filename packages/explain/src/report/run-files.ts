import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExplainError } from '../errors.js';
import { normalizeHistoryEntry } from '@cnn/train';
import type { HistoryEntry, RunSummary } from '../types.js';

const HISTORY_FIELDS = ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'lr', 'seconds', 'imgPerSec'] as const;
/**
 * Evaluation fields: absent when the run had no such set (`fit` without `validation` / `test`), `null` on an
 * epoch that was not evaluated (`evaluated: false`, `fit({evalEvery})`).
 */
const VAL_FIELDS = new Set<string>(['val_loss', 'val_accuracy', 'test_loss', 'test_accuracy']);
const SUMMARY_NUMBERS = ['params', 'epochs', 'testAcc', 'testLoss', 'trainSeconds', 'trainImgPerSec', 'evalImgPerSec'] as const;
const OPTIONAL_SUMMARY_NUMBERS = ['testAccNoTta', 'testLossNoTta', 'totalSeconds', 'seed'] as const;

/** `true` when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Checks that the files a report needs are in `runDir`.
 * @throws ExplainError naming each missing file and what writes it.
 */
export async function assertRunFiles(runDir: string): Promise<void> {
  const required: [string, string][] = [
    ['history.json', 'per-epoch history [{epoch, loss, accuracy, val_loss?, val_accuracy?, test_loss?, test_accuracy?, lr, seconds, imgPerSec}]'],
    ['summary.json', 'run summary {model, backend, params, epochs, testAcc, testLoss, trainSeconds, trainImgPerSec, evalImgPerSec}'],
  ];
  const missing: string[] = [];
  for (const [file, what] of required) if (!(await exists(join(runDir, file)))) missing.push(`${file} (${what})`);
  if (missing.length > 0) {
    throw new ExplainError(`writeReport: run directory '${runDir}' is missing ${missing.join(' and ')}; the training app writes these files`);
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ExplainError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Reads and validates `history.json`: a non-empty array of {@link HistoryEntry} with finite numbers. Files
 * written before the metric rename (`trainLoss`, `trainAcc`, `testLoss`, `testAcc`) are converted. An entry
 * with `evaluated: false` (an epoch `fit({evalEvery})` did not evaluate) may hold `null` validation fields; they
 * are returned as `NaN`.
 * @throws ExplainError naming the file, the entry and the field.
 */
export async function readHistory(path: string): Promise<HistoryEntry[]> {
  const raw = await readJson(path);
  if (!Array.isArray(raw) || raw.length === 0) throw new ExplainError(`${path}: expected a non-empty array of epoch entries`);
  return raw.map((entry, i) => {
    const e: Record<string, unknown> = entry && typeof entry === 'object' ? { ...normalizeHistoryEntry(entry as Record<string, unknown>) } : {};
    const skipped = e.evaluated === false;
    for (const field of HISTORY_FIELDS) {
      const v = e[field];
      if (VAL_FIELDS.has(field) && !(field in e)) continue;
      if (skipped && VAL_FIELDS.has(field) && (v === null || v === undefined)) {
        e[field] = Number.NaN;
        continue;
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        const hint = VAL_FIELDS.has(field) && v === null ? ' (null only with evaluated: false)' : '';
        throw new ExplainError(`${path}: entry ${i} field '${field}' must be a finite number${hint}, got ${JSON.stringify(v)}`);
      }
    }
    return e as unknown as HistoryEntry;
  });
}

/**
 * Reads and validates `summary.json` ({@link RunSummary}): the required fields, and the optional ones when
 * present (`testAccNoTta`, `testLossNoTta`, `totalSeconds`, `seed` finite; `tta` with one weight per view).
 * @throws ExplainError naming the file and the field.
 */
export async function readSummary(path: string): Promise<RunSummary> {
  const data = (await readJson(path)) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ExplainError(`${path}: expected an object`);
  for (const field of ['model', 'backend'] as const) {
    if (typeof data[field] !== 'string') throw new ExplainError(`${path}: field '${field}' must be a string, got ${JSON.stringify(data[field])}`);
  }
  for (const field of SUMMARY_NUMBERS) {
    const v = data[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ExplainError(`${path}: field '${field}' must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
  for (const field of OPTIONAL_SUMMARY_NUMBERS) {
    const v = data[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new ExplainError(`${path}: field '${field}' must be a finite number when present, got ${JSON.stringify(v)}`);
    }
  }
  if (data.tta !== undefined) {
    const t = data.tta as { views?: unknown; weights?: unknown } | null;
    const views = t?.views;
    const weights = t?.weights;
    if (
      !Array.isArray(views) ||
      views.length === 0 ||
      !Array.isArray(weights) ||
      weights.length !== views.length ||
      weights.some((w) => typeof w !== 'number' || !Number.isFinite(w))
    ) {
      throw new ExplainError(`${path}: field 'tta' must be {views: [...], weights: [...]} with one finite weight per view, got ${JSON.stringify(data.tta)}`);
    }
  }
  return data as unknown as RunSummary;
}

/** Reads an optional JSON file; `undefined` when absent. */
export async function readOptionalJson<T>(path: string): Promise<T | undefined> {
  return (await exists(path)) ? ((await readJson(path)) as T) : undefined;
}
