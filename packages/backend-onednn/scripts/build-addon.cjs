#!/usr/bin/env node
/*
 * Install script of @cnn/backend-onednn.
 *
 * 1. When the optional package @cnn/backend-onednn-linux-x64 is installed (npm installs it on linux-x64 with
 *    glibc only) and its prebuilt addon loads in a fresh Node, that's it: nothing is compiled (no compiler,
 *    make, python3 or oneDNN needed).
 * 2. Otherwise (another platform, a prebuilt that does not load here, or an explicit build from source:
 *    `npm install --build-from-source` / `npm rebuild @cnn/backend-onednn --build-from-source`,
 *    CNN_ONEDNN_BUILD_FROM_SOURCE=1, or --strict) it builds build/Release/onednn_binding.node with node-gyp
 *    against the system oneDNN 2.x or 3.x, or the one under ONEDNN_ROOT.
 * A failed build prints what a source build needs and what is missing, and exits 0 so that the package still
 * installs (selectBackend('onednn', {fallback: true}) then uses the JS cpu backend); with --strict (the
 * build:native script) it exits 1.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const strict = process.argv.includes('--strict');
const truthy = (v) => v !== undefined && v !== '' && v !== 'false' && v !== '0';
const fromSource =
  strict ||
  process.argv.includes('--build-from-source') ||
  truthy(process.env.npm_config_build_from_source) ||
  truthy(process.env.CNN_ONEDNN_BUILD_FROM_SOURCE);
const BUILD_FROM_SOURCE = 'npm rebuild @cnn/backend-onednn --build-from-source';

function glibcVersion() {
  if (process.platform !== 'linux' || !process.report) return null;
  process.report.excludeNetwork = true;
  return process.report.getReport().header.glibcVersionRuntime || null;
}

const PREBUILT_PACKAGE = `@cnn/backend-onednn-${process.platform}-${process.arch}`;

/** The folder of the per-platform prebuilt package's addon, or null when that package is not installed. */
function prebuiltDir() {
  try {
    return path.join(path.dirname(require.resolve(`${PREBUILT_PACKAGE}/package.json`, { paths: [root] })), 'prebuilt');
  } catch {
    return null;
  }
}

/** `{shipped, ok, why, info}`: whether a prebuilt for this host is installed and whether it loads here. */
function checkPrebuilt() {
  const dir = prebuiltDir();
  const addon = dir && path.join(dir, 'onednn_binding.node');
  if (!addon || !fs.existsSync(addon)) {
    return {
      shipped: Boolean(dir && fs.existsSync(dir)),
      ok: false,
      why: `no prebuilt for ${process.platform}-${process.arch} (${PREBUILT_PACKAGE} ${dir ? 'holds no addon' : 'is not installed'})`,
    };
  }
  if (process.platform === 'linux' && !glibcVersion()) return { shipped: true, ok: false, why: 'the prebuilt needs glibc (this is musl)' };
  // Load it in a child: a crash or a missing symbol must not take the install down.
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(addon)}).getInfo()))`], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    timeout: 120_000,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n').find((l) => /Error|error/.test(l)) || `exit ${r.status}`;
    return { shipped: true, ok: false, why: `it does not load: ${why.trim()}` };
  }
  return { shipped: true, ok: true, info: JSON.parse(r.stdout), dir };
}

/** Which of a source build's needs are missing on this machine (commands on PATH, oneDNN's header). */
function missingForSourceBuild() {
  const onPath = (cmd) => (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
  const missing = [];
  if (!['c++', 'g++', 'clang++'].some(onPath)) missing.push('a C++17 compiler (g++ or clang++)');
  if (!onPath('make')) missing.push('make');
  if (!onPath('python3')) missing.push('python3');
  const includes = [
    process.env.ONEDNN_ROOT && path.join(process.env.ONEDNN_ROOT, 'include'),
    '/usr/include',
    '/usr/local/include',
    '/opt/homebrew/include',
  ].filter(Boolean);
  if (!includes.some((d) => fs.existsSync(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')))) {
    missing.push(`oneDNN 2.x/3.x headers (oneapi/dnnl/dnnl.hpp in ${includes.join(', ')})`);
  }
  return missing;
}

// Use the system Node headers when they match this Node (no download needed, works offline).
function systemHeadersMatch() {
  try {
    const h = fs.readFileSync('/usr/include/node/node_version.h', 'utf8');
    const part = (name) => (h.match(new RegExp(`#define ${name} (\\d+)`)) || [])[1];
    return `v${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}` === process.version;
  } catch {
    return false;
  }
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.error ? { ok: false, why: r.error.message } : { ok: r.status === 0, why: `exit code ${r.status}` };
}

function buildFromSource() {
  const args = ['rebuild', '-j', 'max'];
  if (!process.env.npm_config_nodedir && systemHeadersMatch()) args.push('--nodedir=/usr');
  // node-gyp on PATH (pnpm and npm provide it to lifecycle scripts), else npx.
  let result = run('node-gyp', args);
  if (!result.ok && /ENOENT/.test(result.why)) result = run('npx', ['--yes', 'node-gyp', ...args]);
  return result;
}

let prebuiltNote = '';
if (!fromSource) {
  const prebuilt = checkPrebuilt();
  if (prebuilt.ok) {
    console.log(
      `@cnn/backend-onednn: using the prebuilt ${process.platform}-${process.arch} addon with its bundled oneDNN ` +
        `${prebuilt.info.onednnVersion} (${PREBUILT_PACKAGE}); nothing to compile.`,
    );
    process.exit(0);
  }
  if (prebuilt.shipped) {
    prebuiltNote = `The prebuilt addon was not used: ${prebuilt.why}.`;
    console.warn(`@cnn/backend-onednn: ${prebuiltNote} Building from source.`);
  }
} else {
  console.log('@cnn/backend-onednn: building the native addon from source (build from source requested).');
}

const result = buildFromSource();
if (!result.ok) {
  const bar = '!'.repeat(78);
  const missing = missingForSourceBuild();
  console.warn(
    [
      bar,
      `@cnn/backend-onednn: building the native oneDNN addon from source FAILED (${result.why}).`,
      ...(prebuiltNote ? [prebuiltNote] : []),
      'The package is installed, but the "onednn" backend is unavailable: selectBackend("onednn", {fallback: true})',
      'uses the slow JS cpu backend.',
      'A source build needs a C++17 compiler, make, python3, and oneDNN 2.x or 3.x (headers and libdnnl).',
      missing.length ? `Missing here: ${missing.join('; ')}.` : 'All of them were found; see the compiler output above.',
      '  Debian/Ubuntu: apt-get install g++ make python3 libdnnl-dev',
      '  macOS:         xcode-select --install && brew install onednn',
      '  oneDNN in another prefix: ONEDNN_ROOT=/that/prefix',
      `then: ${BUILD_FROM_SOURCE}   (pnpm: pnpm rebuild @cnn/backend-onednn)`,
      bar,
    ].join('\n'),
  );
}
process.exit(!result.ok && strict ? 1 : 0);
