import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { histogram } from '@cnn/core';
import { writeJsonAtomic } from '@cnn/core/node';
import { confusionMatrixSpec, curvesSpec, renderChartSvg } from '@cnn/core';
import { renderChartPng } from '@cnn/core/node';
import { applyColormap, colormapLut } from '../render/colormap.js';
import { composeGrid, overlayPng, rawToPng } from '../render/images.js';

describe('charts', () => {
  it('renders a confusion matrix to SVG with the class names and counts', async () => {
    const svg = await renderChartSvg(
      confusionMatrixSpec(
        [
          [5, 1],
          [0, 7],
        ],
        ['cat', 'dog'],
      ),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['cat', 'dog', '>5<', '>7<', 'predicted class']) expect(svg).toContain(text);
  });

  it('renders curves to a PNG of the declared size (scale 2)', async () => {
    const history = [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 1 / epoch,
      accuracy: 0.5,
      val_loss: 1.2 / epoch,
      val_accuracy: 0.4,
      lr: 0.1,
      seconds: 1,
      imgPerSec: 10,
    }));
    const spec = curvesSpec(history, 'loss');
    const svg = await renderChartSvg(spec);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const meta = await sharp(await renderChartPng(spec, 2)).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(width * 2);
  });
});

describe('colormap', () => {
  it('viridis and turbo lookup tables have the published end points', async () => {
    const viridis = await colormapLut('viridis');
    expect([...viridis.subarray(0, 3)]).toEqual([68, 1, 84]); // #440154
    expect([...viridis.subarray(255 * 3)]).toEqual([253, 231, 37]); // #fde725
    const turbo = await colormapLut('turbo');
    expect([...turbo.subarray(0, 3)]).toEqual([35, 23, 27]); // d3 turbo(0)
    await expect(colormapLut('nope' as never)).rejects.toThrow(/unknown colormap 'nope'/);
  });

  it('maps [0, 1] values through the table', async () => {
    const lut = await colormapLut('inferno');
    const map = tf.tensor2d([[0, 1]]);
    const rgb = await applyColormap(map, lut);
    expect([...rgb]).toEqual([...lut.subarray(0, 3), ...lut.subarray(765)]);
    map.dispose();
  });
});

describe('images', () => {
  const gray = { pixels: new Uint8Array([0, 255, 255, 0]), height: 2, width: 2, channels: 1 as const };

  it('enlarges with nearest neighbour and keeps pixel values', async () => {
    const { data, info } = await sharp(await rawToPng(gray, 4))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([4, 4]);
    expect(data[0]).toBe(0);
    expect(data[(0 * 4 + 3) * info.channels]).toBe(255);
  });

  it('overlays a heat map at half opacity', async () => {
    const heat = { pixels: new Uint8Array(2 * 2 * 3).fill(200), height: 2, width: 2, channels: 3 as const };
    const { data, info } = await sharp(await overlayPng(gray, heat, 2, 0.5))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.channels).toBeGreaterThanOrEqual(3);
    expect(Math.abs(data[0] - 100)).toBeLessThanOrEqual(2); // 0.5·200 + 0.5·0
    expect(Math.abs(data[info.channels] - 228)).toBeLessThanOrEqual(2); // 0.5·200 + 0.5·255
  });

  it('lays out a grid wide enough for its captions, with text drawn', async () => {
    const png = await rawToPng(gray);
    const tiles = Array.from({ length: 5 }, () => ({ image: png, caption: ['a fairly long caption line'] }));
    const grid = await composeGrid(tiles, { columns: 3, tileSize: 20, fontSize: 10 });
    const meta = await sharp(grid).metadata();
    expect(meta.width).toBeGreaterThanOrEqual(3 * 26 * 10 * 0.6);
    const noText = await composeGrid(
      tiles.map((t) => ({ image: t.image })),
      { columns: 3, tileSize: 20 },
    );
    expect((await sharp(noText).metadata()).height).toBeLessThan(meta.height as number);
    await expect(composeGrid([])).rejects.toThrow(/tiles is empty/);
  });
});

describe('histogram and atomic writes', () => {
  it('bins values and handles constant input without NaN', () => {
    expect(histogram('h', [0, 1, 2, 3], 2)).toEqual({ name: 'h', edges: [0, 1.5, 3], counts: [2, 2], nonFinite: 0 });
    expect(histogram('c', [2, 2, NaN], 2)).toEqual({ name: 'c', edges: [1.5, 2, 2.5], counts: [0, 2], nonFinite: 1 });
    expect(histogram('n', [NaN], 2)).toEqual({ name: 'n', edges: [0, 0.5, 1], counts: [0, 0], nonFinite: 1 });
  });

  it('writes JSON atomically without leaving temporary files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'explain-atomic-'));
    await writeJsonAtomic(join(dir, 'a.json'), { x: 1 });
    expect(JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'))).toEqual({ x: 1 });
    expect(await readdir(dir)).toEqual(['a.json']);
    await rm(dir, { recursive: true });
  });
});
