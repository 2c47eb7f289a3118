/**
 * Loader of the native oneDNN addon: the prebuilt of the per-platform optional package
 * `@cnn/backend-onednn-linux-x64` (`prebuilt/onednn_binding.node`, libdnnl bundled beside it and loaded through
 * its RUNPATH `$ORIGIN`) when it is installed and fits this host, else the source build
 * `build/Release/onednn_binding.node`. The addon's interface is typed in `binding-types.ts`, the install
 * diagnostics (and `OnednnUnavailableError`) are in `binding-diagnostics.ts`; both are re-exported here.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AddonAttempt,
  type AddonKind,
  describeLoadError,
  elfTruncation,
  type HostPlatform,
  hostPlatform,
  OnednnError,
  OnednnUnavailableError,
  PREBUILT_PACKAGE,
  prebuiltUnsupportedReason,
} from './binding-diagnostics.js';
import { type OnednnBinding, REQUIRED_FUNCTIONS } from './binding-types.js';

// The interface types and the diagnostics live in their own files; this one loads the addon. Re-exported so
// `./binding.js` stays the one import for all three.
export * from './binding-diagnostics.js';
export * from './binding-types.js';

function moduleDir(): string {
  // tsup shims import.meta.url in the CJS build.
  return dirname(fileURLToPath(import.meta.url));
}

/** The package's root folder (the parent of `src/` or `dist/`). */
export function packageRoot(): string {
  return resolve(moduleDir(), '..');
}

/** Absolute path of the source build: `<package>/build/Release/onednn_binding.node`. */
export function defaultAddonPath(root: string = packageRoot()): string {
  return resolve(root, 'build', 'Release', 'onednn_binding.node');
}

/**
 * The folder of {@link PREBUILT_PACKAGE} as Node resolves it from the package folder `root`, or `null` when it is
 * not installed (another platform, `--omit=optional`, or a source-only install).
 */
export function prebuiltPackageDir(root: string = packageRoot()): string | null {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve(`${PREBUILT_PACKAGE}/package.json`));
  } catch {
    return null;
  }
}

/**
 * Absolute path of the prebuilt addon, `<@cnn/backend-onednn-linux-x64>/prebuilt/onednn_binding.node`, or `null`
 * when {@link PREBUILT_PACKAGE} is not installed.
 */
export function prebuiltAddonPath(root: string = packageRoot()): string | null {
  const dir = prebuiltPackageDir(root);
  return dir === null ? null : resolve(dir, 'prebuilt', 'onednn_binding.node');
}

/** Where each loaded binding came from (see {@link addonOrigin}). */
const origins = new WeakMap<object, { kind: AddonKind; addonPath: string }>();

function kindOf(path: string, root: string): AddonKind {
  const resolved = resolve(path);
  if (resolved === defaultAddonPath(root)) return 'source build';
  const prebuilt = prebuiltPackageDir(root);
  if (prebuilt !== null && resolved.startsWith(resolve(prebuilt, 'prebuilt') + sep)) return 'prebuilt';
  return 'custom';
}

/** Loads one addon file; throws `OnednnError` (`ERR_CNN_ONEDNN_LOAD`) with {@link describeLoadError}'s words. */
function requireAddon(path: string, kind: AddonKind): OnednnBinding {
  if (!existsSync(path)) {
    throw new OnednnError(kind === 'source build' ? 'not built (the install used the prebuilt, or the source build failed or did not run)' : 'file not found', {
      code: 'ERR_CNN_ONEDNN_LOAD',
    });
  }
  const truncated = elfTruncation(path);
  if (truncated) throw new OnednnError(describeLoadError(`${path}: ${truncated}`), { code: 'ERR_CNN_ONEDNN_LOAD' });
  let binding: OnednnBinding;
  try {
    binding = createRequire(import.meta.url)(path) as OnednnBinding;
  } catch (error) {
    throw new OnednnError(describeLoadError(error), { code: 'ERR_CNN_ONEDNN_LOAD' });
  }
  const missing = REQUIRED_FUNCTIONS.filter((name) => typeof binding[name] !== 'function');
  if (missing.length > 0) throw new OnednnError(`stale addon, missing functions: ${missing.join(', ')} (rebuild it)`, { code: 'ERR_CNN_ONEDNN_LOAD' });
  origins.set(binding, { kind, addonPath: resolve(path) });
  return binding;
}

/** Options of {@link loadBinding}. */
export interface LoadBindingOptions {
  /** The package folder holding `build/`, from which {@link PREBUILT_PACKAGE} is resolved. Default: this package's. */
  root?: string;
  /** The host to load for. Default {@link hostPlatform}(). */
  host?: HostPlatform;
}

/**
 * Loads the native addon.
 *
 * With `path`, exactly that file. Without, the first of these that loads: the prebuilt of the optional package
 * {@link PREBUILT_PACKAGE} ({@link prebuiltAddonPath}) when it is installed and {@link prebuiltUnsupportedReason}
 * allows it on this host, then the source build ({@link defaultAddonPath}, present after a source build).
 *
 * @throws OnednnUnavailableError when none loads: the message names the platform, every attempt with its
 *   reason (file missing, truncated or corrupt, libdnnl missing, glibc too old, stale addon, unsupported
 *   platform) and {@link INSTALL_HINT} with {@link BUILD_FROM_SOURCE_COMMAND}.
 */
export function loadBinding(path?: string, opts: LoadBindingOptions = {}): OnednnBinding {
  const root = opts.root ?? packageRoot();
  if (path !== undefined) {
    const kind = kindOf(path, root);
    try {
      return requireAddon(path, kind);
    } catch (error) {
      throw new OnednnUnavailableError(path, error, [{ kind, path, reason: (error as Error).message }]);
    }
  }
  const attempts: AddonAttempt[] = [];
  const host = opts.host ?? hostPlatform();
  const prebuilt = prebuiltAddonPath(root);
  let manifest: { minGlibc?: string; libraries?: string[] } = {};
  if (prebuilt !== null) {
    try {
      manifest = JSON.parse(readFileSync(join(dirname(prebuilt), 'manifest.json'), 'utf8')) as typeof manifest;
    } catch {
      // no manifest: the load itself reports a glibc mismatch or a missing library
    }
  }
  const unsupported = prebuiltUnsupportedReason(host, manifest.minGlibc ?? null);
  if (unsupported) {
    attempts.push({ kind: 'prebuilt', path: PREBUILT_PACKAGE, reason: unsupported });
  } else if (prebuilt === null) {
    attempts.push({
      kind: 'prebuilt',
      path: PREBUILT_PACKAGE,
      reason: 'not installed (an optional dependency: npm leaves it out with --omit=optional or --no-optional; reinstall without them)',
    });
  } else {
    try {
      // The bundled libraries: present and complete (a truncated libdnnl would crash the process in dlopen).
      for (const lib of manifest.libraries ?? []) {
        const libPath = join(dirname(prebuilt), lib);
        if (!existsSync(libPath))
          throw new OnednnError(`the bundled ${lib} is missing from ${dirname(prebuilt)}; reinstall the package`, { code: 'ERR_CNN_ONEDNN_LOAD' });
        const truncated = elfTruncation(libPath);
        if (truncated) throw new OnednnError(describeLoadError(`${libPath}: ${truncated}`), { code: 'ERR_CNN_ONEDNN_LOAD' });
      }
      return requireAddon(prebuilt, 'prebuilt');
    } catch (error) {
      attempts.push({ kind: 'prebuilt', path: prebuilt, reason: (error as Error).message });
    }
  }
  const source = defaultAddonPath(root);
  try {
    return requireAddon(source, 'source build');
  } catch (error) {
    attempts.push({ kind: 'source build', path: source, reason: (error as Error).message });
  }
  throw new OnednnUnavailableError(attempts[0]!.path, undefined, attempts, host);
}

/** Where the native code in use was loaded from (see {@link addonOrigin}). */
export interface AddonOrigin {
  /** `'prebuilt'` (from {@link PREBUILT_PACKAGE}), `'source build'` (compiled at install) or `'custom'` (a path given). */
  kind: AddonKind;
  /** Absolute path of the addon file. */
  addonPath: string;
  /** Absolute real path (symlinks resolved) of the libdnnl the process loaded, `""` when unknown. */
  libraryPath: string;
}

/** The libdnnl mapped into this process, from /proc/self/maps (Linux); `""` when none or unknown. */
export function libdnnlFromProcMaps(): string {
  try {
    const line = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .find((l) => /\/libdnnl\.so[.\d]*$/.test(l));
    return line ? line.slice(line.indexOf('/')) : '';
  } catch {
    return '';
  }
}

/**
 * Where `binding` (default the process-wide one) and its libdnnl were loaded from.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function addonOrigin(binding: OnednnBinding = getBinding()): AddonOrigin {
  const origin = origins.get(binding) ?? { kind: 'custom' as const, addonPath: '' };
  const info = binding.getInfo();
  let libraryPath = info.libraryPath || libdnnlFromProcMaps();
  try {
    if (libraryPath) libraryPath = realpathSync(libraryPath);
  } catch {
    // keep the path as the dynamic loader named it
  }
  return { ...origin, libraryPath };
}

let cached: OnednnBinding | undefined;
let cachedError: unknown;

/**
 * The process-wide binding, loaded once (see {@link loadBinding}).
 *
 * @throws OnednnUnavailableError (the same one on every call) when it cannot be loaded.
 */
export function getBinding(): OnednnBinding {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  try {
    cached = loadBinding();
    return cached;
  } catch (error) {
    cachedError = error;
    throw error;
  }
}

/** True when the native addon and libdnnl load; never throws. */
export function isOnednnAvailable(): boolean {
  try {
    getBinding();
    return true;
  } catch {
    return false;
  }
}
