#!/usr/bin/env node
/*
 * Install script of @cnn/backend-onednn: builds the oneDNN addon with node-gyp. On failure it prints a loud
 * warning with the install instructions and exits 0, so the package still installs and tfjs falls back to
 * the JS cpu backend. With --strict (the build:native script) a failed build exits 1.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = ['rebuild', '-j', 'max'];

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
if (!process.env.npm_config_nodedir && systemHeadersMatch()) args.push('--nodedir=/usr');

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.error ? { ok: false, why: r.error.message } : { ok: r.status === 0, why: `exit code ${r.status}` };
}

// node-gyp on PATH (pnpm and npm provide it to lifecycle scripts), else npx.
let result = run('node-gyp', args);
if (!result.ok && /ENOENT/.test(result.why)) result = run('npx', ['--yes', 'node-gyp', ...args]);

if (!result.ok) {
  const bar = '!'.repeat(78);
  console.warn(
    [
      bar,
      `@cnn/backend-onednn: building the native oneDNN addon FAILED (${result.why}).`,
      'The package is installed, but the "onednn" backend is unavailable; tfjs will use the slow JS cpu backend.',
      'Install oneDNN, then rebuild the addon:',
      '  Debian/Ubuntu: apt-get install libdnnl-dev',
      '  macOS:         brew install onednn',
      'then: pnpm rebuild @cnn/backend-onednn   (or: npm rebuild @cnn/backend-onednn)',
      bar,
    ].join('\n'),
  );
}
process.exit(!result.ok && process.argv.includes('--strict') ? 1 : 0);
