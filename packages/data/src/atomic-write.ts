import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
 * @param data - Bytes to write.
 * @throws Error from the file system (e.g. `EACCES`).
 */
export async function writeFileAtomic(dest: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    await writeFile(tmp, data);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes `value` as pretty-printed JSON (2-space indent, trailing newline) to `dest` atomically
 * ({@link writeFileAtomic}).
 *
 * @throws TypeError when `value` is not JSON-serialisable; Error from the file system.
 */
export async function writeJsonAtomic(dest: string, value: unknown): Promise<void> {
  await writeFileAtomic(dest, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}
