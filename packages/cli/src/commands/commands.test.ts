import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setModelMetadata } from '@cnn/core';
import { decodeOnnx, loadModelFiles, saveModelFiles } from './deploy.js';
import { createProgram, runProgram } from '../program.js';
import { registerExport } from './export.js';
import { registerPredict } from './predict.js';
import { registerReport } from './report.js';
import { registerServe, serveModel } from './serve.js';

/** Runs `cnn ARGS` in-process; resolves to the exit status with what went to stdout and stderr. */
async function cnn(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const program = createProgram('0.0.0-test', [registerPredict, registerServe, registerReport, registerExport]);
    const code = await runProgram(program, args, (line) => (err += `${line}\n`));
    return { code, out, err };
  } finally {
    w.mockRestore();
    e.mockRestore();
  }
}

// A 2×2 grey-image classifier with known weights: logits = [2 − Σx, −2 + Σx] with x the normalised pixels
// (mean 0, std 1, i.e. x = byte / 255). A white image (Σx = 4) → logits [−2, 2] → "light" with softmax
// probability e²/(e² + e⁻²) = 0.98201; a black one → "dark" with the same probability.
const P = Math.exp(2) / (Math.exp(2) + Math.exp(-2));
let dir: string;
let modelDir: string;
let white: string;
let black: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cnn-cli-'));
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 2, kernelInitializer: 'zeros' })],
  });
  model.layers[1]!.setWeights([tf.tensor2d([-1, 1, -1, 1, -1, 1, -1, 1], [4, 2]), tf.tensor1d([2, -2])]);
  setModelMetadata(model, { normalization: { mean: [0], std: [1] }, classNames: ['dark', 'light'] });
  modelDir = join(dir, 'model');
  await saveModelFiles(model, modelDir);
  white = join(dir, 'white.png');
  black = join(dir, 'black.png');
  // 8×8 RGB images: predict converts to grey and resizes to the model's 2×2.
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ffffff' } })
    .png()
    .toFile(white);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } })
    .png()
    .toFile(black);
  await writeFile(join(dir, 'notes.txt'), 'not an image');
  await mkdir(join(dir, 'empty'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cnn predict', () => {
  it('prints the known top-k classes by name (--json)', async () => {
    const r = await cnn('predict', modelDir, white, black, '--json', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    const answer = JSON.parse(r.out) as { file: string; top: { className: string; probability: number }[] }[];
    expect(answer.map((a) => a.file)).toEqual([white, black]);
    expect(answer[0]!.top.map((t) => t.className)).toEqual(['light', 'dark']);
    expect(answer[0]!.top[0]!.probability).toBeCloseTo(P, 5);
    expect(answer[0]!.top[1]!.probability).toBeCloseTo(1 - P, 5);
    expect(answer[1]!.top[0]!.className).toBe('dark');
    expect(answer[1]!.top[0]!.probability).toBeCloseTo(P, 5);
  });

  it('prints a readable list and honours --top-k', async () => {
    const r = await cnn('predict', modelDir, white, '--top-k', '1', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`${white}\n  1. light  ${(P * 100).toFixed(1)}%\n`);
  });

  it('refuses a folder with no model.json (exit 2, names the path)', async () => {
    const r = await cnn('predict', join(dir, 'empty'), white, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`MODEL_DIR ${join(dir, 'empty')} holds no model.json`);
    expect((await cnn('predict', join(dir, 'nope'), white, '--backend', 'cpu')).err).toContain('does not exist');
  });

  it('refuses a file that is no image, and a missing file (exit 2, names the file)', async () => {
    const r = await cnn('predict', modelDir, join(dir, 'notes.txt'), '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`IMAGE ${join(dir, 'notes.txt')} is not a decodable image`);
    const missing = await cnn('predict', modelDir, join(dir, 'gone.png'), '--backend', 'cpu');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`IMAGE ${join(dir, 'gone.png')} does not exist`);
  });

  it('refuses bad flags and missing arguments (exit 2)', async () => {
    const k = await cnn('predict', modelDir, white, '--top-k', '0');
    expect(k.code).toBe(2);
    expect(k.err).toContain('--top-k must be an integer in [1, ∞], got "0"');
    const b = await cnn('predict', modelDir, white, '--backend', 'gpu');
    expect(b.code).toBe(2);
    expect(b.err).toContain('--backend must be one of auto, onednn, webgpu, tensorflow, wasm, cpu, got "gpu"');
    expect((await cnn('predict', modelDir)).code).toBe(2);
  });

  it('has --help', async () => {
    const r = await cnn('predict', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: cnn predict [options] <MODEL_DIR> <IMAGE...>');
    expect(r.out).toContain('--top-k');
  });
});

describe('cnn serve', () => {
  it('serves the model: POST /v1/predict with a PNG answers the known class', async () => {
    const served = await serveModel({ modelDir, port: 0, backend: 'cpu' });
    try {
      const res = await fetch(`${served.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await readFile(white) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: { label: string; probability: number }[] };
      expect(body.predictions[0]!.label).toBe('light');
      expect(body.predictions[0]!.probability).toBeCloseTo(P, 5);
    } finally {
      await served.close();
    }
  });

  it('refuses a folder with no model, and a bad --port (exit 2)', async () => {
    const r = await cnn('serve', join(dir, 'empty'), '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toContain('holds no model.json');
    const p = await cnn('serve', modelDir, '--port', '70000');
    expect(p.code).toBe(2);
    expect(p.err).toContain('--port must be an integer in [0, 65535], got "70000"');
    expect((await cnn('serve', '--help')).out).toContain('Usage: cnn serve [options] <MODEL_DIR>');
  });
});

describe('cnn export', () => {
  it('writes a float16 model folder that re-loads with the same answers and metadata', async () => {
    const out = join(dir, 'f16');
    const r = await cnn('export', modelDir, '--quantize', 'float16', '--out', out);
    expect(r.code, r.err).toBe(0);
    const loaded = await loadModelFiles(out);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { weightsManifest: { weights: { quantization?: { dtype: string } }[] }[] };
    expect(json.weightsManifest[0]!.weights.every((w) => w.quantization?.dtype === 'float16')).toBe(true);
    const logits = loaded.predict(tf.ones([1, 2, 2, 1])) as tf.Tensor;
    expect(Array.from(await logits.data())).toEqual([-2, 2]); // ±1 and ±2 are exact in float16
    const p = await cnn('predict', out, white, '--json', '--backend', 'cpu');
    expect((JSON.parse(p.out) as { top: { className: string }[] }[])[0]!.top[0]!.className).toBe('light');
  });

  it('writes an ONNX file that decodes to the model graph', async () => {
    const file = join(dir, 'model.onnx');
    const r = await cnn('export', modelDir, '--onnx', file);
    expect(r.code, r.err).toBe(0);
    const bytes = await readFile(file);
    expect(r.out).toContain(`ONNX model written: ${file} (${bytes.byteLength} bytes)`);
    const decoded = decodeOnnx(new Uint8Array(bytes)) as { graph: { node: { op_type: string }[] } };
    expect(decoded.graph.node.map((n) => n.op_type)).toContain('Gemm');
  });

  it('refuses ambiguous or incomplete flags (exit 2, nothing written)', async () => {
    const both = await cnn('export', modelDir, '--onnx', join(dir, 'x.onnx'), '--quantize', 'uint8', '--out', join(dir, 'x'));
    expect(both.code).toBe(2);
    expect(both.err).toContain('exactly one of --onnx FILE or --quantize');
    expect((await cnn('export', modelDir)).code).toBe(2);
    const noOut = await cnn('export', modelDir, '--quantize', 'uint8');
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain('--quantize needs --out DIR');
    const bad = await cnn('export', modelDir, '--quantize', 'int4', '--out', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--quantize must be one of float16, uint8, got "int4"');
    const self = await cnn('export', modelDir, '--quantize', 'uint8', '--out', modelDir);
    expect(self.code).toBe(2);
    const noModel = await cnn('export', join(dir, 'empty'), '--onnx', join(dir, 'x.onnx'));
    expect(noModel.code).toBe(2);
    expect(noModel.err).toContain('holds no model.json');
    await expect(stat(join(dir, 'x.onnx'))).rejects.toThrow();
    await expect(stat(join(dir, 'x'))).rejects.toThrow();
  });
});

describe('cnn report', () => {
  it('refuses a missing run folder (exit 2) and a folder without run files (exit 1, names the file)', async () => {
    const r = await cnn('report', join(dir, 'no-run'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`RUN_DIR ${join(dir, 'no-run')} does not exist`);
    const e = await cnn('report', join(dir, 'empty'));
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/history\.json|summary\.json/);
    expect((await cnn('report', '--help')).out).toContain('Usage: cnn report [options] <RUN_DIR>');
  });
});
