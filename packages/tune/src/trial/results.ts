import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic, writeJsonAtomic } from '@cnn/core/node';
import type { ParamValue, TrialConfig } from './space.js';
import { TuneError } from '../errors.js';

/** One finished trial. */
export interface TrialRecord {
  /** Stable id: hash of the config and budget (same config + budget → same id, across runs). */
  id: string;
  /** Hyperparameters. */
  config: TrialConfig;
  /** Budget (epochs) the trial trained for. */
  budget: number;
  /** Successive-halving rung (0 for grid/random). */
  rung: number;
  /** `done`, or `failed` (the error is kept; failed trials are not re-run either). */
  status: 'done' | 'failed';
  /** The objective (e.g. validation accuracy); `null` when failed. */
  metric: number | null;
  /** Every number the trial reported. */
  metrics: Record<string, number>;
  /** Wall-clock seconds of the trial (worker start to result). */
  seconds: number;
  /** Error message of a failed trial. */
  error?: string;
  /** Queue worker that ran the trial (searches on a queue only). */
  worker?: string;
  /** ISO time of completion. */
  finishedAt: string;
}

/** The results file `results.json`. */
export interface SearchResults {
  /** File format version (1). */
  version: 1;
  /** Strategy that produced the trials. */
  strategy: string;
  /** Name of the objective, e.g. `val_accuracy`. */
  metric: string;
  /** `max` or `min`. */
  mode: 'max' | 'min';
  /** Finished trials in completion order. */
  trials: TrialRecord[];
}

/** The stable id of a trial: first 12 hex digits of SHA-1 over the canonical JSON of config (sorted keys) and budget. */
export function trialId(config: TrialConfig, budget: number): string {
  const keys = Object.keys(config).sort();
  const canon = JSON.stringify([keys.map((k) => [k, config[k]]), budget]);
  return createHash('sha1').update(canon).digest('hex').slice(0, 12);
}

/**
 * Reads `results.json`, or returns `undefined` when it does not exist.
 * @throws TuneError naming the file when it is not a results file (malformed JSON, wrong version, no trials array).
 */
export async function readResults(file: string): Promise<SearchResults | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TuneError(`cannot read ${file}: ${(err as Error).message}`, { code: 'ERR_CNN_RESULTS_FILE', cause: err });
  }
  let r: SearchResults;
  try {
    r = JSON.parse(text);
  } catch (err) {
    throw new TuneError(`${file} is not valid JSON: ${(err as Error).message}`, { code: 'ERR_CNN_RESULTS_FILE', cause: err });
  }
  if (r?.version !== 1 || !Array.isArray(r.trials))
    throw new TuneError(`${file} is not a search results file (version 1 with a trials array)`, { code: 'ERR_CNN_RESULTS_FILE' });
  return r;
}

/** Finished trials sorted best first by metric (failed last; ties by id). */
export function sortTrials(trials: TrialRecord[], mode: 'max' | 'min'): TrialRecord[] {
  const sign = mode === 'max' ? -1 : 1;
  return trials.slice().sort((a, b) => {
    if (a.metric === null || b.metric === null) return (a.metric === null ? 1 : 0) - (b.metric === null ? 1 : 0) || a.id.localeCompare(b.id);
    return sign * (a.metric - b.metric) || b.budget - a.budget || a.id.localeCompare(b.id);
  });
}

function csvCell(v: ParamValue | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The results as CSV (best first): `rank,id,status,budget,rung,<metric>,seconds,<config keys…>,<other metrics…>,error`.
 */
export function resultsCsv(r: SearchResults): string {
  const sorted = sortTrials(r.trials, r.mode);
  const cfgKeys = [...new Set(sorted.flatMap((t) => Object.keys(t.config)))];
  const metricKeys = [...new Set(sorted.flatMap((t) => Object.keys(t.metrics)))].filter((k) => k !== r.metric);
  const head = ['rank', 'id', 'status', 'budget', 'rung', r.metric, 'seconds', ...cfgKeys, ...metricKeys, 'error'];
  const rows = sorted.map((t, i) =>
    [
      i + 1,
      t.id,
      t.status,
      t.budget,
      t.rung,
      t.metric,
      +t.seconds.toFixed(3),
      ...cfgKeys.map((k) => t.config[k]),
      ...metricKeys.map((k) => t.metrics[k]),
      t.error,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[head.map(csvCell).join(','), ...rows].join('\n')}\n`;
}

/** A fixed-width console table of the trials, best first (at most `limit` rows, default 20). */
export function formatResultsTable(r: SearchResults, limit = 20): string {
  const sorted = sortTrials(r.trials, r.mode).slice(0, limit);
  const cfgKeys = [...new Set(sorted.flatMap((t) => Object.keys(t.config)))];
  const fmt = (v: ParamValue | null | undefined): string =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : Math.abs(v) < 1e-2
          ? v.toExponential(2)
          : v.toFixed(4)
      : v === null || v === undefined
        ? '-'
        : String(v);
  const head = ['#', 'id', 'budget', r.metric, ...cfgKeys, 'seconds'];
  const cells = sorted.map((t, i) => [
    String(i + 1),
    t.id,
    String(t.budget),
    t.status === 'failed' ? 'failed' : fmt(t.metric),
    ...cfgKeys.map((k) => fmt(t.config[k])),
    t.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((v, i) => v.padStart(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Writes `results.json` and `results.csv` atomically (temp file + rename) into `dir`. */
export async function writeResults(dir: string, r: SearchResults): Promise<void> {
  await writeJsonAtomic(`${dir}/results.json`, r);
  await writeFileAtomic(`${dir}/results.csv`, new TextEncoder().encode(resultsCsv(r)));
}
