#!/usr/bin/env node
/*
 * Release script of the prebuilt addon, run by the `prepack` of the per-platform package
 * @cnn/backend-onednn-linux-x64 (so every `pnpm pack` / `npm pack` / publish of it makes it): turns the
 * workspace's source build of the addon (built first with `build-addon.cjs --strict` when missing) into the
 * prebuilt that package ships, in its `prebuilt/` folder (`--out`):
 *
 *   prebuilt/onednn_binding.node   the addon, RUNPATH $ORIGIN
 *   prebuilt/libdnnl.so.2 …        every shared library it links (ldd) outside glibc and the C++ runtime that
 *                                  Node itself needs, each with RUNPATH $ORIGIN
 *   prebuilt/manifest.json         what was bundled, oneDNN version, N-API version, minimum glibc
 *   prebuilt/THIRD-PARTY-NOTICES   the licences of the bundled libraries
 *
 * Only on linux-x64 with glibc (the one prebuilt target); elsewhere it fails (the platform package would be
 * empty). Needs ldd, objdump and patchelf (apt-get install patchelf); the outputs are build products, ignored by git.
 *
 * Usage: node scripts/prebuild.cjs [--addon build/Release/onednn_binding.node] [--out ../backend-onednn-linux-x64/prebuilt]
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = 'linux-x64';
const argOut = process.argv.indexOf('--out');
const outDir = argOut > 0 ? path.resolve(process.argv[argOut + 1]) : path.resolve(root, '..', `backend-onednn-${target}`, 'prebuilt');
const ADDON = 'onednn_binding.node';
/** N-API version the addon is compiled for (binding.gyp's NAPI_VERSION): Node ≥ 12.22 / 14.17 / 15.12 has it. */
const NAPI_VERSION = 8;

/**
 * Libraries never bundled: glibc's (libc, libm, libpthread, libdl, librt, the dynamic loader, the vDSO) and the
 * C++ runtime (libstdc++, libgcc_s), which every Node binary for glibc Linux already loads. Bundling a second
 * libstdc++ into a process whose node links the system one would mix two C++ runtimes.
 */
const SYSTEM = /^(linux-vdso\.so|ld-linux[-\w.]*\.so|libc\.so|libm\.so|libmvec\.so|libpthread\.so|libdl\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)/;

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function tool(name, args, opts = {}) {
  const r = spawnSync(name, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`${name} is needed (${r.error.message})${name === 'patchelf' ? ': apt-get install patchelf' : ''}`);
  if (r.status !== 0) fail(`${name} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function isGlibc() {
  const report = process.report?.getReport ? process.report.getReport() : null;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/** `[{ soname, path }]` of every library `file` loads, resolved by the dynamic loader as on this machine. */
function linkedLibraries(file) {
  const libs = [];
  for (const line of tool('ldd', [file]).split('\n')) {
    const m = line.match(/^\s*(\S+)\s+=>\s+(\S+)\s+\(0x[0-9a-f]+\)/);
    if (m) libs.push({ soname: m[1], path: m[2] });
    else if (/=>\s+not found/.test(line)) fail(`${file} links ${line.trim()}: build it where its libraries resolve`);
  }
  return libs;
}

/** Highest symbol version of `prefix` (e.g. "GLIBC_", "GLIBCXX_") that `files` need, like "2.34"; null if none. */
function maxVersion(files, prefix) {
  let best = null;
  const cmp = (a, b) => {
    const x = a.split('.').map(Number),
      y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  for (const f of files) {
    // Only undefined (*UND*) symbols are requirements; a library's own versions (libgomp's GOMP_*) are not.
    for (const line of tool('objdump', ['-T', f], { maxBuffer: 64 << 20 }).split('\n')) {
      if (!line.includes('*UND*')) continue;
      const m = line.match(new RegExp(`\\b${prefix.replace(/\+/g, '\\+')}([0-9][0-9.]*)\\b`));
      if (m && (best === null || cmp(m[1], best) > 0)) best = m[1];
    }
  }
  return best;
}

/** The licence text of a bundled library: its Debian package's copyright file, or a LICENSE near a prefix install. */
function licenseOf(libPath) {
  const real = fs.realpathSync(libPath);
  const dpkg = spawnSync('dpkg', ['-S', real], { encoding: 'utf8' });
  if (dpkg.status === 0) {
    const pkg = dpkg.stdout.split(':')[0].trim();
    const copyright = `/usr/share/doc/${pkg}/copyright`;
    if (fs.existsSync(copyright)) return { source: `Debian package ${pkg}`, text: fs.readFileSync(copyright, 'utf8') };
  }
  // A prefix install (ONEDNN_ROOT, /usr/local): <prefix>/share/doc/<name>/LICENSE.
  const prefix = path.resolve(path.dirname(real), '..');
  const docs = path.join(prefix, 'share', 'doc');
  if (fs.existsSync(docs)) {
    for (const d of fs.readdirSync(docs)) {
      const license = path.join(docs, d, 'LICENSE');
      if (fs.existsSync(license)) return { source: license, text: fs.readFileSync(license, 'utf8') };
    }
  }
  fail(`no licence found for ${real} (looked for its Debian copyright file and <prefix>/share/doc/*/LICENSE)`);
}

function main() {
  const argAddon = process.argv.indexOf('--addon');
  const addon = argAddon > 0 ? path.resolve(process.argv[argAddon + 1]) : path.join(root, 'build', 'Release', ADDON);
  fs.rmSync(outDir, { recursive: true, force: true });
  if (`${process.platform}-${process.arch}` !== target || !isGlibc()) {
    fail(
      `the prebuilt is made on ${target} with glibc, this is ${process.platform}-${process.arch}${process.platform === 'linux' && !isGlibc() ? ' (musl)' : ''}`,
    );
  }
  if (!fs.existsSync(addon) && argAddon < 0) {
    console.log(`prebuild: ${path.relative(root, addon)} missing, building it (build-addon.cjs --strict)`);
    const r = spawnSync(process.execPath, [path.join(__dirname, 'build-addon.cjs'), '--strict'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) fail('the source build failed (see above)');
  }
  if (!fs.existsSync(addon)) fail(`${addon} not found: build the addon first (pnpm --filter @cnn/backend-onednn build:native)`);

  fs.mkdirSync(outDir, { recursive: true });
  const bundled = linkedLibraries(addon).filter((l) => !SYSTEM.test(l.soname));
  if (!bundled.some((l) => /^libdnnl\.so/.test(l.soname))) fail(`${addon} does not link libdnnl dynamically`);
  const notices = [];
  for (const lib of bundled) {
    const dest = path.join(outDir, lib.soname);
    fs.copyFileSync(fs.realpathSync(lib.path), dest);
    fs.chmodSync(dest, 0o755);
    tool('patchelf', ['--set-rpath', '$ORIGIN', dest]);
    const { source, text } = licenseOf(lib.path);
    notices.push(`${'='.repeat(78)}\n${lib.soname} (from ${fs.realpathSync(lib.path)}; licence: ${source})\n${'='.repeat(78)}\n${text.trim()}\n`);
  }
  const addonDest = path.join(outDir, ADDON);
  fs.copyFileSync(addon, addonDest);
  tool('patchelf', ['--set-rpath', '$ORIGIN', addonDest]);

  // Every bundled library must now resolve inside outDir, from the addon's and each library's own RUNPATH.
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  for (const file of [addonDest, ...bundled.map((l) => path.join(outDir, l.soname))]) {
    for (const lib of linkedLibraries(file)) {
      if (!SYSTEM.test(lib.soname) && path.dirname(lib.path) !== outDir) {
        fail(`${path.basename(file)} resolves ${lib.soname} to ${lib.path}, not to the bundled copy`);
      }
    }
  }
  // Load it in a fresh Node: the addon must work and report the bundled libdnnl.
  const probe = execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(addonDest)}).getInfo()))`], {
    encoding: 'utf8',
    env: { ...env, OMP_NUM_THREADS: '1' },
  });
  const info = JSON.parse(probe);
  if (info.libraryPath && path.dirname(info.libraryPath) !== outDir) fail(`the prebuilt loaded libdnnl from ${info.libraryPath}`);

  const files = [addonDest, ...bundled.map((l) => path.join(outDir, l.soname))];
  const manifest = {
    target,
    libc: 'glibc',
    napiVersion: NAPI_VERSION,
    onednnVersion: info.onednnVersion,
    minGlibc: maxVersion(files, 'GLIBC_'),
    minGlibcxx: maxVersion(files, 'GLIBCXX_'),
    libraries: bundled.map((l) => l.soname),
    builtWith: { node: process.version, glibc: process.report.getReport().header.glibcVersionRuntime },
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(
    path.join(outDir, 'THIRD-PARTY-NOTICES'),
    `Shared libraries bundled with the prebuilt addon of @cnn/backend-onednn (@cnn/backend-onednn-${target}), with their licences.\n\n${notices.join('\n')}`,
  );
  const mb = files.reduce((s, f) => s + fs.statSync(f).size, 0) / 1e6;
  console.log(
    `prebuild: ${outDir}: ${ADDON} + ${manifest.libraries.join(', ')} (${mb.toFixed(1)} MB; ` +
      `oneDNN ${manifest.onednnVersion}, N-API ${NAPI_VERSION}, glibc >= ${manifest.minGlibc}, GLIBCXX >= ${manifest.minGlibcxx})`,
  );
}

main();
