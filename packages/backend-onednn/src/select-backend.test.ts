import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { libdnnlFromProcMaps, selectBackend } from './index.js';

describe('selectBackend', () => {
  it('activates onednn and cpu by name', async () => {
    expect(await selectBackend('onednn')).toMatchObject({ backend: 'onednn' });
    expect(tf.getBackend()).toBe('onednn');
    expect((await selectBackend('cpu')).backend).toBe('cpu');
    // The source build here: oneDNN 2.x or 3.x, from build/Release, with the libdnnl the process mapped.
    const auto = (await selectBackend('auto')).reason;
    expect(auto).toMatch(
      /^auto: native oneDNN [23]\.\d+\.\d+ \(source build addon \/\S+\/build\/Release\/onednn_binding\.node, libdnnl \/\S+\/libdnnl\.so[.\d]+\), isa \w+, kernels (avx512f|avx2|default), \d+ threads$/,
    );
    expect(auto).toContain(`libdnnl ${libdnnlFromProcMaps()})`); // /proc/self/maps names the real file
  });
  it('rejects unknown names', async () => {
    await expect(selectBackend('gpu' as 'cpu')).rejects.toThrow('Unknown backend "gpu"; expected one of auto, onednn, webgpu, tensorflow, wasm, cpu');
  });
  it('falls back to cpu with a loud warning when the package is missing', async () => {
    const logs: string[] = [];
    const chosen = await selectBackend('tensorflow', { fallback: true, log: (m) => logs.push(m) });
    expect(chosen.backend).toBe('cpu');
    expect(chosen.reason).toMatch(/fallback from tensorflow/);
    expect(logs.join('\n')).toMatch(/FALLING BACK[\s\S]*tfjs-node/);
    await expect(selectBackend('tensorflow')).rejects.toThrow(/pnpm add @tensorflow\/tfjs-node/);
  });
});
