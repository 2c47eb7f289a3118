import { EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ModelDebugger } from '@cnn/callbacks';
import { Adam, SGD } from '@cnn/train';
import { describe, expect, it } from 'vitest';
import { nonNegativeInt, parseTrainingArgs, resolveUserPath, positiveInt, positiveNumber, UsageError, type TrainingDefaults } from './flags.js';
import { createCallbacks, createOptimizer } from './run.js';

const defaults: TrainingDefaults = { epochs: 5, batchSize: 32, lr: 0.01, optimizer: 'sgd', momentum: 0.8, weightDecay: 1e-4, out: 'runs/x' };
const parse = (argv: string[]) => parseTrainingArgs(argv, defaults, { extra: { type: 'string' } }, 'usage').flags;

describe('parseTrainingArgs', () => {
  it("takes the app's defaults and passes the app's own options through", () => {
    const { flags, values } = parseTrainingArgs(['--extra', 'v'], defaults, { extra: { type: 'string' } }, 'usage');
    expect(flags).toMatchObject({
      epochs: 5,
      batchSize: 32,
      lr: 0.01,
      optimizer: 'sgd',
      momentum: 0.8,
      weightDecay: 1e-4,
      out: resolveUserPath('runs/x'),
      backend: 'auto',
      seed: 0,
      logEvery: 100,
      resume: false,
      lrFind: false,
      help: false,
    });
    expect(flags.scheduler).toBeUndefined();
    expect(values.extra).toBe('v');
  });

  it('puts the usage text after an unknown-option message', () => {
    expect(() => parse(['--nope'])).toThrow(/Unknown option '--nope'[\s\S]*usage/);
  });

  it.each([
    [() => positiveInt('--n', '2.5'), '--n must be a positive integer, got "2.5"'],
    [() => positiveInt('--n', ''), '--n must be a positive integer, got ""'],
    [() => nonNegativeInt('--n', '-1'), '--n must be a non-negative integer, got "-1"'],
    [() => positiveNumber('--x', 'NaN'), '--x must be a positive number, got "NaN"'],
    [() => positiveNumber('--x', 'Infinity'), '--x must be a positive number'],
  ])('validators reject bad numbers (%#)', (fn, message) => {
    expect(fn).toThrow(UsageError);
    expect(fn).toThrow(message);
  });
});

describe('createOptimizer / createCallbacks', () => {
  it("builds Adam or SGD with the flags' learning rate", () => {
    const sgd = createOptimizer(parse([]));
    expect(sgd).toBeInstanceOf(SGD);
    expect(sgd.lr).toBe(0.01);
    const adam = createOptimizer(parse(['--optimizer', 'adam', '--lr', '3e-4']));
    expect(adam).toBeInstanceOf(Adam);
    expect(adam.lr).toBe(3e-4);
    const nesterov = createOptimizer(parse(['--nesterov', '--momentum', '0.8', '--weight-decay', '1e-4'])) as SGD;
    expect([nesterov.nesterov, nesterov.momentum, sgd instanceof SGD && sgd.nesterov]).toEqual([true, 0.8, false]);
    expect(() => createOptimizer(parse(['--nesterov', '--momentum', '0']))).toThrow(/nesterov/);
    sgd.dispose();
    adam.dispose();
    nesterov.dispose();
  });

  it('always checkpoints (per epoch, and best with a validation set) and adds scheduler, early stopping and debugger in order when asked', () => {
    expect(createCallbacks(parse([]), () => {}, { validation: true }).map((c) => c.constructor)).toEqual([ModelCheckpoint, ModelCheckpoint]);
    const all = createCallbacks(parse(['--scheduler', 'step:stepSize=2', '--early-stopping-patience', '3', '--debug-every', '10', '--out', 'o']), () => {}, {
      validation: true,
    });
    expect(all.map((c) => c.constructor)).toEqual([LRSchedulerCallback, EarlyStopping, ModelDebugger, ModelCheckpoint, ModelCheckpoint]);
    const [perEpoch, best] = all.slice(3) as ModelCheckpoint[];
    expect(perEpoch!.dir).toBe(resolveUserPath('o/checkpoint'));
    expect(best!.dir).toBe(resolveUserPath('o/best'));
    expect(best!.saveBestOnly).toBe(true);
    expect(best!.monitor).toBe('val_accuracy');
  });

  it('without a validation set selects on nothing: no best checkpoint, early stopping ignored with a line', () => {
    const lines: string[] = [];
    const cbs = createCallbacks(parse(['--early-stopping-patience', '3']), (l) => lines.push(l));
    expect(cbs.map((c) => c.constructor)).toEqual([ModelCheckpoint]);
    expect(lines).toEqual(['--early-stopping-patience ignored: this run has no validation set, and early stopping never selects on the test set']);
    expect(() => createCallbacks(parse(['--scheduler', 'plateau:patience=2']), () => {})).toThrow(
      '--scheduler plateau:patience=2: ReduceLROnPlateau selects on val_loss and this run has no validation set',
    );
    expect(createCallbacks(parse(['--scheduler', 'plateau:patience=2']), () => {}, { validation: true })[0]).toBeInstanceOf(LRSchedulerCallback);
  });
});
