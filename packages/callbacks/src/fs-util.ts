import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `dest` atomically (temporary file in the same folder, then rename), creating the
 * folder when missing. On failure the temporary file is removed and `dest` is untouched.
 * @throws Error naming `dest` on I/O failure.
 */
export async function writeAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`writing ${dest} failed: ${(err as Error).message}`, { cause: err });
  }
}
