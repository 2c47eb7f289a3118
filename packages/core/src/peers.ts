/**
 * Optional peer dependencies, loaded on demand: a function that needs one (sharp for PNGs, vega for charts,
 * fastify for the inference server, bullmq for the queue, …) imports it when first called, and a missing package
 * becomes a {@link MissingPeerError} that names the package to install, instead of a failed import at load time.
 *
 * @packageDocumentation
 */
import { CnnError } from './errors.js';

/**
 * An optional peer dependency that a function needs is not installed. `code` is `ERR_CNN_MISSING_PEER`;
 * {@link MissingPeerError.packageName} is the package to install (`npm install <packageName>`).
 */
export class MissingPeerError extends CnnError {
  /** The npm package that is missing, e.g. `sharp`. */
  readonly packageName: string;

  /**
   * @param packageName - The missing package.
   * @param purpose - What needs it, e.g. `PNG charts` (the start of the message).
   * @param cause - The module-not-found error of the import.
   */
  constructor(packageName: string, purpose: string, cause?: unknown) {
    super(`${purpose} need${/s$/.test(purpose) ? '' : 's'} the optional package ${packageName}, which is not installed: npm install ${packageName}`, {
      cause,
      code: 'ERR_CNN_MISSING_PEER',
    });
    this.packageName = packageName;
  }
}

/** True when `err` says that the module `name` itself (not one of its own imports) could not be found. */
export function isModuleNotFound(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null) return false;
  const message = typeof e.message === 'string' ? e.message : '';
  const quoted = message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`'${name}/`) || message.includes(`"${name}/`);
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') return quoted;
  // Browsers: "Failed to resolve module specifier" (Chromium), "error resolving module specifier" (Firefox).
  return /resolv\w* module specifier/i.test(message) && quoted;
}

/**
 * Imports an optional peer dependency through `load` (write it at the call site, `() => import('sharp')`, so the
 * import resolves from the calling package), turning "module not found" for `packageName` into a
 * {@link MissingPeerError}. Other errors (the package is there but fails to load) pass through unchanged.
 * @param packageName - The npm package `load` imports.
 * @param purpose - What needs it, for the message (e.g. `the inference server`).
 * @param load - The import.
 * @returns The module `load` resolves to.
 * @throws MissingPeerError (code `ERR_CNN_MISSING_PEER`) when `packageName` is not installed.
 * @example
 * ```ts
 * const { default: sharp } = await importPeer('sharp', 'image decoding', () => import('sharp'));
 * ```
 */
export async function importPeer<T>(packageName: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isModuleNotFound(err, packageName)) throw new MissingPeerError(packageName, purpose, err);
    throw err;
  }
}

/**
 * The synchronous twin of {@link importPeer}, for Node-only code that must stay synchronous: `load` is a
 * `require` made at the call site (`createRequire(import.meta.url)`), so the package resolves from the caller.
 * @param packageName - The npm package `load` requires.
 * @param purpose - What needs it, for the message (e.g. `the inference server`).
 * @param load - The require.
 * @returns The module.
 * @throws MissingPeerError (code `ERR_CNN_MISSING_PEER`) when `packageName` is not installed.
 * @example
 * ```ts
 * const require = createRequire(import.meta.url);
 * const fastify = requirePeer('fastify', 'the inference server', () => require('fastify'));
 * ```
 */
export function requirePeer<T>(packageName: string, purpose: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (isModuleNotFound(err, packageName)) throw new MissingPeerError(packageName, purpose, err);
    throw err;
  }
}
