import * as path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { createProgram, runProgram } from '../program.js';
import { resolveTrainConfig } from '../train/config.js';
import { CIFAR10_FAST_RECIPE, CIFAR10_MUON_RECIPE, CIFAR10_STANDARD_RECIPE, MNIST_RECIPE } from '../train/recipes.js';
import { parseTrainArgs, registerTrain } from './train.js';

const cfg = (...argv: string[]) => resolveTrainConfig(parseTrainArgs(argv));

describe('cnn train flags → trainClassifier options', () => {
  it('MNIST: the chapter recipe by default, "--" dropped, paths against the working directory', () => {
    const c = cfg('mnist', '--');
    expect(c).toMatchObject({
      model: 'mnistnet',
      epochs: 10,
      batchSize: 64,
      lr: 1e-3,
      optimizer: 'adam',
      backend: 'auto',
      seed: 0,
      validPct: 0,
      saveBest: false,
    });
    expect(c.out).toBe(path.resolve('runs/mnist'));
    expect(c.limit).toBeUndefined();
    expect(MNIST_RECIPE).toMatchObject({ epochs: c.epochs, batchSize: c.batchSize, lr: c.lr });
    expect(Object.isFrozen(MNIST_RECIPE)).toBe(true);
  });

  it('reads every flag', () => {
    const o = parseTrainArgs(
      // biome-ignore format: one flag per pair
      ['mnist', '--model', 'improved', '--epochs', '3', '--batch-size', '128', '--lr', '0.01', '--optimizer', 'sgd', '--backend', 'cpu', '--seed', '7',
        '--data-dir', '/data', '--limit', '500', '--out', 'o', '--log-every', '5', '--momentum', '0.8', '--nesterov', '--weight-decay', '5e-4',
        '--scheduler', 'multistep:milestones=2|3', '--early-stopping-patience', '2', '--clip-norm', '1.5', '--label-smoothing', '0.1', '--resume',
        '--lr-find', '--debug-every', '10', '--valid-pct', '0.2', '--save-best'],
    );
    expect(o).toMatchObject({
      source: 'mnist',
      model: 'improved',
      epochs: 3,
      batchSize: 128,
      lr: 0.01,
      optimizer: 'sgd',
      backend: 'cpu',
      seed: 7,
      dataDir: '/data',
      limit: 500,
      out: 'o',
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
      debugEvery: 10,
      validPct: 0.2,
      saveBest: true,
    });
    expect(resolveTrainConfig(o)).toMatchObject({ validPct: 0.2, saveBest: true, out: path.resolve('o'), dataDir: '/data' });
  });

  it('CIFAR-10: the standard recipe, --milestones as the scheduler unless --scheduler is given', () => {
    expect(cfg('cifar10')).toMatchObject({ ...CIFAR10_STANDARD_RECIPE, title: 'CIFAR-10 — cifar10net', out: path.resolve('runs/cifar10'), validPct: 0 });
    expect(cfg('cifar10', '--milestones', '5,8', '--epochs', '10').scheduler).toBe('multistep:milestones=5|8,gamma=0.1');
    expect(cfg('cifar10', '--milestones', '5,8', '--scheduler', 'cosine:tMax=10').scheduler).toBe('cosine:tMax=10');
    expect(cfg('cifar10', '--tta', '2', '--eval-every', '5')).toMatchObject({ tta: 2, evalEvery: 5 });
    expect(cfg('cifar10', '--mixup', '0.2').mixup).toBe(0.2);
  });

  it("--recipe fast takes airbench94's values from CIFAR10_FAST_RECIPE, and flags override them", () => {
    const f = cfg('cifar10', '--recipe', 'fast');
    expect(f).toMatchObject({ ...CIFAR10_FAST_RECIPE, title: 'CIFAR-10, fast recipe — airbench94', out: path.resolve('runs/cifar10-fast'), validPct: 0 });
    expect(f.scheduler).toBeUndefined();
    expect(
      // biome-ignore format: one flag per pair
      cfg('cifar10', '--recipe=fast', '--epochs', '2.5', '--batch-size', '256', '--seed', '7', '--tta', '0', '--eval-every', '1', '--label-smoothing', '0',
        '--widths', '16,32,32', '--no-whitening', '--no-lookahead', '--subset', '1000'),
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

  it("--recipe muon takes airbench94_muon's values from CIFAR10_MUON_RECIPE; the data and evaluation flags override them", () => {
    const m = cfg('cifar10', '--recipe', 'muon');
    expect(m).toMatchObject({
      ...CIFAR10_MUON_RECIPE,
      title: 'CIFAR-10, Muon recipe — airbench94',
      out: path.resolve('runs/cifar10-muon'),
      validPct: 0,
      optimizer: 'muon',
      lookahead: false,
      whitening: true,
      nesterov: true,
    });
    expect(m).toMatchObject({ epochs: 8, batchSize: 2000, lr: 0.24, momentum: 0.6, labelSmoothing: 0.2, reduction: 'sum', tta: 2, evalEvery: 0 });
    expect(m.muon).toEqual({
      nsSteps: 3,
      normalizeWeights: true,
      sgdMomentum: 0.85,
      whitenBiasLr: 0.053,
      normBiasLr: 0.053,
      headLr: 0.67,
      weightDecayPerExample: 2e-6,
      whitenBiasEpochs: 3,
    });
    expect(Object.isFrozen(CIFAR10_MUON_RECIPE) && Object.isFrozen(CIFAR10_MUON_RECIPE.muon)).toBe(true);
    expect(m.scheduler).toBeUndefined();
    expect(
      // biome-ignore format: one flag per pair
      cfg('cifar10', '--recipe=muon', '--epochs', '1', '--batch-size', '500', '--seed', '2', '--tta', '1', '--eval-every', '1',
        '--label-smoothing', '0.1', '--widths', '16,32,32', '--no-whitening', '--subset', '1000', '--clip-norm', '5'),
    ).toMatchObject({
      recipe: 'muon',
      epochs: 1,
      batchSize: 500,
      seed: 2,
      tta: 1,
      evalEvery: 1,
      labelSmoothing: 0.1,
      widths: [16, 32, 32],
      whitening: false,
      subset: 1000,
      clipNorm: 5,
    });
  });

  it('folders: validation 0.1 by default, out runs/<folder>', () => {
    const c = cfg('./my-images', '--image-size', '32', '--test-dir', 't');
    expect(c).toMatchObject({
      folder: true,
      validPct: 0.1,
      saveBest: true,
      model: 'cifar10net',
      imageSize: 32,
      testDir: 't',
      source: path.resolve('my-images'),
    });
    expect(c.out).toBe(path.resolve('runs/my-images'));
  });

  it.each([
    [['cifar10', '--recipe', 'airbench'], 'invalid. Allowed choices are standard, fast'],
    [['mnist', '--recipe', 'fast'], '--recipe fast: only for cifar10'],
    [['cifar10', '--recipe', 'fast', '--milestones', '3,4'], '--milestones: not taken by --recipe fast'],
    [['cifar10', '--recipe', 'fast', '--scheduler', 'cosine:tMax=3', '--lr-find'], '--scheduler, --lr-find: not taken by --recipe fast'],
    [['cifar10', '--recipe', 'fast', '--optimizer', 'adam'], '--optimizer: --recipe fast uses Nesterov SGD with parameter groups'],
    [['cifar10', '--recipe', 'fast', '--model', 'cifar10net'], '--model cifar10net: --recipe fast trains airbench94 only'],
    [['cifar10', '--no-whitening'], '--no-whitening: only for --recipe fast'],
    [['mnist', '--recipe', 'muon'], '--recipe muon: only for cifar10 (source mnist has the standard recipe only)'],
    [['fashion-mnist', '--recipe', 'muon'], '--recipe muon: only for cifar10'],
    [['./imgs', '--recipe', 'muon'], '--recipe muon: only for cifar10 (source ./imgs has the standard recipe only)'],
    [['cifar10', '--recipe', 'muon', '--optimizer', 'sgd'], '--optimizer: not taken by --recipe muon (Muon on the conv filters and Nesterov SGD'],
    [['cifar10', '--recipe', 'muon', '--lr', '0.1', '--momentum', '0.9'], '--lr, --momentum: not taken by --recipe muon'],
    [['cifar10', '--recipe', 'muon', '--nesterov'], '--nesterov: not taken by --recipe muon'],
    [['cifar10', '--recipe', 'muon', '--weight-decay', '0'], '--weight-decay: not taken by --recipe muon'],
    [['cifar10', '--recipe', 'muon', '--no-lookahead'], '--no-lookahead: --recipe muon has no Lookahead'],
    [['cifar10', '--recipe', 'muon', '--scheduler', 'cosine:tMax=3'], '--scheduler: not taken by --recipe muon (its schedule is fixed'],
    [['cifar10', '--recipe', 'muon', '--milestones', '3,4', '--lr-find'], '--milestones, --lr-find: not taken by --recipe muon'],
    [['cifar10', '--recipe', 'muon', '--early-stopping-patience', '2'], '--early-stopping-patience: not taken by --recipe muon'],
    [['cifar10', '--recipe', 'muon', '--model', 'cifar10net'], '--model cifar10net: --recipe muon trains airbench94 only'],
    [['cifar10', '--recipe', 'muon', '--epochs', '-1'], '--epochs must be a positive number, got -1'],
    [['cifar10', '--no-lookahead'], '--no-lookahead: only for --recipe fast'],
    [['cifar10', '--widths', '8,8,8'], '--widths: only for --model airbench94 (this run trains cifar10net)'],
    [['cifar10', '--recipe', 'fast', '--widths', '8,8'], '--widths must be three positive integers A,B,C, got [8,8]'],
    [['cifar10', '--tta', '3'], '--tta must be 0, 1 or 2, got 3'],
    [['cifar10', '--eval-every', '-1'], '--eval-every must be a non-negative integer, got -1'],
    [['cifar10', '--eval-every', '2', '--early-stopping-patience', '3'], '--early-stopping-patience needs the validation loss of every epoch'],
    [['cifar10', '--eval-every', '0', '--scheduler', 'plateau:patience=2'], '--scheduler plateau needs the validation loss of every epoch'],
    [['cifar10', '--recipe', 'fast', '--epochs', '0'], '--epochs must be a positive number, got 0'],
    [['mnist', '--epochs', '2.5'], '--epochs must be a positive integer, got 2.5'],
    [['cifar10', '--augment', 'heavy'], 'Allowed choices are standard, flip-translate, none'],
    [['cifar10', '--milestones', '40,25'], '--milestones must be increasing positive integers, got [40,25]'],
    [['cifar10', '--milestones', '25,x'], "option '--milestones <a,b>' argument '25,x' is invalid. expected a number."],
    [['cifar10', '--subset', '0'], '--subset must be a positive integer, got 0'],
    [['mnist', '--batch-size', '0'], '--batch-size must be a positive integer, got 0'],
    [['mnist', '--backend', 'gpu'], 'Allowed choices are auto, onednn, webgpu, tensorflow, wasm, cpu'],
    [['mnist', '--precision', 'fp16'], 'Allowed choices are float32, bf16'],
    [['mnist', '--precision'], "option '--precision <name>' argument missing"],
    [['mnist', '--precision', 'bf16', '--backend', 'cpu'], '--precision bf16: only for --backend onednn (backend cpu computes in float32)'],
    [['cifar10', '--precision', 'bf16', '--backend', 'webgpu'], '--precision bf16: only for --backend onednn (backend webgpu computes in float32)'],
    [['mnist', '--model', 'vgg'], 'Unknown --model "vgg"; expected one of mnistnet, improved, cifar10net'],
    [['mnist', '--model', 'cifar10net'], '--model cifar10net takes 32x32x3 images; mnist needs a 28x28x1 model'],
    [['mnist', '--valid-pct', '1'], '--valid-pct must be in (0, 1), got 1'],
    [['mnist', '--valid-pct', '0'], '--valid-pct must be in (0, 1), got 0'],
    [['mnist', '--valid-pct', 'x'], "option '--valid-pct <p>' argument 'x' is invalid"],
    [['mnist', '--mixup', '0.2', '--cutmix', '1'], '--mixup and --cutmix exclude each other; choose one'],
    [['mnist', '--mixup', '0'], '--mixup must be a positive number, got 0'],
    [['mnist', '--test-dir', 'x'], '--test-dir: only for an image-folder SOURCE'],
    [['mnist', '--image-size', '32'], '--image-size: only for an image-folder SOURCE'],
    [['./imgs', '--data-dir', 'x'], '--data-dir: only for mnist, fashion-mnist and cifar10'],
    [['./imgs', '--image-size', '28'], '--image-size 28: --model cifar10net takes 32x32 images'],
    [['mnist', '--scheduler', 'warp:x=1'], '--scheduler: '],
    [['mnist', '--frobnicate'], "unknown option '--frobnicate'"],
    [[], "missing required argument 'SOURCE'"],
  ])('rejects %j with a UsageError', (argv, message) => {
    let err: unknown;
    try {
      cfg(...argv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('ERR_CNN_USAGE');
    expect((err as Error).message).toContain(message);
  });
});

describe('cnn train --precision', () => {
  it('defaults to float32; bf16 turns backend auto into onednn and keeps an explicit onednn', () => {
    expect(cfg('mnist')).toMatchObject({ precision: 'float32', backend: 'auto' });
    expect(cfg('mnist', '--precision', 'float32', '--backend', 'cpu')).toMatchObject({ precision: 'float32', backend: 'cpu' });
    expect(cfg('cifar10', '--recipe', 'fast', '--precision', 'bf16')).toMatchObject({ precision: 'bf16', backend: 'onednn' });
    expect(cfg('cifar10', '--precision', 'bf16', '--backend', 'onednn')).toMatchObject({ precision: 'bf16', backend: 'onednn' });
  });
});

describe('the cnn program with train', () => {
  const run = async (argv: string[]): Promise<{ status: number; stderr: string; stdout: string }> => {
    let stderr = '';
    let stdout = '';
    const program: Command = createProgram('0.0.0', [registerTrain]);
    program.configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s), outputError: (s, write) => write(s) });
    for (const c of program.commands)
      c.configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s), outputError: (s, write) => write(s) });
    const status = await runProgram(program, argv, (l) => (stderr += `${l}\n`));
    return { status, stderr, stdout };
  };

  it('lists every flag in --help and exits 0', async () => {
    const r = await run(['train', '--help']);
    expect(r.status).toBe(0);
    for (const flag of [
      '--image-size',
      '--valid-pct',
      '--test-dir',
      '--recipe',
      '--model',
      '--epochs',
      '--batch-size',
      '--lr',
      '--optimizer',
      '--momentum',
      '--nesterov',
      '--weight-decay',
      '--scheduler',
      '--augment',
      '--mixup',
      '--cutmix',
      '--label-smoothing',
      '--clip-norm',
      '--early-stopping-patience',
      '--resume',
      '--lr-find',
      '--debug-every',
      '--backend',
      '--seed',
      '--out',
      '--limit',
      '--subset',
      '--eval-every',
      '--tta',
      '--widths',
      '--no-whitening',
      '--no-lookahead',
      '--milestones',
      '--data-dir',
      '--log-every',
      '--save-best',
      '--precision',
    ]) {
      expect(r.stdout, flag).toContain(flag);
    }
    expect(r.stdout).toContain('CIFAR-10, fast recipe (fast)');
    expect(r.stdout).toContain('CIFAR-10, Muon recipe (muon)');
    expect(r.stdout).toMatch(/muon \(cifar10\s+only:\s+airbench94_muon\)/);
  });

  it('exits 2 for --recipe muon with a flag it does not take, or on another source, naming the flag', async () => {
    const a = await run(['train', 'cifar10', '--recipe', 'muon', '--optimizer', 'adam', '--out', '/nonexistent/never']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('--optimizer: not taken by --recipe muon');
    const b = await run(['train', 'cifar10', '--recipe', 'muon', '--no-lookahead']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--no-lookahead: --recipe muon has no Lookahead');
    const c = await run(['train', 'mnist', '--recipe', 'muon']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('--recipe muon: only for cifar10');
  });

  it('exits 2 for an unknown --model (naming the choices) and for a bad value, before anything is loaded', async () => {
    const a = await run(['train', 'mnist', '--model', 'vgg', '--out', '/nonexistent/never']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('error: Unknown --model "vgg"; expected one of mnistnet, improved');
    const b = await run(['train', 'mnist', '--batch-size', 'many']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("option '--batch-size <n>' argument 'many' is invalid");
  });
});
