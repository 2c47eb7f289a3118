/**
 * Install diagnostics of the native addon: what the prebuilt supports, why a load failed in words (truncated
 * file, missing library, old C runtime), and the error thrown when no addon can be used.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CnnError } from '@cnn/core';

/** The command that builds the addon from the installed package's sources (`--build-from-source` skips the prebuilt). */
export const BUILD_FROM_SOURCE_COMMAND = 'npm rebuild @cnn/backend-onednn --build-from-source';

/** What a source build needs, and the command; shown whenever the addon cannot be used. */
export const INSTALL_HINT = [
  'Build the addon from source; it needs a C++17 compiler, make, python3 and oneDNN 2.x or 3.x:',
  '  Debian/Ubuntu: apt-get install g++ make python3 libdnnl-dev',
  '  macOS:         xcode-select --install && brew install onednn',
  `then: ${BUILD_FROM_SOURCE_COMMAND}   (pnpm: pnpm rebuild @cnn/backend-onednn)`,
].join('\n');

/** The platform the prebuilt addon is made for (`<platform>-<arch>`, glibc). */
export const PREBUILT_TARGET = 'linux-x64';

/**
 * The optional dependency that carries the prebuilt for {@link PREBUILT_TARGET} (`os`/`cpu`/`libc` fields, so npm
 * installs it on linux-x64 with glibc only; the pattern of sharp and esbuild).
 */
export const PREBUILT_PACKAGE = '@cnn/backend-onednn-linux-x64';

/** Where an addon comes from: this package's source build, its prebuilt, or a path the caller gave. */
export type AddonKind = 'source build' | 'prebuilt' | 'custom';

/** One addon the loader tried and why it could not be used. */
export interface AddonAttempt {
  kind: AddonKind;
  /** The addon path, or a description when there was no file to try. */
  path: string;
  reason: string;
}

/**
 * Thrown when no native addon can be used; the message names the platform, every attempt and the fix. Code
 * `ERR_CNN_ONEDNN_UNAVAILABLE`. `OnednnUnavailableError.isInstance(e)` (from `CnnError`) recognises it across
 * copies of this module.
 */
export class OnednnUnavailableError extends CnnError {
  /** The addon path that was tried (the first attempt's). */
  readonly addonPath: string;
  /** Every addon tried, in order. */
  readonly attempts: readonly AddonAttempt[];

  /**
   * @param addonPath the addon that was tried (for one attempt), or the first of `attempts`.
   * @param cause why it failed (Error or string); ignored when `attempts` is given.
   * @param attempts every attempt when the loader tried several; default one `{kind: 'custom', addonPath, cause}`.
   * @param host the platform named in the message; default {@link hostPlatform}().
   */
  constructor(addonPath: string, cause: unknown, attempts?: readonly AddonAttempt[], host: HostPlatform = hostPlatform()) {
    const list = attempts ?? [{ kind: 'custom' as const, path: addonPath, reason: describeLoadError(cause) }];
    const where = `${host.platform}-${host.arch}${host.platform === 'linux' ? ` (${host.libc ?? 'unknown libc'})` : ''}`;
    super(
      [`@cnn/backend-onednn: cannot load the native addon on ${where}. Tried:`, ...list.map((a) => `  - ${a.kind} ${a.path}: ${a.reason}`), INSTALL_HINT].join(
        '\n',
      ),
      { code: 'ERR_CNN_ONEDNN_UNAVAILABLE' },
    );
    this.name = 'OnednnUnavailableError';
    this.addonPath = addonPath;
    this.attempts = list;
  }
}

/**
 * Any other error of `@cnn/backend-onednn`: a kernel input of the wrong dtype or size, an option out of range, a
 * backend that cannot be selected, a native object used after `dispose()`. Its `code` is stable:
 * `ERR_CNN_ONEDNN` (default: a kernel input or option), `ERR_CNN_UNKNOWN_BACKEND` (a backend name not among
 * `BACKEND_CHOICES`), `ERR_CNN_BACKEND_INIT` (a backend that is not installed or fails to initialise),
 * `ERR_CNN_ONEDNN_DISPOSED` (used after `dispose()`), `ERR_CNN_ONEDNN_LOAD` (one addon file that cannot be loaded;
 * the loader collects these into an {@link OnednnUnavailableError}).
 */
export class OnednnError extends CnnError {
  /**
   * @param message - What went wrong, naming the kernel, input or option and what was expected.
   * @param options - `code` (default `ERR_CNN_ONEDNN`), `cause`.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_ONEDNN', cause: options?.cause });
  }
}

/**
 * `--precision bf16` / `setPrecision('bf16')` on a CPU where oneDNN has no bf16 instructions (code
 * `ERR_CNN_BF16_UNSUPPORTED`): the message names the ISA oneDNN dispatches to (`isa`, e.g. `"avx2"`) and the ISAs
 * bf16 needs (AVX512_BF16 or AMX).
 */
export class Bf16UnsupportedError extends OnednnError {
  /** oneDNN's effective ISA on this CPU (`getInfo().isa`, e.g. `"avx2"`, `"avx512_core"`). */
  readonly isa: string;

  /** @param isa - oneDNN's effective ISA (`dnnl_get_effective_cpu_isa`), named in the message. */
  constructor(isa: string) {
    super(
      `bf16 precision needs a CPU with AVX512_BF16 or AMX (oneDNN ISA avx512_core_bf16 or avx512_core_amx: Intel Cooper Lake / ` +
        `Sapphire Rapids and newer, AMD Zen 4 and newer); oneDNN found ${isa} on this CPU (capped by DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA ` +
        `when set). Use precision float32.`,
      { code: 'ERR_CNN_BF16_UNSUPPORTED' },
    );
    this.isa = isa;
  }
}

/** The host as the prebuilt cares about it: `process.platform`, `process.arch`, and on Linux the C library. */
export interface HostPlatform {
  platform: string;
  arch: string;
  /** `'glibc'` or `'musl'` on Linux (from `process.report`), `null` elsewhere. */
  libc: 'glibc' | 'musl' | null;
  /** glibc's version, e.g. `"2.36"`; `null` without glibc. */
  glibcVersion: string | null;
}

/** Describes this process's platform (see {@link HostPlatform}). */
export function hostPlatform(): HostPlatform {
  let glibcVersion: string | null = null;
  if (process.platform === 'linux') {
    const report = process.report as unknown as { excludeNetwork?: boolean; getReport(): object } | undefined;
    if (report) {
      const before = report.excludeNetwork;
      report.excludeNetwork = true; // the report otherwise resolves every network interface
      try {
        const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
        glibcVersion = header?.glibcVersionRuntime ?? null;
      } finally {
        report.excludeNetwork = before;
      }
    }
  }
  const libc = process.platform !== 'linux' ? null : glibcVersion ? 'glibc' : 'musl';
  return { platform: process.platform, arch: process.arch, libc, glibcVersion };
}

/** `a >= b` for dotted versions like "2.36" and "2.34". */
function versionAtLeast(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return true;
}

/**
 * Why the prebuilt addon cannot serve `host`, or `null` when it can: it exists for linux-x64 with glibc at least
 * the version its manifest names (`manifestMinGlibc`).
 */
export function prebuiltUnsupportedReason(host: HostPlatform, manifestMinGlibc: string | null = null): string | null {
  const key = `${host.platform}-${host.arch}`;
  if (key !== PREBUILT_TARGET) {
    return `no prebuilt for ${key} (the one prebuilt, ${PREBUILT_PACKAGE}, is for ${PREBUILT_TARGET} with glibc)`;
  }
  if (host.libc !== 'glibc') {
    return `no prebuilt for ${key} with ${host.libc ?? 'an unknown C library'} (the prebuilt needs glibc)`;
  }
  if (manifestMinGlibc && host.glibcVersion && !versionAtLeast(host.glibcVersion, manifestMinGlibc)) {
    return `the prebuilt needs glibc >= ${manifestMinGlibc}, this system has ${host.glibcVersion}`;
  }
  return null;
}

/**
 * A load error in words: a truncated or corrupt file, a missing shared library, a C/C++ runtime too old, or the
 * loader's own message.
 */
export function describeLoadError(cause: unknown): string {
  const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
  if (
    /truncated: |file too short|invalid ELF header|not an ELF|ELF load command|wrong ELF class|unknown file type|slice is not valid|not a mach-o/i.test(message)
  ) {
    return `the file is truncated or corrupt (${message}); reinstall the package (npm install --force) or build from source`;
  }
  if (/GLIBC(XX)?_[0-9.]+' not found/.test(message)) {
    return `this system's C or C++ runtime is too old for it (${message})`;
  }
  if (/cannot open shared object file|Library not loaded/.test(message)) {
    return `a shared library it needs is missing (${message})`;
  }
  return message;
}

/**
 * Checks that a 64-bit little-endian ELF file (a Linux `.node` or `.so`) holds every byte its headers point at:
 * the program headers, each loadable segment and the section header table. dlopen maps a truncated file without
 * complaint and the process dies of SIGBUS when it touches the missing pages, so the loader checks first.
 *
 * @returns `null` when the file is complete or not such an ELF file (dlopen then reports what it is), else
 *   `"truncated: the file has N bytes, its ELF headers need M"`.
 */
export function elfTruncation(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 64) return null;
    // "\x7fELF", ELFCLASS64, ELFDATA2LSB
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const shoff = Number(header.readBigUInt64LE(0x28));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    let need = Math.max(phoff + phnum * phentsize, shnum > 0 ? shoff + shnum * shentsize : 0);
    if (phoff + phnum * phentsize <= size && phentsize >= 56) {
      const table = Buffer.alloc(phnum * phentsize);
      readSync(fd, table, 0, table.length, phoff);
      for (let i = 0; i < phnum; i++) {
        const at = i * phentsize;
        if (table.readUInt32LE(at) !== 1) continue; // PT_LOAD
        need = Math.max(need, Number(table.readBigUInt64LE(at + 0x08)) + Number(table.readBigUInt64LE(at + 0x20)));
      }
    }
    return need > size ? `truncated: the file has ${size} bytes, its ELF headers need ${need}` : null;
  } finally {
    closeSync(fd);
  }
}
