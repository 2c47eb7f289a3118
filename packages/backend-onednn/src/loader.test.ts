/**
 * The addon loader's bad inputs: unsupported platform / arch / libc, an old glibc, a truncated or corrupt prebuilt
 * `.node`. Each must give a clear error naming the platform, what was tried and the build-from-source command,
 * and `selectBackend(…, {fallback: true})` must then land on 'cpu'. The end-to-end cases run a copy of the built
 * package (dist, with a bad @cnn/backend-onednn-linux-x64 in its node_modules) in a child Node, as a user's
 * process would load it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BUILD_FROM_SOURCE_COMMAND,
  defaultAddonPath,
  describeLoadError,
  elfTruncation,
  getBinding,
  type HostPlatform,
  loadBinding,
  OnednnUnavailableError,
  packageRoot,
  prebuiltUnsupportedReason,
} from './index.js';

/**
 * Writes a stand-in for the optional package @cnn/backend-onednn-linux-x64 into `<dir>/node_modules` (found first
 * when Node resolves it from `dir`), with `files` in its `prebuilt/` folder. @returns that prebuilt folder.
 */
function fakePrebuiltPackage(dir: string, files: Record<string, Buffer | string>): string {
  const pkg = join(dir, 'node_modules', '@cnn', 'backend-onednn-linux-x64');
  mkdirSync(join(pkg, 'prebuilt'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@cnn/backend-onednn-linux-x64', version: '0.0.0' }));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(pkg, 'prebuilt', name), bytes);
  return join(pkg, 'prebuilt');
}

const linuxGlibc: HostPlatform = { platform: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.36' };

function loadError(fn: () => unknown): OnednnUnavailableError {
  try {
    fn();
  } catch (error) {
    if (OnednnUnavailableError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected OnednnUnavailableError, nothing was thrown');
}

describe('prebuiltUnsupportedReason', () => {
  it('accepts linux-x64 with glibc at least the manifest minimum', () => {
    expect(prebuiltUnsupportedReason(linuxGlibc, '2.34')).toBeNull();
    expect(prebuiltUnsupportedReason({ ...linuxGlibc, glibcVersion: '2.34' }, '2.34')).toBeNull();
  });
  it('names the platform, the arch, the libc and the glibc version it lacks', () => {
    expect(prebuiltUnsupportedReason({ platform: 'darwin', arch: 'arm64', libc: null, glibcVersion: null })).toBe(
      'no prebuilt for darwin-arm64 (the one prebuilt, @cnn/backend-onednn-linux-x64, is for linux-x64 with glibc)',
    );
    expect(prebuiltUnsupportedReason({ ...linuxGlibc, arch: 'arm64' })).toBe(
      'no prebuilt for linux-arm64 (the one prebuilt, @cnn/backend-onednn-linux-x64, is for linux-x64 with glibc)',
    );
    expect(prebuiltUnsupportedReason({ ...linuxGlibc, libc: 'musl', glibcVersion: null })).toBe(
      'no prebuilt for linux-x64 with musl (the prebuilt needs glibc)',
    );
    expect(prebuiltUnsupportedReason({ ...linuxGlibc, glibcVersion: '2.31' }, '2.34')).toBe('the prebuilt needs glibc >= 2.34, this system has 2.31');
  });
});

describe('describeLoadError', () => {
  it('puts dlopen failures in words', () => {
    expect(describeLoadError(new Error('/x/a.node: file too short'))).toMatch(/^the file is truncated or corrupt \(\/x\/a\.node: file too short\)/);
    expect(describeLoadError(new Error('/x/a.node: invalid ELF header'))).toMatch(/^the file is truncated or corrupt/);
    expect(describeLoadError(new Error("/lib/libm.so.6: version `GLIBC_2.38' not found (required by /x/a.node)"))).toMatch(
      /^this system's C or C\+\+ runtime is too old for it/,
    );
    expect(describeLoadError(new Error('libdnnl.so.3: cannot open shared object file: No such file or directory'))).toMatch(
      /^a shared library it needs is missing \(libdnnl\.so\.3/,
    );
  });
});

describe('loadBinding without a usable addon', () => {
  let root: string;
  beforeAll(() => {
    // A package folder with no build/ and no installed prebuilt (an install whose source build failed, on any platform).
    root = mkdtempSync(join(packageRoot(), 'node_modules', '.loader-test-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('on an unsupported platform: names the platform, both attempts and the one build command', () => {
    const host: HostPlatform = { platform: 'darwin', arch: 'arm64', libc: null, glibcVersion: null };
    const error = loadError(() => loadBinding(undefined, { root, host }));
    expect(error.message).toContain('cannot load the native addon on darwin-arm64. Tried:');
    expect(error.message).toContain(`source build ${defaultAddonPath(root)}: not built`);
    expect(error.message).toContain('prebuilt @cnn/backend-onednn-linux-x64: no prebuilt for darwin-arm64');
    expect(error.message).toContain(BUILD_FROM_SOURCE_COMMAND);
    expect(error.attempts.map((a) => a.kind)).toEqual(['prebuilt', 'source build']);
  });
  it('on linux-x64 with musl: names the libc', () => {
    const error = loadError(() => loadBinding(undefined, { root, host: { ...linuxGlibc, libc: 'musl', glibcVersion: null } }));
    expect(error.message).toContain('on linux-x64 (musl)');
    expect(error.message).toContain('no prebuilt for linux-x64 with musl (the prebuilt needs glibc)');
  });
  it('with glibc older than the manifest asks for: names both versions', () => {
    fakePrebuiltPackage(root, { 'manifest.json': JSON.stringify({ minGlibc: '2.34' }) });
    const error = loadError(() => loadBinding(undefined, { root, host: { ...linuxGlibc, glibcVersion: '2.28' } }));
    expect(error.message).toContain('the prebuilt needs glibc >= 2.34, this system has 2.28');
    rmSync(join(root, 'node_modules'), { recursive: true });
  });
});

/**
 * Runs `script` (CommonJS) in a child Node from a copy of the built package beside a stand-in
 * @cnn/backend-onednn-linux-x64 whose prebuilt/ holds `addon` bytes and whose build/ is absent; `preload` runs first (--require). Returns the last stdout line, parsed.
 */
function runWithPackageCopy(
  addon: Buffer | null,
  script: string,
  preload = '',
  extra: Record<string, Buffer | string> = {},
): { backend: string; reason: string; log: string } {
  const dir = mkdtempSync(join(packageRoot(), 'node_modules', '.loader-e2e-'));
  try {
    cpSync(join(packageRoot(), 'dist'), join(dir, 'dist'), { recursive: true });
    copyFileSync(join(packageRoot(), 'package.json'), join(dir, 'package.json'));
    if (addon) fakePrebuiltPackage(dir, { 'onednn_binding.node': addon, ...extra });
    writeFileSync(join(dir, 'preload.cjs'), preload);
    writeFileSync(join(dir, 'run.cjs'), script);
    const out = execFileSync(process.execPath, ['--require', './preload.cjs', 'run.cjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    return JSON.parse(out.trim().split('\n').pop()!) as { backend: string; reason: string; log: string };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fallbackScript = `
const tf = require('@tensorflow/tfjs-core');
const { selectBackend } = require('./dist/index.cjs');
(async () => {
  const logs = [];
  const chosen = await selectBackend('onednn', { fallback: true, log: (m) => logs.push(m) });
  // The fallback backend computes: a 2x2 matmul on 'cpu'.
  const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
  console.log(JSON.stringify({ backend: tf.getBackend(), reason: chosen.reason, log: logs.join('\\n'), y: Array.from(y) }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('selectBackend falls back to cpu when the prebuilt cannot load', () => {
  const realAddon = readFileSync(defaultAddonPath());

  it('a truncated prebuilt .node: clear error naming the file, then cpu', () => {
    const result = runWithPackageCopy(realAddon.subarray(0, 4096), fallbackScript);
    expect(result.backend).toBe('cpu');
    expect(result).toMatchObject({ y: [17, 39] });
    expect(result.reason).toMatch(/^fallback from onednn: @cnn\/backend-onednn: cannot load the native addon on linux-x64 \(glibc\)/);
    expect(result.log).toMatch(/FALLING BACK/);
    expect(result.log).toMatch(/- source build \S+build\/Release\/onednn_binding\.node: not built/);
    expect(result.log).toMatch(
      /- prebuilt \S+backend-onednn-linux-x64\/prebuilt\/onednn_binding\.node: the file is truncated or corrupt \(\S+: truncated: the file has 4096 bytes, its ELF headers need \d+\)/,
    );
    expect(result.log).toContain(BUILD_FROM_SOURCE_COMMAND);
  });
  it('a corrupt prebuilt .node (not an ELF file): the same', () => {
    const junk = Buffer.alloc(realAddon.length, 0x5a);
    const result = runWithPackageCopy(junk, fallbackScript);
    expect(result.backend).toBe('cpu');
    expect(result.log).toMatch(/prebuilt \S+onednn_binding\.node: the file is truncated or corrupt \(.*(invalid ELF header|too short)/);
  });
  it('a truncated bundled libdnnl: named, and not loaded (dlopen would die of SIGBUS), then cpu', () => {
    const libdnnl = readFileSync(getBinding().getInfo().libraryPath);
    const result = runWithPackageCopy(realAddon, fallbackScript, '', {
      'manifest.json': JSON.stringify({ minGlibc: '2.17', libraries: ['libdnnl.so.2'] }),
      'libdnnl.so.2': libdnnl.subarray(0, 1 << 16),
    });
    expect(result.backend).toBe('cpu');
    expect(result.log).toMatch(
      /prebuilt \S+onednn_binding\.node: the file is truncated or corrupt \(\S+\/backend-onednn-linux-x64\/prebuilt\/libdnnl\.so\.2: truncated: the file has 65536 bytes/,
    );
  });
  it('a complete ELF file passes the truncation check', () => {
    expect(elfTruncation(defaultAddonPath())).toBeNull();
    expect(elfTruncation(getBinding().getInfo().libraryPath)).toBeNull();
    expect(elfTruncation(import.meta.filename)).toBeNull(); // not ELF: left to dlopen
  });
  it('an unsupported platform (darwin-arm64, faked before the package loads): names it and the command, then cpu', () => {
    const fake = `Object.defineProperty(process, 'platform', { value: 'darwin' });
Object.defineProperty(process, 'arch', { value: 'arm64' });`;
    const result = runWithPackageCopy(realAddon, fallbackScript, fake);
    expect(result.backend).toBe('cpu');
    expect(result.log).toContain('cannot load the native addon on darwin-arm64. Tried:');
    expect(result.log).toContain('no prebuilt for darwin-arm64 (the one prebuilt, @cnn/backend-onednn-linux-x64, is for linux-x64 with glibc)');
    expect(result.log).toContain(BUILD_FROM_SOURCE_COMMAND);
  });
  it('a musl system (no glibc in process.report): names the libc, then cpu', () => {
    const fake = `const real = process.report.getReport.bind(process.report);
process.report.getReport = (...a) => { const r = real(...a); delete r.header.glibcVersionRuntime; return r; };`;
    const result = runWithPackageCopy(realAddon, fallbackScript, fake);
    expect(result.backend).toBe('cpu');
    expect(result.log).toContain('cannot load the native addon on linux-x64 (musl)');
    expect(result.log).toContain('no prebuilt for linux-x64 with musl (the prebuilt needs glibc)');
  });
});

describe('the install script', () => {
  /** Runs scripts/build-addon.cjs from a package copy with no prebuilt, with a PATH holding nothing. */
  function runInstall(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(packageRoot(), 'node_modules', '.install-test-'));
    try {
      cpSync(join(packageRoot(), 'scripts'), join(dir, 'scripts'), { recursive: true });
      copyFileSync(join(packageRoot(), 'binding.gyp'), join(dir, 'binding.gyp'));
      mkdirSync(join(dir, 'bin'));
      const r = spawnSync(process.execPath, [join(dir, 'scripts', 'build-addon.cjs'), ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: join(dir, 'bin'), HOME: dir },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('without a prebuilt builds from source; when that cannot run it names what is missing and exits 0', () => {
    const r = runInstall([]);
    expect(r.status).toBe(0); // the package still installs
    expect(r.stderr).toContain('building the native oneDNN addon from source FAILED');
    expect(r.stderr).toContain('Missing here: a C++17 compiler (g++ or clang++); make; python3');
    expect(r.stderr).toContain('apt-get install g++ make python3 libdnnl-dev');
    expect(r.stderr).toContain(BUILD_FROM_SOURCE_COMMAND);
  });
  it('with --strict (build:native) a failed build exits 1', () => {
    const r = runInstall(['--strict']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('building the native addon from source (build from source requested)');
    expect(r.stderr).toContain('FAILED');
  });
});
