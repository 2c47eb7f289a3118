import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The offline CIFAR-10 JPEG archive for the apps: `$CNN_CIFAR10_JPEG_ARCHIVE`, else the workplace's
 * `../shared/datasets/cifar10-jpeg.tar.gz` beside this checkout (the apps know the workspace; the published
 * `@cnn/data` only takes arguments and environment variables), else `undefined`.
 */
export function sharedCifar10Archive(): string | undefined {
  const env = process.env.CNN_CIFAR10_JPEG_ARCHIVE;
  if (env) return path.resolve(env);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidate = path.resolve(here, '../../../../shared/datasets/cifar10-jpeg.tar.gz');
  return existsSync(candidate) ? candidate : undefined;
}
