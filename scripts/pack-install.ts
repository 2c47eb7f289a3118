/**
 * The packages as an npm user gets them: `pnpm pack` of the published packages and `npm install` of the tarballs
 * into a project outside the workspace. Shared by the integration tests (tests/src) and the browser-bundle check
 * (scripts/check-browser-bundles.ts), so that no dev dependency of the workspace can make them pass.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file (ESM: `import.meta.url`; tsx runs it as CJS from the repository root, without `"type": "module"`). */
function thisFile(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** The repository root. */
export const repo = path.resolve(path.dirname(thisFile()), '..');

/** The version of tfjs the workspace builds and tests with (what the packages' peer ranges start at). */
export const TFJS_VERSION = '4.22.0';

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Every published (not private) package under packages/, by name → folder. */
export function publishedPackages(): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of readdirSync(path.join(repo, 'packages'))) {
    const file = path.join(repo, 'packages', d, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (!json.private) out.set(json.name, path.join(repo, 'packages', d));
  }
  return out;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * The `@cnn` packages an install of `names` brings (dependencies, optionalDependencies and required peers),
 * transitively, `names` included.
 */
export function cnnClosure(names: readonly string[]): string[] {
  const packages = publishedPackages();
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length > 0) {
    const name = todo.pop()!;
    const dir = packages.get(name);
    if (seen.has(name) || !dir) continue;
    seen.add(name);
    const m = manifest(dir);
    const required = Object.keys(m.peerDependencies ?? {}).filter((k) => !m.peerDependenciesMeta?.[k]?.optional);
    for (const dep of [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...required]) {
      if (dep.startsWith('@cnn/')) todo.push(dep);
    }
  }
  return [...seen].sort();
}

/** The non-`@cnn` peers that `names` require (not optional), e.g. `@tensorflow/tfjs-core`. */
export function requiredPeers(names: readonly string[]): string[] {
  const packages = publishedPackages();
  const out = new Set<string>();
  for (const name of names) {
    const m = manifest(packages.get(name)!);
    for (const k of Object.keys(m.peerDependencies ?? {})) if (!k.startsWith('@cnn/') && !m.peerDependenciesMeta?.[k]?.optional) out.add(k);
  }
  return [...out].sort();
}

/**
 * `pnpm pack` each of `names` into `dest` (the backend's platform package runs its prepack: the prebuilt).
 * @returns package name → tarball path.
 */
export function packPackages(names: readonly string[], dest: string): Map<string, string> {
  const packages = publishedPackages();
  mkdirSync(dest, { recursive: true });
  const out = new Map<string, string>();
  for (const name of names) {
    const dir = packages.get(name);
    if (!dir) throw new Error(`packPackages: ${name} is not a published package of this workspace`);
    const before = new Set(readdirSync(dest));
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, stdio: 'pipe' });
    const made = readdirSync(dest).filter((f) => !before.has(f) && f.endsWith('.tgz'));
    if (made.length !== 1) throw new Error(`packPackages: pnpm pack of ${name} made ${made.length} tarballs`);
    out.set(name, path.join(dest, made[0]!));
  }
  return out;
}

/**
 * The environment of a user's shell: this process's, without `NODE_PATH` (`pnpm exec` / `pnpm run` point it at the
 * workspace's node_modules, where `require` would find packages the user's project does not have).
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_PATH;
  return env;
}

/** Creates an empty npm project `dir` (`package.json` only, `"type": "module"` when `esm`). */
export function makeProject(dir: string, esm = false): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, version: '1.0.0', ...(esm ? { type: 'module' } : {}) }));
}

/** `npm install --ignore-scripts` of `specs` (tarball paths, `name@version`) in `project`. @returns npm's output. */
export function npmInstall(project: string, specs: readonly string[], options: { env?: NodeJS.ProcessEnv; flags?: readonly string[] } = {}): string {
  return execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...(options.flags ?? []), ...specs], {
    cwd: project,
    encoding: 'utf8',
    stdio: 'pipe',
    env: options.env ?? userEnv(),
  });
}

/** Every copy of package `name` under `project/node_modules` (nested ones too): `[{ dir, version }]`. */
export function installedCopies(project: string, name: string): { dir: string; version: string }[] {
  const out: { dir: string; version: string }[] = [];
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? readdirSync(path.join(nodeModules, entry)).map((e) => path.join(nodeModules, entry, e))
        : [path.join(nodeModules, entry)];
      for (const dir of dirs) {
        const pj = path.join(dir, 'package.json');
        if (existsSync(pj)) {
          const json = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
          if (json.name === name) out.push({ dir, version: json.version ?? '' });
        }
        walk(path.join(dir, 'node_modules'));
      }
    }
  };
  walk(path.join(project, 'node_modules'));
  return out;
}
