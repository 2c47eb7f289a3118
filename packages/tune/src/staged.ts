import type * as tfl from '@tensorflow/tfjs-layers';
import { freezeAllButHead, modelStages, summary, unfreezeAll, unfreezeStages } from '@cnn/models';
import { Adam, fit, type FitOptions, type History, type Optimizer } from '@cnn/train';
import { TuneError } from './errors.js';

/** What a fine-tuning phase trains. */
export type PhaseTrainable =
  /** Only the classification head (feature extraction). */
  | 'head'
  /** Every layer. */
  | 'all'
  /** The head and the last `lastStages` stages below it. */
  | { lastStages: number }
  /** The named stages (see `modelStages`), e.g. `['layer4', 'head']`. */
  | { stages: string[] };

/** One phase of {@link stagedFineTune}. */
export interface FineTunePhase {
  /** Name for logs and the result, e.g. `'head'`. */
  name: string;
  /** Epochs of this phase (integer >= 1). */
  epochs: number;
  /** Learning rate of this phase's optimizer. */
  lr: number;
  /** What is unfrozen (everything else is frozen; frozen batch norm stays in inference mode). */
  trainable: PhaseTrainable;
}

/**
 * The chapter's schedule: phase 1 trains the head only (5 epochs, lr 1e-3), phase 2 unfreezes the last
 * stage (e.g. ResNet's `layer4`; 10 epochs, lr 1e-4), phase 3 fine-tunes everything (5 epochs, lr 1e-5),
 * each with a fresh Adam.
 */
export const CHAPTER_PHASES: readonly FineTunePhase[] = [
  { name: 'head', epochs: 5, lr: 1e-3, trainable: 'head' },
  { name: 'last-stage', epochs: 10, lr: 1e-4, trainable: { lastStages: 1 } },
  { name: 'all', epochs: 5, lr: 1e-5, trainable: 'all' },
];

/** Options of {@link stagedFineTune}. */
export interface StagedFineTuneOptions extends Omit<FitOptions, 'epochs' | 'optimizer' | 'initialEpoch' | 'resume' | 'resumeIfMissing'> {
  /** Phases in order. Default {@link CHAPTER_PHASES}. */
  phases?: readonly FineTunePhase[];
  /**
   * Builds each phase's optimizer over the then-trainable weights (called after freezing), e.g. a
   * `ParamGroupOptimizer` for discriminative rates. Default `(lr) => new Adam({lr})`.
   */
  optimizer?: (lr: number, model: tfl.LayersModel, phase: FineTunePhase) => Optimizer;
}

/** Result of one phase. */
export interface PhaseResult {
  /** Phase name. */
  name: string;
  /** Trainable scalar parameters during the phase. */
  trainableParams: number;
  /** Learning rate. */
  lr: number;
  /** The phase's epochs (numbered from 1 within the phase). */
  history: History;
}

/** Result of {@link stagedFineTune}. */
export interface StagedFineTuneResult {
  /** Per phase. */
  phases: PhaseResult[];
  /** All epochs in order, numbered consecutively across phases. */
  history: History;
}

function applyTrainable(model: tfl.LayersModel, t: PhaseTrainable, phase: string): void {
  if (t === 'all') {
    unfreezeAll(model);
    return;
  }
  freezeAllButHead(model);
  if (t === 'head') return;
  if ('lastStages' in t) {
    if (!Number.isInteger(t.lastStages) || t.lastStages < 0)
      throw new TuneError(`stagedFineTune: phase '${phase}': lastStages must be an integer >= 0. Received: ${t.lastStages}`, { code: 'ERR_CNN_TUNE_OPTION' });
    const below = modelStages(model)
      .map((s) => s.name)
      .filter((n) => n !== 'head');
    unfreezeStages(model, below.slice(Math.max(0, below.length - t.lastStages)));
    return;
  }
  if ('stages' in t) return void unfreezeStages(model, t.stages);
  throw new TuneError(`stagedFineTune: phase '${phase}': trainable must be 'head', 'all', {lastStages} or {stages}`, { code: 'ERR_CNN_TUNE_OPTION' });
}

/**
 * Gradual unfreezing (staged fine-tuning) of a pretrained model whose head has been replaced: for each
 * phase, freezes everything except what the phase trains, builds a fresh optimizer and runs
 * `@cnn/train`'s `fit` for the phase's epochs on the same data. At the end every layer is unfrozen.
 *
 * @returns per-phase trainable counts and histories, and the concatenated history.
 * @throws TuneError on an invalid phase (epochs not an integer >= 1, lr not > 0, unknown stage) before
 *   training it, or as `fit`.
 */
export async function stagedFineTune(model: tfl.LayersModel, opts: StagedFineTuneOptions): Promise<StagedFineTuneResult> {
  const phases = opts.phases ?? CHAPTER_PHASES;
  if (!Array.isArray(phases) || phases.length === 0) throw new TuneError('stagedFineTune: phases must be a non-empty array', { code: 'ERR_CNN_TUNE_OPTION' });
  const makeOptimizer = opts.optimizer ?? ((lr: number) => new Adam({ lr }));
  const log = opts.log ?? console.log;
  const { phases: _p, optimizer: _o, ...fitRest } = opts;
  const results: PhaseResult[] = [];
  const history: History = [];
  try {
    for (const phase of phases) {
      if (!Number.isInteger(phase.epochs) || phase.epochs < 1)
        throw new TuneError(`stagedFineTune: phase '${phase.name}': epochs must be an integer >= 1. Received: epochs=${phase.epochs}`, {
          code: 'ERR_CNN_TUNE_OPTION',
        });
      if (!(phase.lr > 0))
        throw new TuneError(`stagedFineTune: phase '${phase.name}': lr must be > 0. Received: lr=${phase.lr}`, { code: 'ERR_CNN_TUNE_OPTION' });
      applyTrainable(model, phase.trainable, phase.name);
      const trainableParams = summary(model).trainableParams;
      log(`Phase '${phase.name}': ${phase.epochs} epoch(s), lr ${phase.lr}, ${trainableParams.toLocaleString('en-US')} trainable parameters`);
      const optimizer = makeOptimizer(phase.lr, model, phase);
      try {
        const h = await fit(model, { ...fitRest, epochs: phase.epochs, optimizer });
        results.push({ name: phase.name, trainableParams, lr: phase.lr, history: h });
        for (const e of h) history.push({ ...e, epoch: history.length + 1 });
      } finally {
        optimizer.dispose();
      }
    }
  } finally {
    unfreezeAll(model);
  }
  return { phases: results, history };
}
