import * as tf from '@tensorflow/tfjs-core';
import { CUSTOM_KERNEL_NAMES } from '@cnn/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import {
  describeAdapter,
  disposeWebGpu,
  initWebGpu,
  isSoftwareAdapter,
  selectBackend,
  WEBGPU_KERNEL_NAMES,
  WebGpuUnavailableError,
  webGpuAdapter,
} from './index.js';
import { probeWebGpu, WEBGPU_REQUIRED } from './webgpu-probe.test-utils.js';

const missing = await probeWebGpu();

describe('isSoftwareAdapter / describeAdapter', () => {
  it('recognises software adapters by architecture or name, not real GPUs', () => {
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe (LLVM 19.1.7, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', device: 'NVIDIA A100-SXM4-40GB', description: 'NVIDIA: 550.54.15' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', device: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })).toBe(false);
    const base = {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: 'NVIDIA A100',
      description: 'NVIDIA: 550',
      dawnOptions: [],
      featureLevel: 'core' as const,
    };
    expect(describeAdapter({ ...base, software: false })).toBe('NVIDIA A100 (vendor nvidia, architecture ampere, NVIDIA: 550; Dawn default backend, core)');
    expect(describeAdapter({ ...base, software: true })).toMatch(/SOFTWARE adapter: .* not a GPU and not a benchmark$/);
  });
  it('covers every custom kernel name of @cnn/core', () => {
    expect([...WEBGPU_KERNEL_NAMES].sort()).toEqual([...CUSTOM_KERNEL_NAMES].sort());
  });
});

describe('initWebGpu / selectBackend bad input', () => {
  beforeEach(() => disposeWebGpu());
  it('names the packages to install when webgpu or tfjs-backend-webgpu is missing', async () => {
    const noDawn = initWebGpu({ modules: { webgpu: '@cnn/no-such-webgpu' } });
    await expect(noDawn).rejects.toMatchObject({ code: 'ERR_CNN_WEBGPU_NOT_INSTALLED' });
    await expect(noDawn).rejects.toThrow(/needs Dawn for Node.*is not installed\. Fix: pnpm add webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0/);
    if (missing) return; // the backend module is imported after an adapter is found
    const noBackend = initWebGpu({ modules: { backend: '@cnn/no-such-backend' } });
    await expect(noBackend).rejects.toMatchObject({ code: 'ERR_CNN_WEBGPU_NOT_INSTALLED' });
    await expect(noBackend).rejects.toThrow(/needs tfjs-backend-webgpu \("@cnn\/no-such-backend"\), which is not installed/);
    expect(webGpuAdapter()).toBeNull();
  });
  it('says what to install when Dawn finds no adapter', async () => {
    // D3D12 exists only on Windows: no adapter on Linux/macOS.
    const chosen = selectBackend('webgpu', { dawnOptions: ['backend=d3d12'] });
    await expect(chosen).rejects.toSatisfy((e: unknown) => WebGpuUnavailableError.isInstance(e) && e.code === 'ERR_CNN_WEBGPU_NO_ADAPTER');
    await expect(chosen).rejects.toThrow(
      /found no WebGPU adapter with options \[backend=d3d12\]\. Fix: .*libvulkan1.*nvidia_icd\.json.*graphics.*scripts\/setup\.sh/,
    );
  });
  it('falls back to cpu with a loud warning when asked to', async () => {
    const logs: string[] = [];
    const chosen = await selectBackend('webgpu', { dawnOptions: ['backend=d3d12'], fallback: true, log: (m) => logs.push(m) });
    expect(chosen.backend).toBe('cpu');
    expect(chosen.reason).toMatch(/^fallback from webgpu: Backend "webgpu": Dawn found no WebGPU adapter/);
    expect(logs.join('\n')).toMatch(/FALLING BACK[\s\S]*no WebGPU adapter/);
  });
  it('lists webgpu among the backend names', async () => {
    await expect(selectBackend('gpu' as 'cpu')).rejects.toThrow('Unknown backend "gpu"; expected one of auto, onednn, webgpu, tensorflow, wasm, cpu');
  });
});

describe.skipIf(missing !== null && !WEBGPU_REQUIRED)('selectBackend("webgpu") on this machine', () => {
  beforeEach(() => disposeWebGpu());
  afterAll(async () => {
    disposeWebGpu();
    await tf.setBackend('cpu');
  });
  it('has an adapter (required under CI)', () => {
    expect(missing, `CI requires a WebGPU adapter (run scripts/setup.sh): ${missing}`).toBeNull();
  });
  it('activates webgpu, names the adapter and runs ops on it', async () => {
    const chosen = await selectBackend('webgpu');
    expect(chosen.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(chosen.adapter).toBeDefined();
    expect(chosen.reason).toBe(`requested webgpu: WebGPU on ${describeAdapter(chosen.adapter!)}`);
    if (chosen.adapter!.software) expect(chosen.reason).toContain('SOFTWARE adapter');
    for (const name of WEBGPU_KERNEL_NAMES) expect(tf.getKernel(name, 'webgpu'), name).toBeDefined();
    expect(Array.from(await tf.square(tf.tensor1d([1, -2, 3])).data())).toEqual([1, 4, 9]);
    chosen.dispose();
    expect(webGpuAdapter()).toBeNull();
    expect(tf.findBackend('webgpu')).toBeNull();
  });
  it('requireHardware refuses a software adapter; auto never picks one and says why in one line', async (ctx) => {
    const adapter = await initWebGpu();
    disposeWebGpu();
    if (!adapter.software) ctx.skip(); // a real GPU: nothing to refuse
    const refused = selectBackend('webgpu', { requireHardware: true });
    await expect(refused).rejects.toSatisfy((e: unknown) => WebGpuUnavailableError.isInstance(e) && e.code === 'ERR_CNN_WEBGPU_SOFTWARE_ADAPTER');
    await expect(refused).rejects.toThrow(/only adapter is a software one, refused by requireHardware: .*Fix: run on a machine with a GPU/);
    const logs: string[] = [];
    const auto = await selectBackend('auto', { log: (m) => logs.push(m) });
    expect(auto.backend).toMatch(/^(onednn|cpu)$/);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toBe(`auto: not using webgpu (only a software adapter: ${adapter.device || adapter.description}); using ${auto.backend}`);
  });
});
