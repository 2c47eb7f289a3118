import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { SGD } from '../optimizers/sgd.js';
import { LRScheduler } from './base.js';
import { ReduceLROnPlateau } from './plateau.js';
import { createScheduler, parseSchedulerSpec, SCHEDULER_NAMES } from './registry.js';

/** Minimal valid options of each scheduler, to build every registry entry. */
const OPTIONS: Record<string, string> = {
  StepLR: 'stepSize=2',
  MultiStepLR: 'milestones=2|4',
  ExponentialLR: 'gamma=0.9',
  LinearLR: 'totalIters=4',
  CosineAnnealingLR: 'tMax=4',
  CosineAnnealingWarmRestarts: 't0=2',
  OneCycleLR: 'maxLr=0.1,totalSteps=10',
  ReduceLROnPlateau: 'patience=1',
  LinearWarmup: '',
  SequentialLR: 'milestones=2;step:stepSize=1;exponential:gamma=0.5',
};

describe('the scheduler registry', () => {
  it('builds every listed class from its spec, by class name and by alias', () => {
    expect(Object.keys(OPTIONS).sort()).toEqual([...SCHEDULER_NAMES].sort());
    for (const name of SCHEDULER_NAMES) {
      if (name === 'LinearWarmup') continue; // built through warmup=N below
      const opt = new SGD({ lr: 0.1 });
      const spec = parseSchedulerSpec(`${name}:${OPTIONS[name]}`);
      expect(spec.scheduler).toBe(name);
      const s = createScheduler(opt, spec);
      expect(s.type).toBe(name);
      expect(s instanceof LRScheduler || s instanceof ReduceLROnPlateau).toBe(true);
      opt.dispose();
    }
    expect(parseSchedulerSpec('cosine-restarts:t0=3').scheduler).toBe('CosineAnnealingWarmRestarts');
    expect(parseSchedulerSpec('exp:gamma=0.5').scheduler).toBe('ExponentialLR');
    const warm = createScheduler(new SGD({ lr: 0.1 }), parseSchedulerSpec('cosine:tMax=10,warmup=2'));
    expect(warm.type).toBe('LinearWarmup');
  });

  it('names every class and alias in its errors, with TrainError', () => {
    expect(() => parseSchedulerSpec('nope')).toThrow(
      "parseSchedulerSpec: unknown scheduler 'nope'. Known: step, multistep, exponential, exp, linear, cosine, cosine-restarts, onecycle, plateau, sequential (or class names StepLR, MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau, LinearWarmup, SequentialLR)",
    );
    let err: unknown;
    try {
      createScheduler(new SGD({ lr: 0.1 }), { scheduler: 'Nope', options: {} });
    } catch (e) {
      err = e;
    }
    expect(TrainError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/Known: StepLR, .*SequentialLR$/);
  });
});
