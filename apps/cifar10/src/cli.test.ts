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

  it.each([
    [['--augment', 'heavy'], 'Unknown --augment "heavy"; expected one of standard, none'],
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
