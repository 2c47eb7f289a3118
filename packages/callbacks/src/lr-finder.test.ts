import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Adam, SGD, fit, getModelWeights, type Optimizer } from '@cnn/train';
import { getModelRngState } from '@cnn/models';
import { lrAt, lrFind, suggestLr } from './lr-finder.js';
import { writeLrFinderPlot } from './node/lr-finder-plot.js';
import { DataLoader } from '@cnn/data';
import { toyDataset, toyLoaders, toyNet } from './testing/toy.js';

function snapshot(model: ReturnType<typeof toyNet>, opt: Optimizer): string {
  const w = getModelWeights(model).map((x) => [x.name, Array.from(x.values)]);
  const s = opt.getState();
  const slots = Object.entries(s.slots).map(([p, m]) => [p, Object.entries(m).map(([k, v]) => [k, Array.from(v.values)])]);
  return JSON.stringify({ w, step: s.step, lr: s.lr, slots, rng: getModelRngState(model) });
}

describe('lrFind', () => {
  it('yields to the event loop between batches with yieldEvery (a timer keeps ticking), not without', async () => {
    const run = async (yieldEvery: number): Promise<number> => {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
      }, 0);
      try {
        await lrFind(toyNet(3), toyLoaders(48, 8).train, new Adam({ lr: 0.01 }), { numIter: 12, yieldEvery });
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    expect(await run(1)).toBeGreaterThanOrEqual(5);
    expect(await run(0)).toBe(0);
  });

  it('spaces rates exponentially or linearly and hits both ends exactly', () => {
    expect(lrAt(0, 5, 1e-6, 1, 'exp')).toBe(1e-6);
    expect(lrAt(4, 5, 1e-6, 1, 'exp')).toBe(1);
    expect(lrAt(2, 5, 1e-6, 1, 'exp')).toBeCloseTo(1e-3, 15);
    expect(lrAt(1, 5, 0, 1, 'linear')).toBe(0.25);
  });

  it('leaves weights, Adam slots, step, lr and dropout RNG bit-identical, also after divergence; writes the plot', async () => {
    const model = toyNet(5);
    const { train, validation } = toyLoaders();
    const opt = new Adam({ lr: 0.01 });
    await fit(model, { train, validation, epochs: 1, optimizer: opt, log: () => {}, progress: 'none' }); // slots exist
    const before = snapshot(model, opt);
    // labels that contradict the images: no weights fit them, and large rates blow the loss up
    const noisy = toyDataset(48, 9, 'noisy');
    noisy.labels.forEach((_, i) => {
      noisy.labels[i] = ((i * 7) % 5) % 2;
    });
    const noisyLoader = new DataLoader(noisy, { batchSize: 8, shuffle: true, seed: 1 });
    const r = await lrFind(model, noisyLoader, opt, { startLr: 1e-5, endLr: 1e4, numIter: 60 });
    expect(snapshot(model, opt)).toBe(before);
    expect(noisyLoader.epoch).toBe(0); // the loader's shuffle counter is restored too
    expect(r.diverged).toBe(true); // Adam at lr 1e3 blows the loss up
    expect(r.lrs.length).toBeLessThan(60);
    expect(r.lrs[0]).toBe(1e-5);
    expect(r.smoothedLosses[0]).toBe(r.losses[0]); // bias correction
    expect(r.suggestion.steepest).toBeGreaterThan(1e-5);
    expect(r.suggestion.minLossDiv10).toBe(r.lrs[r.suggestion.minIndex!] / 10);

    const dir = mkdtempSync(join(tmpdir(), 'lrf-'));
    const out = await writeLrFinderPlot(r, join(dir, 'lr-find.png'));
    const meta = await sharp(out.png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(400);
    expect(statSync(out.png).size).toBeGreaterThan(5000);
    const spec = JSON.parse(readFileSync(out.spec, 'utf8'));
    expect(spec.layer[0].encoding.x.scale.type).toBe('log');
    expect(spec.layer[2].mark.type).toBe('rule');
  });

  it('runs the full range on a fresh SGD (no slots before → none after) and reaches endLr exactly', async () => {
    const model = toyNet(6);
    const { train } = toyLoaders(16, 8); // 2 batches per pass: the loader is re-iterated
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    const before = snapshot(model, opt);
    const r = await lrFind(model, train, opt, { startLr: 1e-4, endLr: 1e-2, numIter: 7, mode: 'linear' });
    expect(r.diverged).toBe(false);
    expect(r.lrs).toHaveLength(7);
    expect(r.lrs[6]).toBe(1e-2);
    expect(r.lrs[3]).toBeCloseTo(0.00505, 12);
    expect(opt.getState().slots).toEqual({});
    expect(snapshot(model, opt)).toBe(before);
    await expect(lrFind(model, train, opt, { startLr: 1, endLr: 0.1 })).rejects.toThrow(/endLr must be a finite number > startLr\. Received: endLr=0\.1/);
  });

  it('suggestLr picks the steepest descent and min/10', () => {
    const lrs = [1, 2, 3, 4, 5, 6, 7];
    const s = suggestLr(lrs, [5, 4.9, 4.5, 3, 2.9, 2.8, 4]);
    expect(s.steepest).toBe(3); // central difference (3 - 4.9)/2 at index 2 is the most negative... index 3: (2.9-4.5)/2 = -0.8; index 2: -0.95
    expect(s.minLossDiv10).toBeCloseTo(0.6, 12);
  });
});
