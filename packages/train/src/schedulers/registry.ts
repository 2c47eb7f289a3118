/**
 * The one table of schedulers: each entry names a class, its command-line aliases and how to build it from a
 * {@link SchedulerSpec}. {@link SCHEDULER_NAMES}, {@link createScheduler} and {@link parseSchedulerSpec} all read
 * it, so adding a scheduler is one entry here.
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { TrainError } from '../errors.js';
import { LRScheduler } from './base.js';
import { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './cosine.js';
import { OneCycleLR } from './one-cycle.js';
import { ReduceLROnPlateau } from './plateau.js';
import { SequentialLR } from './sequential.js';
import { ExponentialLR, LinearLR, MultiStepLR, StepLR } from './step.js';
import { LinearWarmup, type LinearWarmupOptions } from './warmup.js';

/** Any scheduler of this module. */
export type Scheduler = LRScheduler | ReduceLROnPlateau;

/** A scheduler description: PyTorch class name and its options (as in the fixtures and `--scheduler`). */
export interface SchedulerSpec {
  /** Class name, e.g. `'MultiStepLR'`, `'OneCycleLR'`, `'LinearWarmup'`, `'SequentialLR'`. */
  scheduler: string;
  /**
   * Constructor options; for `LinearWarmup` also `inner: SchedulerSpec`; for `SequentialLR`
   * `{schedulers: SchedulerSpec[], milestones: number[]}`.
   */
  options: Record<string, unknown>;
}

/** One row of {@link SCHEDULERS}. */
interface SchedulerEntry {
  /** Lower-case names `parseSchedulerSpec` accepts besides the class name (e.g. `step`). */
  readonly aliases: readonly string[];
  /**
   * Builds the scheduler on `optimizer` from `spec.options`; `build` builds a nested spec (LinearWarmup's
   * `inner`, SequentialLR's `schedulers`).
   */
  create(optimizer: Optimizer, options: Record<string, unknown>, build: (spec: SchedulerSpec) => Scheduler): Scheduler;
}

/** The registry: class name → aliases and constructor from a spec. The order is the order of the error messages. */
const SCHEDULERS = {
  StepLR: { aliases: ['step'], create: (opt, o) => new StepLR(opt, o as never) },
  MultiStepLR: { aliases: ['multistep'], create: (opt, o) => new MultiStepLR(opt, o as never) },
  ExponentialLR: { aliases: ['exponential', 'exp'], create: (opt, o) => new ExponentialLR(opt, o as never) },
  LinearLR: { aliases: ['linear'], create: (opt, o) => new LinearLR(opt, o as never) },
  CosineAnnealingLR: { aliases: ['cosine'], create: (opt, o) => new CosineAnnealingLR(opt, o as never) },
  CosineAnnealingWarmRestarts: { aliases: ['cosine-restarts'], create: (opt, o) => new CosineAnnealingWarmRestarts(opt, o as never) },
  OneCycleLR: { aliases: ['onecycle'], create: (opt, o) => new OneCycleLR(opt, o as never) },
  ReduceLROnPlateau: { aliases: ['plateau'], create: (opt, o) => new ReduceLROnPlateau(opt, o as never) },
  LinearWarmup: {
    aliases: [],
    create: (_opt, o, build) => {
      const { inner, ...rest } = o as unknown as { inner?: SchedulerSpec } & LinearWarmupOptions;
      if (!inner) throw new TrainError('createScheduler: LinearWarmup needs options.inner (a scheduler spec)', { code: 'ERR_CNN_INVALID_OPTION' });
      const built = build(inner);
      if (!(built instanceof LRScheduler))
        throw new TrainError('createScheduler: LinearWarmup cannot wrap ReduceLROnPlateau', { code: 'ERR_CNN_INVALID_OPTION' });
      return new LinearWarmup(built, rest);
    },
  },
  SequentialLR: {
    aliases: ['sequential'],
    create: (opt, o, build) => {
      const { schedulers, milestones } = o as { schedulers?: SchedulerSpec[]; milestones?: number[] };
      if (!Array.isArray(schedulers) || schedulers.length === 0)
        throw new TrainError('createScheduler: SequentialLR needs options.schedulers (a non-empty list of scheduler specs)', {
          code: 'ERR_CNN_INVALID_OPTION',
        });
      const built = schedulers.map((child, i) => {
        const b = build(child);
        if (!(b instanceof LRScheduler))
          throw new TrainError(`createScheduler: SequentialLR cannot sequence ReduceLROnPlateau (schedulers[${i}])`, { code: 'ERR_CNN_INVALID_OPTION' });
        return b;
      });
      return new SequentialLR(opt, { schedulers: built, milestones: milestones as number[] });
    },
  },
} as const satisfies Record<string, SchedulerEntry>;

/** A scheduler class name of the registry. */
export type SchedulerName = keyof typeof SCHEDULERS;

/** The scheduler class names {@link createScheduler} accepts (the registry's keys, in its order). */
export const SCHEDULER_NAMES = Object.freeze(Object.keys(SCHEDULERS)) as readonly SchedulerName[];

/** Alias → class name, from the registry. */
const ALIASES: Readonly<Record<string, SchedulerName>> = Object.fromEntries(
  SCHEDULER_NAMES.flatMap((name) => (SCHEDULERS[name] as SchedulerEntry).aliases.map((alias) => [alias, name] as const)),
);

function isSchedulerName(name: string): name is SchedulerName {
  return Object.hasOwn(SCHEDULERS, name);
}

/**
 * Builds a scheduler from a {@link SchedulerSpec} on `optimizer`.
 * @throws TrainError on an unknown name (listing the known ones) or invalid options.
 */
export function createScheduler(optimizer: Optimizer, spec: SchedulerSpec): Scheduler {
  const name = spec?.scheduler;
  if (typeof name !== 'string' || !isSchedulerName(name)) {
    throw new TrainError(`createScheduler: unknown scheduler '${String(spec?.scheduler)}'. Known: ${SCHEDULER_NAMES.join(', ')}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const entry: SchedulerEntry = SCHEDULERS[name];
  return entry.create(optimizer, spec.options ?? {}, (child) => createScheduler(optimizer, child));
}

/**
 * Parses a command-line scheduler description: `name[:key=value[,key=value…]]`, where `name` is a
 * class name or alias (`step`, `multistep`, `exponential`, `linear`, `cosine`, `cosine-restarts`,
 * `onecycle`, `plateau`), list values are `|`-separated numbers, and an optional `warmup=N` (with
 * `warmupStart=s`) wraps the result in {@link LinearWarmup}. Examples: `multistep:milestones=5|8,gamma=0.1`,
 * `cosine:tMax=10,warmup=2`, `onecycle:maxLr=0.01`, `plateau:patience=2,factor=0.5`.
 *
 * `SequentialLR` (alias `sequential`) lists its schedulers after its own options, separated by `;`:
 * `sequential:milestones=20;linear:startFactor=0.2,totalIters=20;linear:startFactor=1,endFactor=0.07,totalIters=77`
 * (warm-up then linear decay).
 * @throws TrainError on an unknown name, a malformed `key=value`, or `;` after another scheduler than SequentialLR.
 */
export function parseSchedulerSpec(text: string): SchedulerSpec {
  const parts = String(text).split(';');
  if (parts.length > 1) {
    const head = parseSchedulerSpec(parts[0]);
    if (head.scheduler !== 'SequentialLR')
      throw new TrainError(`parseSchedulerSpec: ';' separates the schedulers of a SequentialLR ('sequential:milestones=…;…'), got '${parts[0]}' before it`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    return { scheduler: 'SequentialLR', options: { ...head.options, schedulers: parts.slice(1).map((p) => parseSchedulerSpec(p.trim())) } };
  }
  const [rawName, rest = ''] = String(text).split(/:(.*)/s, 2);
  const name = ALIASES[rawName.trim().toLowerCase()] ?? rawName.trim();
  if (!isSchedulerName(name)) {
    throw new TrainError(
      `parseSchedulerSpec: unknown scheduler '${rawName}'. Known: ${Object.keys(ALIASES).join(', ')} (or class names ${SCHEDULER_NAMES.join(', ')})`,
      { code: 'ERR_CNN_INVALID_OPTION' },
    );
  }
  const options: Record<string, unknown> = {};
  for (const part of rest
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(part);
    if (!m) throw new TrainError(`parseSchedulerSpec: expected key=value, got '${part}' in '${text}'`, { code: 'ERR_CNN_INVALID_OPTION' });
    const [, key, value] = m;
    const num = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
    options[key] = value.includes('|') || key === 'milestones' ? value.split('|').map(num) : value === 'true' ? true : value === 'false' ? false : num(value);
  }
  const { warmup, warmupStart, ...innerOptions } = options;
  const spec: SchedulerSpec = { scheduler: name, options: innerOptions };
  if (warmup === undefined) return spec;
  return { scheduler: 'LinearWarmup', options: { warmupSteps: warmup, ...(warmupStart !== undefined ? { startFactor: warmupStart } : {}), inner: spec } };
}
