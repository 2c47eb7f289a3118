import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bf16Supported, getPrimitiveImpls, setPrecision } from '@cnn/backend-onednn';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { trainClassifier } from './train-classifier.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-train-classifier-'));
const savedDataDir = process.env.CNN_DATA_DIR;
beforeAll(() => {
  process.env.CNN_DATA_DIR = path.join(tmp, 'cache'); // the image-folder decode cache
});
afterAll(() => {
  if (savedDataDir === undefined) delete process.env.CNN_DATA_DIR;
  else process.env.CNN_DATA_DIR = savedDataDir;
  rmSync(tmp, { recursive: true, force: true });
});

/** `n` grey PNGs of `size`×`size` per class, class k a different brightness with seeded noise. */
async function makeFolder(root: string, classes: string[], n: number, size = 8): Promise<string> {
  let s = 1;
  const noise = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s % 31) - 15;
  };
  for (const [k, cls] of classes.entries()) {
    mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = Buffer.alloc(size * size * 3);
      for (let j = 0; j < px.length; j++) px[j] = Math.max(0, Math.min(255, 40 + 80 * k + noise()));
      await sharp(px, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(path.join(root, cls, `${String(i).padStart(3, '0')}.png`));
    }
  }
  return root;
}

const quiet = (): void => {};

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).code).toBe('ERR_CNN_USAGE');
  return err as UsageError;
}

describe('trainClassifier on a generated image folder (3 classes × 12 PNGs of 8×8)', () => {
  it('trains one epoch with a validation split and writes the run folder; the model carries what predict needs', async () => {
    const src = await makeFolder(path.join(tmp, 'shapes'), ['dark', 'mid', 'light'], 12);
    const testDir = await makeFolder(path.join(tmp, 'shapes-test'), ['dark', 'mid', 'light'], 3);
    const out = path.join(tmp, 'run');
    const lines: string[] = [];
    const r = await trainClassifier({
      source: src,
      testDir,
      imageSize: 28,
      model: 'mnistnet',
      validPct: 0.25,
      epochs: 1,
      batchSize: 9,
      backend: 'auto',
      out,
      log: (l) => lines.push(l),
    });
    expect(r).toBeDefined();
    const { summary, history, outDir } = r!;
    expect(outDir).toBe(out);
    expect(summary).toMatchObject({ model: 'mnistnet', epochs: 1, evaluatedOn: 'test', sizes: { train: 27, validation: 9, test: 9 } });
    expect(summary.data).toEqual({ source: src, format: 'image folder', dir: src, sha256: 'image folder', testDir });
    for (const k of ['valAcc', 'valLoss', 'testAcc', 'testLoss'] as const) expect(Number.isFinite(summary[k]), k).toBe(true);
    expect(history).toHaveLength(1);
    expect(Number.isFinite(history[0]!.val_loss)).toBe(true);
    expect(Number.isFinite(history[0]!.test_loss)).toBe(true);
    const onDisk = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(onDisk.valAcc).toBe(summary.valAcc);
    expect(onDisk.config).toMatchObject({ source: 'image folder', recipe: 'standard', model: 'mnistnet', validPct: 0.25 });
    for (const f of ['model/model.json', 'history.json', 'summary.json', 'analysis.json', 'report.html', 'checkpoint/checkpoint.json', 'best']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const meta = JSON.parse(readFileSync(path.join(out, 'model', 'model.json'), 'utf8')).userDefinedMetadata.cnn;
    expect(meta.classNames).toEqual(['dark', 'light', 'mid']);
    expect(meta.imageSize).toEqual([28, 28]);
    expect(meta.channels).toBe(1);
    expect(meta.normalization.mean).toHaveLength(1);
    expect(meta.normalization.mean[0]).toBeGreaterThan(0.1); // the training split's statistics, not MNIST's
    expect(lines.join('\n')).toContain('data: 27 training, 9 validation, 9 test images; 3 classes; 28x28x1');
  });

  it('drops a last training batch of one image (BatchNorm cannot train on it) and refuses --resume on other classes', async () => {
    // 3 classes × 12 images with --valid-pct 0.1 leave 33 training images: batches of 32 and 1 — the 1 is dropped
    const src = await makeFolder(path.join(tmp, 'odd'), ['a', 'b', 'c'], 12);
    const out = path.join(tmp, 'odd-run');
    const lines: string[] = [];
    const r = await trainClassifier({ source: src, imageSize: 28, model: 'improved', validPct: 0.1, epochs: 1, batchSize: 32, out, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain('data: 33 training, 3 validation');
    expect(r!.summary.trainImgPerSec * r!.summary.trainSeconds).toBeCloseTo(32, 6); // one batch of 32 trained
    const other = await makeFolder(path.join(tmp, 'odd-other'), ['a', 'b', 'z'], 12);
    const err = await usageError(
      trainClassifier({ source: other, imageSize: 28, model: 'improved', validPct: 0.1, epochs: 2, batchSize: 32, out, resume: true, log: quiet }),
    );
    expect(err.message).toContain('classes "a,b,c" there, "a,b,z" here');
  });

  it('refuses bad folders with a UsageError naming the path, before writing anything', async () => {
    const out = path.join(tmp, 'never');
    const one = await makeFolder(path.join(tmp, 'one-class'), ['only'], 4);
    expect((await usageError(trainClassifier({ source: one, imageSize: 32, out, log: quiet }))).message).toContain(
      `one class folder only ('only'); a classifier needs at least 2 classes`,
    );
    const empty = await makeFolder(path.join(tmp, 'empty-class'), ['a', 'b'], 4);
    mkdirSync(path.join(empty, 'c'));
    expect((await usageError(trainClassifier({ source: empty, imageSize: 32, out, log: quiet }))).message).toContain(
      `class folder ${path.join(empty, 'c')} is empty`,
    );
    const text = await makeFolder(path.join(tmp, 'stray'), ['a', 'b'], 4);
    writeFileSync(path.join(text, 'b', 'notes.txt'), 'hello');
    expect((await usageError(trainClassifier({ source: text, imageSize: 32, out, log: quiet }))).message).toContain(
      `${path.join(text, 'b', 'notes.txt')} is not an image`,
    );
    const broken = await makeFolder(path.join(tmp, 'broken'), ['a', 'b'], 4);
    writeFileSync(path.join(broken, 'a', 'zz.png'), 'not a png');
    expect((await usageError(trainClassifier({ source: broken, imageSize: 32, out, log: quiet }))).message).toContain(path.join(broken, 'a', 'zz.png'));
    const mixed = await makeFolder(path.join(tmp, 'mixed'), ['a', 'b'], 4);
    await makeFolder(path.join(tmp, 'mixed'), ['c'], 1, 12);
    expect((await usageError(trainClassifier({ source: mixed, out, log: quiet }))).message).toMatch(
      /c\/000\.png is 12×12 but a\/000\.png is 8×8; pass --image-size N/,
    );
    const small = await makeFolder(path.join(tmp, 'small'), ['a', 'b'], 4);
    expect((await usageError(trainClassifier({ source: small, out, log: quiet }))).message).toContain(
      'images are 8x8x3 but --model cifar10net takes 32x32x3; pass --image-size 32',
    );
    const single = await makeFolder(path.join(tmp, 'single'), ['a', 'b'], 4);
    rmSync(path.join(single, 'b'), { recursive: true });
    await makeFolder(path.join(tmp, 'single'), ['b'], 1);
    expect((await usageError(trainClassifier({ source: single, imageSize: 32, out, log: quiet }))).message).toMatch(/^--valid-pct 0\.1: .*'b'/);
    const missing = path.join(tmp, 'no-such-folder');
    expect((await usageError(trainClassifier({ source: missing, out, log: quiet }))).message).toContain(`SOURCE ${missing}: not a folder`);
    const otherTest = await makeFolder(path.join(tmp, 'other-test'), ['a', 'x'], 2);
    expect((await usageError(trainClassifier({ source: small, testDir: otherTest, imageSize: 32, out, log: quiet }))).message).toContain(
      'classes [a, x] differ',
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('trainClassifier --precision bf16', () => {
  it('exits 1 with the refusal naming the ISA on a CPU without bf16 (DNNL_MAX_CPU_ISA=AVX2), and writes no summary.json', async () => {
    const src = await makeFolder(path.join(tmp, 'bf16-refused'), ['a', 'b'], 4);
    const out = path.join(tmp, 'bf16-refused-run');
    const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        bin,
        'train',
        src,
        '--image-size',
        '28',
        '--model',
        'mnistnet',
        '--precision',
        'bf16',
        '--epochs',
        '1',
        '--batch-size',
        '4',
        '--out',
        out,
      ],
      {
        env: { ...process.env, DNNL_MAX_CPU_ISA: 'AVX2', OMP_NUM_THREADS: '1' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error: bf16 precision needs a CPU with AVX512_BF16 or AMX .*oneDNN found avx2 on this CPU/);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(false);
  });

  it.runIf(bf16Supported())('trains one epoch in bf16 on onednn and records precision in summary.json', async () => {
    const src = await makeFolder(path.join(tmp, 'bf16-shapes'), ['dark', 'mid', 'light'], 12);
    const out = path.join(tmp, 'bf16-run');
    const lines: string[] = [];
    const r = await trainClassifier({
      source: src,
      imageSize: 28,
      model: 'mnistnet',
      validPct: 0.25,
      epochs: 1,
      batchSize: 9,
      precision: 'bf16',
      out,
      log: (l) => lines.push(l),
    });
    expect(r!.summary).toMatchObject({ backend: 'onednn', precision: 'bf16' });
    expect(Number.isFinite(r!.summary.testLoss)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).precision).toBe('bf16');
    expect(lines.join('\n')).toMatch(/backend: onednn \(requested onednn: .*, precision bf16\)/);
    expect(getPrimitiveImpls().some((i) => i.key.startsWith('conv_fwd_bf16:') && /bf16/.test(i.impl))).toBe(true);
    setPrecision('float32');
  });
});
