/**
 * The browser-safety check: bundles every browser entry (the main entry of each package a web page may import)
 * with esbuild for `platform: 'browser'` and fails on any Node built-in (`fs`, `node:path`, …) or native module
 * (a `.node` binary, or a package that builds or loads one: sharp, @cnn/backend-onednn, onnxruntime-node, …)
 * in its import graph. Run: `pnpm check:browser` (after `pnpm build`); exit status 1 lists each offending import
 * with the file that imports it.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message } from 'esbuild';

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

/** Checks the built main entry (`dist/index.js`) of every browser package; prints a report. @returns the failures. */
export async function checkAllBrowserEntries(log: (line: string) => void = console.log): Promise<number> {
  let failures = 0;
  for (const name of BROWSER_PACKAGES) {
    const entry = path.join(repo, 'packages', name, 'dist', 'index.js');
    if (!existsSync(entry)) {
      log(`@cnn/${name}: ${path.relative(repo, entry)} is missing; run pnpm build first`);
      failures += 1;
      continue;
    }
    const problems = await checkBrowserEntry(entry);
    log(`@cnn/${name}: ${problems.length === 0 ? 'browser-safe' : `NOT browser-safe:\n  ${problems.join('\n  ')}`}`);
    if (problems.length > 0) failures += 1;
  }
  return failures;
}

if (process.argv[1] && path.resolve(process.argv[1]) === thisFile()) {
  void checkAllBrowserEntries().then((failures) => {
    if (failures > 0) {
      console.error(`check-browser-bundles: ${failures} browser entr${failures === 1 ? 'y is' : 'ies are'} not browser-safe`);
      process.exit(1);
    }
    console.log(`check-browser-bundles: all ${BROWSER_PACKAGES.length} browser entries bundle for platform 'browser'`);
  });
}
