import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cifar10DataDir } from './cifar10.js';
import { dataDir } from './data-dir.js';
import { imageFolderCacheDir } from './image-folder.js';
import { defaultDataDir } from './mnist.js';

const saved = { CNN_DATA_DIR: process.env.CNN_DATA_DIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('dataDir (env-paths cache folder; CNN_DATA_DIR wins)', () => {
  it('CNN_DATA_DIR wins over the platform cache folder, for every dataset folder', () => {
    process.env.CNN_DATA_DIR = '/data/cnn';
    process.env.XDG_CACHE_HOME = '/xdg';
    expect([dataDir(), defaultDataDir('mnist'), defaultDataDir('fashion-mnist'), cifar10DataDir(), imageFolderCacheDir()]).toEqual([
      '/data/cnn',
      '/data/cnn/mnist',
      '/data/cnn/fashion-mnist',
      '/data/cnn/cifar10',
      '/data/cnn/cache',
    ]);
  });

  it.runIf(process.platform === 'linux')('on Linux: $XDG_CACHE_HOME/cnn-data, else ~/.cache/cnn-data (as before env-paths)', () => {
    delete process.env.CNN_DATA_DIR;
    process.env.XDG_CACHE_HOME = '/xdg';
    expect(defaultDataDir('mnist')).toBe('/xdg/cnn-data/mnist');
    delete process.env.XDG_CACHE_HOME;
    expect(cifar10DataDir()).toBe(join(homedir(), '.cache', 'cnn-data', 'cifar10'));
  });
});
