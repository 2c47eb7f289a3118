import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { resolveUserPath, UsageError } from '@cnn/app-common';
import { parseFlags } from './cli.js';

describe('parseFlags', () => {
  it('uses the chapter recipe by default and ignores the "--" pnpm passes through', () => {
    const f = parseFlags(['--']);
    expect(f).toMatchObject({
      model: 'mnistnet',
      epochs: 10,
      batchSize: 64,
      lr: 1e-3,
      optimizer: 'adam',
      backend: 'auto',
      seed: 0,
      out: resolveUserPath('runs/mnist'),
    });
    expect(f.limit).toBeUndefined();
  });

  it('reads every flag', () => {
    const f = parseFlags([
      '--model',
      'improved',
      '--epochs',
      '3',
      '--batch-size',
      '128',
      '--lr',
      '0.01',
      '--optimizer',
      'sgd',
      '--backend',
      'cpu',
      '--seed',
      '7',
      '--data-dir',
      '/data',
      '--limit',
      '500',
      '--out',
      'o',
      '--log-every',
      '5',
      '--momentum',
      '0.8',
      '--nesterov',
      '--weight-decay',
      '5e-4',
      '--scheduler',
      'multistep:milestones=2|3',
      '--early-stopping-patience',
      '2',
      '--clip-norm',
      '1.5',
      '--label-smoothing',
      '0.1',
      '--resume',
      '--lr-find',
      '--debug-every',
      '50',
    ]);
    expect(f).toMatchObject({
      model: 'improved',
      epochs: 3,
      batchSize: 128,
      lr: 0.01,
      optimizer: 'sgd',
      backend: 'cpu',
      seed: 7,
      dataDir: '/data',
      limit: 500,
      out: resolveUserPath('o'),
      logEvery: 5,
      momentum: 0.8,
      nesterov: true,
      weightDecay: 5e-4,
      scheduler: 'multistep:milestones=2|3',
      earlyStoppingPatience: 2,
      clipNorm: 1.5,
      labelSmoothing: 0.1,
      resume: true,
      lrFind: true,
      debugEvery: 50,
    });
  });

  it('resolves --out and --data-dir against the directory pnpm was invoked in (INIT_CWD)', () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = '/home/user/project';
    try {
      expect(parseFlags(['--out', 'runs/a', '--data-dir', 'data/mnist'])).toMatchObject({
        out: '/home/user/project/runs/a',
        dataDir: '/home/user/project/data/mnist',
      });
      expect(parseFlags(['--out', '/abs/out']).out).toBe('/abs/out');
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
    expect(path.isAbsolute(parseFlags([]).out)).toBe(true);
  });

  it.each([
    [['--backend', 'tpu'], 'Unknown --backend "tpu"; expected one of auto, onednn, webgpu, tensorflow, wasm, cpu'],
    [['--model', 'resnet'], 'Unknown --model "resnet"; expected one of mnistnet, improved'],
    [['--optimizer', 'rmsprop'], 'Unknown --optimizer "rmsprop"'],
    [['--batch-size', '0'], '--batch-size must be a positive integer, got "0"'],
    [['--batch-size=-4'], '--batch-size must be a positive integer'],
    [['--epochs', '1.5'], '--epochs must be a positive integer, got "1.5"'],
    [['--lr', 'abc'], '--lr must be a positive number, got "abc"'],
    [['--limit', '0'], '--limit must be a positive integer'],
    [['--seed=-1'], '--seed must be a non-negative integer'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--momentum', '1'], '--momentum must be in [0, 1), got "1"'],
    [['--weight-decay=-1'], '--weight-decay must be a non-negative number'],
    [['--scheduler', 'warp:speed=9'], '--scheduler'],
    [['--clip-norm', '0'], '--clip-norm must be a positive number'],
    [['--label-smoothing', '1'], '--label-smoothing must be in [0, 1), got "1"'],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(UsageError);
    expect(() => parseFlags(argv)).toThrow(message);
  });
});
