import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CnnError } from '../errors.js';

/**
 * Path of a temporary file beside `dest` (same directory, so the final `rename` is atomic on POSIX):
 * `.<name>.<pid>.<random>.tmp`.
 */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `dest` atomically: into a temporary file in the same directory, then `rename`. Readers see
 * either the old file or the complete new one; on failure the temporary file is removed.
 *
 * @param dest - Destination path; its directory is created when missing.
 * @param data - Bytes, or a string written as UTF-8.
 * @throws CnnError (code `ERR_CNN_WRITE`) `writing <dest> failed: <cause>` from the file system (e.g. `EACCES`); `cause` holds the original.
 */
export async function writeFileAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(dest);
  try {
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new CnnError(`writing ${dest} failed: ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_WRITE' });
  }
}

/**
 * Writes `value` as pretty-printed JSON (2-space indent, trailing newline) to `dest` atomically
 * ({@link writeFileAtomic}).
 *
 * @throws TypeError when `value` is not JSON-serialisable; Error from the file system.
 */
export async function writeJsonAtomic(dest: string, value: unknown): Promise<void> {
  await writeFileAtomic(dest, `${JSON.stringify(value, null, 2)}\n`);
}
