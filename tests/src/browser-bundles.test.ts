import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROWSER_PACKAGES, checkAllBrowserEntries, checkBrowserEntry } from '../../scripts/check-browser-bundles';

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

  it(`every browser entry (${BROWSER_PACKAGES.map((p) => `@cnn/${p}`).join(', ')}) is browser-safe`, async () => {
    const lines: string[] = [];
    const failures = await checkAllBrowserEntries((l) => lines.push(l));
    expect(
      lines.filter((l) => !l.endsWith('browser-safe')),
      lines.join('\n'),
    ).toEqual([]);
    expect(failures).toBe(0);
  });
});
