import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig, type TrainClassifierOptions } from '@cnn/cli';
import { CreateAppError, TEMPLATES, createApp, packageNameOf, releasedVersions } from './create-app.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../dist/create-app.js', import.meta.url));
/** Runs the built `create-app` bin in `cwd`; resolves to its exit status and output. */
async function createAppBin(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const cliVersion = (JSON.parse(await readFile(fileURLToPath(new URL('../../cli/package.json', import.meta.url)), 'utf8')) as { version: string }).version;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cnn-create-app-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('createApp', () => {
  it.each(TEMPLATES)('scaffolds the %s template with released versions only', async (template) => {
    const app = await createApp({ dir: `My App ${template}`, template, cwd: tmp });
    expect(app.dir).toBe(join(tmp, `My App ${template}`));
    expect(app.name).toBe(`my-app-${template}`);
    expect((await readdir(app.dir)).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src']);
    expect(await readdir(join(app.dir, 'src'))).toEqual(['train.ts']);
    const text = await readFile(join(app.dir, 'package.json'), 'utf8');
    expect(text).not.toContain('workspace:');
    const pkg = JSON.parse(text) as {
      name: string;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe(`my-app-${template}`);
    expect(pkg.dependencies).toEqual({ '@cnn/cli': `^${cliVersion}` });
    expect(pkg.devDependencies).toEqual({ tsx: '4.23.0' });
    expect(pkg.scripts['train']).toMatch(/^cnn train /);
    expect(pkg.scripts['serve']).toBe('cnn serve runs/latest/model');
    expect(pkg.scripts['train:program']).toBe('tsx src/train.ts');
    expect(await readFile(join(app.dir, 'src', 'train.ts'), 'utf8')).toContain("import { trainClassifier } from '@cnn/cli';");
    expect(await readFile(join(app.dir, 'README.md'), 'utf8')).toMatch(new RegExp(`^# my-app-${template}\\n`));
    expect(app.nextSteps).toEqual([`cd "My App ${template}"`, 'npm install', 'npm run train']);
  });

  it.each(TEMPLATES)('the %s template trains with options `cnn train` accepts', async (template) => {
    const pkg = JSON.parse(await readFile(fileURLToPath(new URL(`../templates/${template}/package.json`, import.meta.url)), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [cnn, train, source, ...flags] = pkg.scripts['train']!.split(' ');
    expect([cnn, train]).toEqual(['cnn', 'train']);
    const options: Record<string, unknown> = { source };
    for (let i = 0; i < flags.length; i += 2) {
      const value = flags[i + 1]!;
      options[flags[i]!.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = /^[\d.]+$/.test(value) ? Number(value) : value;
    }
    const config = resolveTrainConfig(options as unknown as TrainClassifierOptions);
    expect(config.out).toBe(join(process.cwd(), 'runs', 'latest'));
  });

  it('reads the versions from its own package.json (workspace ranges resolved)', async () => {
    expect(await releasedVersions()).toEqual({ '@cnn/cli': `^${cliVersion}`, tsx: '4.23.0' });
  });

  it('fills an existing empty folder', async () => {
    await mkdir(join(tmp, 'empty'));
    const app = await createApp({ dir: 'empty', cwd: tmp });
    expect(app.template).toBe('folder');
    expect(await readdir(app.dir)).toContain('package.json');
  });

  it('refuses a non-empty folder, a file and an unknown template; writes nothing', async () => {
    await mkdir(join(tmp, 'full'));
    await writeFile(join(tmp, 'full', 'keep.txt'), 'mine');
    await expect(createApp({ dir: 'full', cwd: tmp })).rejects.toThrow(`${join(tmp, 'full')} is not empty`);
    expect(await readdir(join(tmp, 'full'))).toEqual(['keep.txt']);
    await expect(createApp({ dir: 'full/keep.txt', cwd: tmp })).rejects.toThrow('exists and is not a folder');
    const bad = createApp({ dir: 'x', template: 'imagenet' as never, cwd: tmp });
    await expect(bad).rejects.toBeInstanceOf(CreateAppError);
    await expect(bad).rejects.toThrow('--template must be one of folder, mnist, cifar10, got "imagenet"');
    expect((await readdir(tmp)).filter((f) => f === 'x' || f.startsWith('.'))).toEqual([]);
  });

  it('makes npm package names from folder names', () => {
    expect(packageNameOf('My Cool_App!')).toBe('my-cool_app');
    expect(packageNameOf('.hidden')).toBe('hidden');
    expect(packageNameOf('***')).toBe('cnn-app');
  });
});

describe('create-app bin', () => {
  it('scaffolds and prints the next three commands', async () => {
    const r = await createAppBin(tmp, 'bin-app', '--template', 'mnist');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Next:\n  cd bin-app\n  npm install\n  npm run train\n');
    expect(JSON.parse(await readFile(join(tmp, 'bin-app', 'package.json'), 'utf8')).scripts.train).toBe('cnn train mnist --out runs/latest');
  });

  it('exits 2 for a non-empty folder, an unknown template or flag, and a missing DIR', async () => {
    const full = await createAppBin(tmp, 'full');
    expect(full.code).toBe(2);
    expect(full.stderr).toContain(`error: ${join(tmp, 'full')} is not empty`);
    expect((await createAppBin(tmp, 'y', '--template', 'imagenet')).code).toBe(2);
    expect((await createAppBin(tmp, 'y', '--epochs', '3')).stderr).toContain("Unknown option '--epochs'");
    expect((await createAppBin(tmp)).code).toBe(2);
    expect((await readdir(tmp)).includes('y')).toBe(false);
  });

  it('has --help and --version', async () => {
    const help = await createAppBin(tmp, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm create @cnn/app@latest DIR -- [--template folder|mnist|cifar10]');
    const version = await createAppBin(tmp, '--version');
    expect(version.stdout.trim()).toBe(
      (JSON.parse(await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string }).version,
    );
  });
});
