import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { describe, expect, it } from 'vitest';

import { getBinding, isOnednnAvailable, loadBinding, OnednnUnavailableError } from './index.js';

describe('native binding loader', () => {
  it('names the path and the install commands when the addon is missing', () => {
    const bogus = join(tmpdir(), 'no-such-dir', 'onednn_binding.node');
    let error: unknown;
    try {
      loadBinding(bogus);
    } catch (e) {
      error = e;
    }
    expect(OnednnUnavailableError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`custom ${bogus}: file not found`);
    expect(message).toContain('apt-get install g++ make python3 libdnnl-dev');
    expect(message).toContain('brew install onednn');
    expect(message).toContain('npm rebuild @cnn/backend-onednn --build-from-source');
  });
  it('reports a file that is not an addon with the same instructions', () => {
    expect(() => loadBinding(import.meta.filename)).toThrow(/binding\.test\.ts: [\s\S]*libdnnl-dev/);
  });
  it('loads the built addon and reports oneDNN 2.x or 3.x with >= 1 thread', () => {
    expect(isOnednnAvailable()).toBe(true);
    const info = getBinding().getInfo();
    expect(info.onednnVersion).toMatch(/^[23]\.\d+\.\d+$/);
    expect(info.kernelIsa).toMatch(/^(avx512f|avx2|default)$/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.isa.length).toBeGreaterThan(0);
  });
  it('rejects wrong argument types with a clear error', () => {
    const b = getBinding();
    expect(() => b.relu(new Float64Array(4) as unknown as Float32Array, new Float32Array(4), 4)).toThrow(/'x' must be a Float32Array/);
    expect(() => b.relu(new Float32Array(2), new Float32Array(4), 4)).toThrow(/expected at least 4/);
  });
});
