import { createRng } from '@cnn/core';
import { TuneError } from '../errors.js';

/** A scalar hyperparameter value. */
export type ParamValue = number | string | boolean;

/** One trial's hyperparameters, e.g. `{lr: 0.001, batchSize: 64, optimizer: 'adam'}`. */
export type TrialConfig = Record<string, ParamValue>;

/** How one hyperparameter is drawn. */
export type ParamSpec =
  /** One of `values` (grid: every value). */
  | { type: 'choice'; values: ParamValue[] }
  /** Log-uniform in `[min, max]` (random / successive halving only). */
  | { type: 'loguniform'; min: number; max: number }
  /** Uniform in `[min, max]`. */
  | { type: 'uniform'; min: number; max: number }
  /** Uniform integer in `[min, max]`. */
  | { type: 'int'; min: number; max: number };

/** A search space: per hyperparameter a {@link ParamSpec} or an array (shorthand for a choice). */
export type SearchSpace = Record<string, ParamSpec | ParamValue[]>;

/**
 * The chapter's knobs: learning rate, batch size, weight decay, dropout and optimizer (grid-friendly
 * choices; use `loguniform` for the learning rate in a random search).
 */
export const DEFAULT_SPACE: SearchSpace = {
  lr: [1e-3, 3e-3, 1e-2],
  batchSize: [32, 64, 128],
  weightDecay: [0, 5e-4],
  dropout: [0.25, 0.5],
  optimizer: ['adam', 'sgd'],
};

function spec(name: string, s: ParamSpec | ParamValue[]): ParamSpec {
  if (Array.isArray(s)) {
    if (s.length === 0) throw new TuneError(`search space: '${name}' has no values`, { code: 'ERR_CNN_SEARCH_SPACE' });
    return { type: 'choice', values: s };
  }
  if (!s || typeof s !== 'object') throw new TuneError(`search space: '${name}' must be an array of values or {type, ...}`, { code: 'ERR_CNN_SEARCH_SPACE' });
  if (s.type === 'choice') {
    if (!Array.isArray(s.values) || s.values.length === 0) throw new TuneError(`search space: '${name}' has no values`, { code: 'ERR_CNN_SEARCH_SPACE' });
    return s;
  }
  if (s.type === 'loguniform' || s.type === 'uniform' || s.type === 'int') {
    if (!(Number.isFinite(s.min) && Number.isFinite(s.max) && s.min <= s.max))
      throw new TuneError(`search space: '${name}' needs finite min <= max. Received: min=${s.min}, max=${s.max}`, { code: 'ERR_CNN_SEARCH_SPACE' });
    if (s.type === 'loguniform' && !(s.min > 0))
      throw new TuneError(`search space: '${name}' (loguniform) needs min > 0. Received: min=${s.min}`, { code: 'ERR_CNN_SEARCH_SPACE' });
    return s;
  }
  throw new TuneError(
    `search space: '${name}' has unknown type ${JSON.stringify((s as { type?: unknown }).type)}; expected choice, loguniform, uniform or int`,
    { code: 'ERR_CNN_SEARCH_SPACE' },
  );
}

/** Validates a space and returns its specs in key order. @throws TuneError naming the bad hyperparameter. */
export function normalizeSpace(space: SearchSpace): [string, ParamSpec][] {
  if (!space || typeof space !== 'object' || Object.keys(space).length === 0)
    throw new TuneError('search space: must be a non-empty object', { code: 'ERR_CNN_SEARCH_SPACE' });
  return Object.entries(space).map(([k, v]) => [k, spec(k, v)]);
}

/**
 * Every combination of the choices (cartesian product, last key varying fastest).
 * @throws TuneError when a hyperparameter is not a choice (a continuous range has no grid).
 */
export function gridConfigs(space: SearchSpace): TrialConfig[] {
  let out: TrialConfig[] = [{}];
  for (const [name, s] of normalizeSpace(space)) {
    if (s.type !== 'choice')
      throw new TuneError(`gridConfigs: '${name}' is a ${s.type} range; a grid needs a list of values`, { code: 'ERR_CNN_SEARCH_SPACE' });
    out = out.flatMap((c) => s.values.map((v) => ({ ...c, [name]: v })));
  }
  return out;
}

/**
 * `n` configurations drawn independently with a seeded generator (`@cnn/core`'s xoshiro128**), so the
 * same seed gives the same list (what makes a random search resumable). Duplicates are kept.
 * @throws TuneError when `n` is not an integer >= 1 or the space is invalid.
 */
export function randomConfigs(space: SearchSpace, n: number, seed = 0): TrialConfig[] {
  if (!Number.isInteger(n) || n < 1) throw new TuneError(`randomConfigs: n must be an integer >= 1. Received: n=${n}`, { code: 'ERR_CNN_TUNE_OPTION' });
  const specs = normalizeSpace(space);
  const rng = createRng(seed);
  const out: TrialConfig[] = [];
  for (let i = 0; i < n; i++) {
    const c: TrialConfig = {};
    for (const [name, s] of specs) {
      if (s.type === 'choice') c[name] = s.values[rng.nextInt(s.values.length)];
      else if (s.type === 'uniform') c[name] = s.min + (s.max - s.min) * rng.next();
      else if (s.type === 'int') c[name] = s.min + rng.nextInt(s.max - s.min + 1);
      else c[name] = Math.exp(Math.log(s.min) + (Math.log(s.max) - Math.log(s.min)) * rng.next());
    }
    out.push(c);
  }
  return out;
}
