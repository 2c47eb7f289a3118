import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-cifar-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: appDir, encoding: 'utf8', env: { ...process.env, ...env } });

describe('the cifar10 command line (cnn train cifar10)', () => {
  it('exits 2 with the valid recipes for an unknown --recipe, writing nothing', () => {
    const r = run(['--', '--recipe', 'quick', '--out', path.join(tmp, 'y')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("argument 'quick' is invalid. Allowed choices are standard, fast");
    expect(existsSync(path.join(tmp, 'y'))).toBe(false);
  });

  it('exits 2 for a model that does not take 32x32x3 images', () => {
    const r = run(['--model', 'mnistnet', '--out', path.join(tmp, 'x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--model mnistnet takes 28x28x1 images; cifar10 needs a 32x32x3 model');
  });

  it('reads the binary archive it is given (CNN_CIFAR10_BINARY_ARCHIVE) before anything else, and names a missing one', () => {
    const missing = path.join(tmp, 'no-such-archive.tar.gz');
    const r = run(['--epochs', '1', '--out', path.join(tmp, 'z')], { CNN_CIFAR10_BINARY_ARCHIVE: missing, CNN_DATA_DIR: path.join(tmp, 'data') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot read archive ${missing}`);
    expect(existsSync(path.join(tmp, 'z'))).toBe(false);
  });
});
