import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../scripts/build.js';
import { mnistPreprocess } from './preprocess.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('mnistPreprocess', () => {
  it('crops, scales the longer side to 20 px and centres the mass at (14, 14)', () => {
    const w = 100;
    const grey = new Float32Array(w * w);
    for (let y = 10; y < 50; y++) for (let x = 60; x < 70; x++) grey[y * w + x] = 1; // a 10×40 bar, off-centre
    const { pixels, input } = mnistPreprocess(grey, w, w);
    let mass = 0,
      cx = 0,
      cy = 0,
      rows = 0;
    for (let y = 0; y < 28; y++) {
      let any = false;
      for (let x = 0; x < 28; x++) {
        const v = pixels[y * 28 + x]!;
        mass += v;
        cx += v * x;
        cy += v * y;
        if (v > 0) any = true;
      }
      if (any) rows++;
    }
    expect(rows).toBe(20);
    expect(Math.abs(cx / mass - 14)).toBeLessThanOrEqual(0.5); // centred to the nearest pixel
    expect(Math.abs(cy / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(input[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
  });
});

describe.skipIf(!haveChromium)(`web demo in headless Chromium (${CHROMIUM})`, () => {
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let errors: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(await buildDemo(path.join(os.tmpdir(), `web-demo-dist-${process.pid}`)));
    chrome = await launchChromium({ width: 900, height: 600 });
    page = chrome.page;
    errors = chrome.errors;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"], body[data-error]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  });

  async function draw(strokes: [number, number][][]): Promise<string> {
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    for (const stroke of strokes) {
      await page.mouse.move(box.x + stroke[0]![0], box.y + stroke[0]![1]);
      await page.mouse.down();
      for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 12 });
      await page.mouse.up();
    }
    await page.waitForFunction(() => document.body.dataset['top1'] !== '');
    return page.evaluate(() => document.body.dataset['top1']!);
  }

  it('loads the exported model on a fallback backend and predicts drawn digits', async () => {
    expect(await page.evaluate(() => document.body.dataset['error'] ?? null)).toBeNull();
    const backend = await page.textContent('#backend');
    expect(['webgl', 'wasm', 'cpu']).toContain(backend);
    expect(
      await draw([
        [
          [140, 40],
          [140, 240],
        ],
      ]),
    ).toBe('1');
    expect(
      await draw([
        [
          [70, 50],
          [210, 50],
          [120, 245],
        ],
      ]),
    ).toBe('7');
    const items = await page.locator('#top li').count();
    expect(items).toBe(3);
    const dir = path.join(root, 'test-artifacts');
    await fs.mkdir(dir, { recursive: true });
    const shot = await page.screenshot({ path: path.join(dir, 'web-demo-7.png') });
    expect(shot.byteLength).toBeGreaterThan(5_000);
    expect(errors).toEqual([]);
  });

  it('falls back to wasm when asked to skip webgl (?backends=wasm,cpu)', async () => {
    await page.goto(`${server.url}/?backends=wasm,cpu`);
    await page.waitForSelector('body[data-ready="true"], body[data-error]', { timeout: 60_000 });
    expect(await page.textContent('#backend')).toBe('wasm');
    expect(
      await draw([
        [
          [140, 40],
          [140, 240],
        ],
      ]),
    ).toBe('1');
    expect(errors).toEqual([]);
  });
});
