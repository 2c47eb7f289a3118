import { resolveUserPath, UsageError } from '@cnn/app-common';
import { describe, expect, it } from 'vitest';
import { parseFlags } from './cli.js';

describe('parseFlags (CIFAR-10)', () => {
  it("uses the chapter's recipe by default: SGD 0.1, momentum 0.9, wd 5e-4, batch 128, 50 epochs, MultiStepLR [25, 40]", () => {
    const f = parseFlags(['--']);
    expect(f).toMatchObject({
      model: 'cifar10net',
      epochs: 50,
      batchSize: 128,
      lr: 0.1,
      optimizer: 'sgd',
      momentum: 0.9,
      weightDecay: 5e-4,
      augment: 'standard',
      milestones: [25, 40],
      scheduler: 'multistep:milestones=25|40,gamma=0.1',
      out: resolveUserPath('runs/cifar10'),
      resume: false,
    });
  });

  it('turns --milestones into the scheduler unless --scheduler is given', () => {
    expect(parseFlags(['--milestones', '5,8', '--epochs', '10']).scheduler).toBe('multistep:milestones=5|8,gamma=0.1');
    expect(parseFlags(['--milestones', '5,8', '--scheduler', 'cosine:tMax=10']).scheduler).toBe('cosine:tMax=10');
    expect(parseFlags(['--subset', '500', '--augment', 'none', '--resume'])).toMatchObject({ subset: 500, augment: 'none', resume: true });
  });

  it('keeps the standard recipe by default: per-epoch evaluation, no TTA, no fast-only settings', () => {
    expect(parseFlags([])).toMatchObject({ recipe: 'standard', evalEvery: 1, tta: 0, whitening: true, lookahead: true, labelSmoothing: 0, nesterov: false });
    expect(parseFlags(['--recipe', 'standard', '--tta', '2', '--eval-every', '5'])).toMatchObject({ tta: 2, evalEvery: 5 });
  });

  it("--recipe fast takes airbench94's values in its decoupled form, and flags override them", () => {
    const f = parseFlags(['--', '--recipe', 'fast']);
    expect(f).toMatchObject({
      recipe: 'fast',
      model: 'airbench94',
      epochs: 9.9,
      batchSize: 1024,
      lr: 11.5,
      momentum: 0.85,
      nesterov: true,
      weightDecay: 0.0153,
      labelSmoothing: 0.2,
      augment: 'flip-translate',
      evalEvery: 0,
      tta: 2,
      whitening: true,
      lookahead: true,
      out: resolveUserPath('runs/cifar10-fast'),
    });
    expect(f.scheduler).toBeUndefined();
    expect(f.widths).toBeUndefined();
    expect(
      parseFlags([
        '--recipe=fast',
        '--epochs',
        '2.5',
        '--batch-size',
        '256',
        '--seed',
        '7',
        '--tta',
        '0',
        '--eval-every',
        '1',
        '--label-smoothing',
        '0',
        '--widths',
        '16,32,32',
        '--no-whitening',
        '--no-lookahead',
        '--subset',
        '1000',
      ]),
    ).toMatchObject({
      recipe: 'fast',
      epochs: 2.5,
      batchSize: 256,
      seed: 7,
      tta: 0,
      evalEvery: 1,
      labelSmoothing: 0,
      widths: [16, 32, 32],
      whitening: false,
      lookahead: false,
      subset: 1000,
    });
  });

  it.each([
    [['--recipe', 'airbench'], 'Unknown --recipe "airbench"; expected one of standard, fast'],
    [['--recipe=turbo'], 'Unknown --recipe "turbo"; expected one of standard, fast'],
    [['--recipe', 'fast', '--milestones', '3,4'], '--milestones: not taken by --recipe fast'],
    [['--recipe', 'fast', '--scheduler', 'cosine:tMax=3', '--lr-find'], '--scheduler, --lr-find: not taken by --recipe fast'],
    [['--recipe', 'fast', '--optimizer', 'adam'], '--optimizer: --recipe fast uses Nesterov SGD with parameter groups'],
    [['--recipe', 'fast', '--model', 'cifar10net'], '--model cifar10net: --recipe fast trains airbench94 only'],
    [['--no-whitening'], '--no-whitening: only for --recipe fast'],
    [['--no-lookahead'], '--no-lookahead: only for --recipe fast'],
    [['--widths', '8,8,8'], '--widths: only for --model airbench94 (this run trains cifar10net)'],
    [['--recipe', 'fast', '--widths', '8,8'], '--widths must be three positive integers A,B,C (the conv-group widths), got "8,8"'],
    [['--recipe', 'fast', '--widths', '8,0,8'], '--widths must be a positive integer, got "0"'],
    [['--tta', '3'], 'Unknown --tta "3"; expected one of 0, 1, 2'],
    [['--eval-every', '-1'], '--eval-every'],
    [
      ['--eval-every', '2', '--early-stopping-patience', '3'],
      '--early-stopping-patience needs the test loss of every epoch; drop it or use --eval-every 1 (got --eval-every 2)',
    ],
    [
      ['--eval-every', '0', '--scheduler', 'plateau:patience=2'],
      '--scheduler plateau needs the test loss of every epoch; use --eval-every 1 (got --eval-every 0)',
    ],
    [['--recipe', 'fast', '--epochs', '0'], '--epochs must be a positive number, got "0"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(UsageError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it.each([
    [['--augment', 'heavy'], 'Unknown --augment "heavy"; expected one of standard, flip-translate, none'],
    [['--milestones', '40,25'], '--milestones must be increasing, got "40,25"'],
    [['--milestones', '25,x'], '--milestones must be a positive integer, got "x"'],
    [['--subset', '0'], '--subset must be a positive integer, got "0"'],
    [['--batch-size', '0'], '--batch-size must be a positive integer, got "0"'],
    [['--backend', 'gpu'], 'Unknown --backend "gpu"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(UsageError);
    expect(() => parseFlags(argv)).toThrow(message);
  });
});

describe('--mixup / --cutmix', () => {
  it('parse to the alpha of MixUp or CutMix and exclude each other', () => {
    expect(parseFlags(['--mixup', '0.2']).mixup).toBe(0.2);
    expect(parseFlags(['--cutmix', '1']).cutmix).toBe(1);
    expect(parseFlags([]).mixup).toBeUndefined();
    expect(() => parseFlags(['--mixup', '0.2', '--cutmix', '1'])).toThrow('--mixup and --cutmix exclude each other; choose one');
    expect(() => parseFlags(['--mixup', '0'])).toThrow('--mixup must be a positive number, got "0"');
  });
});
