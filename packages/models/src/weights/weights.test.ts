import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnistNet } from '../mnist-net.js';
import { densenet121 } from '../zoo/densenet.js';
import { mobilenetV2 } from '../zoo/mobilenet-v2.js';
import { resnet, resnet18 } from '../zoo/resnet.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { loadSafetensors, loadTorchWeights } from '../node/source.js';
import { importTorchStateDict, permute } from './torch-import.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const committed = path.join(here, '..', '__fixtures__', 'torch');
const script = path.join(here, '..', '..', 'scripts', 'torch-fixtures.py');
const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 with torch/torchvision is here to generate the large fixtures. */
function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const TORCH = existsSync(PYTHON) && hasTorch();

// The parity tests below generate their fixtures with PyTorch; CI has it (scripts/setup.sh installs
// python3-torch), so there a missing torch fails loudly instead of skipping.
it.runIf(process.env.CI === 'true')('CI has /usr/bin/python3 with torch and torchvision for the parity fixtures', () => {
  expect(TORCH, 'apt-get install -y python3-torch python3-torchvision').toBe(true);
});
let generated = '';

beforeAll(() => {
  tf.setBackend('cpu');
  if (TORCH) {
    generated = mkdtempSync(path.join(tmpdir(), 'cnn-torch-fx-'));
    execFileSync(PYTHON, [script, '--out', generated, '--only', 'mnistnet', 'resnet_w4_bottleneck', 'mobilenet_v2', 'densenet121'], { stdio: 'ignore' });
  }
});
afterAll(() => {
  if (generated) rmSync(generated, { recursive: true, force: true });
});

async function parity(model: tfl.LayersModel, dir: string, name: string, tol = 1e-4): Promise<number> {
  const report = await loadTorchWeights(model, path.join(dir, `${name}.safetensors`));
  expect(report.unexpected).toEqual([]);
  expect(report.missing).toEqual([]);
  const io = await loadSafetensors(path.join(dir, `${name}.io.safetensors`));
  const input = io.tensors.get('input')!;
  const expected = io.tensors.get('logits')!;
  const y = tf.tidy(() => model.apply(tf.tensor(input.data, input.shape), { training: false }) as tf.Tensor);
  expect(y.shape).toEqual(expected.shape);
  const got = y.dataSync();
  y.dispose();
  let maxErr = 0;
  for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected.data[i]));
  expect(maxErr).toBeLessThan(tol);
  model.dispose();
  return maxErr;
}

describe('PyTorch weight import reproduces eval-mode logits', () => {
  it('committed fixture: ResNet-18 layout, base width 4, CIFAR stem, 2 classes (within 1e-4)', async () => {
    await parity(resnet18({ stem: 'cifar', baseWidth: 4, numClasses: 2, inputShape: [16, 16, 3] }), committed, 'resnet_w4_cifar');
  });

  it.skipIf(!TORCH)('MNISTNet: fc1 rows permuted from NCHW to NHWC flatten order', async () => {
    await parity(mnistNet(), generated, 'mnistnet');
  });

  it.skipIf(!TORCH)('bottleneck ResNet with the ImageNet stem (7×7/2 padding, max-pool)', async () => {
    await parity(
      resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], baseWidth: 4, numClasses: 3, inputShape: [32, 32, 3] }),
      generated,
      'resnet_w4_bottleneck',
    );
  });

  it.skipIf(!TORCH)('torchvision mobilenet_v2 (depthwise kernels) and densenet121 at 32×32', async () => {
    await parity(mobilenetV2({ inputShape: [32, 32, 3] }), generated, 'mobilenet_v2');
    await parity(densenet121({ inputShape: [32, 32, 3], numClasses: 10 }), generated, 'densenet121');
  });
});

describe('layout conversion', () => {
  it('permute matches a hand-computed OIHW → HWIO transpose', () => {
    // shape [2, 1, 1, 3]: o, i, h, w
    const r = permute(Float32Array.from([0, 1, 2, 10, 11, 12]), [2, 1, 1, 3], [2, 3, 1, 0]);
    expect(r.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(r.data)).toEqual([0, 10, 1, 11, 2, 12]);
  });
});

describe('bad input → clear errors', () => {
  const tiny = (): tfl.LayersModel => resnet18({ stem: 'cifar', baseWidth: 4, numClasses: 2, inputShape: [8, 8, 3] });

  it('truncated safetensors header', () => {
    expect(() => parseSafetensors(new Uint8Array([1, 2, 3]), 'x.safetensors')).toThrow(/x\.safetensors: truncated safetensors header/);
    const good = serializeSafetensors({ a: { shape: [2], data: [1, 2] } });
    expect(() => parseSafetensors(good.subarray(0, 20), 'y.safetensors')).toThrow(
      /y\.safetensors: truncated safetensors header: it declares \d+ bytes but only 12 follow/,
    );
    const cut = good.subarray(0, good.byteLength - 4);
    expect(() => parseSafetensors(cut, 'z')).toThrow(/tensor 'a' has data_offsets \[0,8\] outside the 4-byte data section/);
  });

  it('round-trips serializeSafetensors (F32) and reads F16/I64 written by hand', () => {
    const f = parseSafetensors(serializeSafetensors({ w: { shape: [2, 2], data: [1, -2, 3.5, 4] } }, { format: 'pt' }));
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.get('w')!.shape).toEqual([2, 2]);
    expect(Array.from(f.tensors.get('w')!.data)).toEqual([1, -2, 3.5, 4]);
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, n: { dtype: 'I64', shape: [1], data_offsets: [4, 12] } });
    const bytes = new Uint8Array(8 + header.length + 12);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    v.setUint16(8 + header.length, 0x3c00, true); // 1.0
    v.setUint16(8 + header.length + 2, 0xc000, true); // -2.0
    v.setBigInt64(8 + header.length + 4, 7n, true);
    const g = parseSafetensors(bytes);
    expect(Array.from(g.tensors.get('h')!.data)).toEqual([1, -2]);
    expect(Array.from(g.tensors.get('n')!.data)).toEqual([7]);
  });

  it('a tensor whose shape does not fit names the key, the layer and both shapes; the model is unchanged', () => {
    const m = tiny();
    const sd = parseSafetensors(readFileSync(path.join(committed, 'resnet_w4_cifar.safetensors'))).tensors;
    sd.set('conv1.weight', { dtype: 'F32', shape: [5, 3, 3, 3], data: new Float32Array(135) });
    const before = m.getLayer('fc').getWeights()[0].dataSync().slice();
    expect(() => importTorchStateDict(m, sd)).toThrow(
      "'conv1.weight' has shape [5,3,3,3] (→ [3,3,3,5] in our layout) but layer 'conv1' (Conv2D) weight 'kernel' has shape [3,3,3,4]",
    );
    expect(Array.from(m.getLayer('fc').getWeights()[0].dataSync())).toEqual(Array.from(before));
    m.dispose();
  });

  it('unknown and missing keys are listed; strict: false loads the rest', () => {
    const m = tiny();
    const sd = parseSafetensors(readFileSync(path.join(committed, 'resnet_w4_cifar.safetensors'))).tensors;
    sd.delete('layer4.1.bn2.running_var');
    sd.set('head.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(() => importTorchStateDict(m, sd, { source: 'w.safetensors' })).toThrow(
      /w\.safetensors does not match model 'resnet18': unexpected keys \(no such layer weight\): head\.weight; missing keys for model weights: layer4\.1\.bn2\/moving_variance\. Pass strict: false/,
    );
    const r = importTorchStateDict(m, sd, { strict: false });
    expect(r.unexpected).toEqual(['head.weight']);
    expect(r.missing).toEqual(['layer4.1.bn2/moving_variance']);
    expect(r.ignored.length).toBe(20); // num_batches_tracked of the 20 BN layers
    expect(Array.from(m.getLayer('layer4.1.bn2').getWeights()[2].dataSync()).some((v) => v !== 0)).toBe(true);
    m.dispose();
  });

  describe('URLs', () => {
    let server: Server;
    let base = '';
    beforeAll(async () => {
      const body = readFileSync(path.join(committed, 'resnet_w4_cifar.safetensors'));
      server = createServer((req, res) => {
        if (req.url === '/w.safetensors') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(body);
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('loads weights from an http URL and reports a 404 with the URL', async () => {
      const m = tiny();
      const r = await loadTorchWeights(m, `${base}/w.safetensors`);
      expect(r.loaded.length).toBe(102);
      m.dispose();
      await expect(loadSafetensors(`${base}/missing.safetensors`)).rejects.toThrow(`${base}/missing.safetensors answered 404 Not Found`);
    });
  });

  it('a missing file names the path', async () => {
    await expect(loadSafetensors('/nonexistent/w.safetensors')).rejects.toThrow(/cannot read \/nonexistent\/w\.safetensors/);
  });
});
