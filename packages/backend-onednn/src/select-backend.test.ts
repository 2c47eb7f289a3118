import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { selectBackend } from './index.js';

describe('selectBackend', () => {
  it('activates onednn and cpu by name', async () => {
    expect(await selectBackend('onednn')).toMatchObject({ backend: 'onednn' });
    expect(tf.getBackend()).toBe('onednn');
    expect((await selectBackend('cpu')).backend).toBe('cpu');
    expect((await selectBackend('auto')).reason).toMatch(/oneDNN 2\./);
  });
  it('rejects unknown names', async () => {
    await expect(selectBackend('gpu' as 'cpu')).rejects.toThrow('Unknown backend "gpu"; expected one of auto, onednn, tensorflow, wasm, cpu');
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
