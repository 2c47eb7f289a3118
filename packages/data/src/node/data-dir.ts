import { resolve } from 'node:path';
import envPaths from 'env-paths';

/**
 * The folder where `@cnn/data` downloads and caches datasets: `$CNN_DATA_DIR` when set (it always wins), else the
 * platform's cache folder for `cnn-data` from env-paths — `$XDG_CACHE_HOME/cnn-data` or `~/.cache/cnn-data` on
 * Linux, `~/Library/Caches/cnn-data` on macOS, `%LOCALAPPDATA%\cnn-data\Cache` on Windows.
 * @param sub - A sub-folder (e.g. `mnist`, `cifar10`, `cache`). Default: the folder itself.
 * @returns An absolute path (not created here).
 */
export function dataDir(sub?: string): string {
  const base = process.env.CNN_DATA_DIR || envPaths('cnn-data', { suffix: '' }).cache;
  return sub === undefined ? resolve(base) : resolve(base, sub);
}
