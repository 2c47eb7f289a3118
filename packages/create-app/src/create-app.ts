/**
 * `npm create @cnn/app DIR -- --template folder|mnist|cifar10`: copies a template project into an empty folder,
 * with a package.json that names the published `@cnn/*` packages at their released versions.
 *
 * @packageDocumentation
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The templates: `folder` (your own images, one sub-folder per class), `mnist`, `cifar10`. */
export const TEMPLATES = ['folder', 'mnist', 'cifar10'] as const;
/** One of {@link TEMPLATES}. */
export type Template = (typeof TEMPLATES)[number];

/**
 * A bad command line or target folder (unknown template, non-empty DIR): `create-app` prints `error: MESSAGE` and
 * exits 2. Code `ERR_CNN_USAGE`, as `@cnn/cli`'s `UsageError` (this package has no runtime dependency, so that
 * `npm create` installs nothing else).
 */
export class CreateAppError extends Error {
  readonly code = 'ERR_CNN_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'CreateAppError';
  }
}

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** Target folder, resolved against `cwd`; must not exist or be empty. Its base name becomes the package name. */
  dir: string;
  /** Default `'folder'`. */
  template?: Template;
  /** Default `process.cwd()`. */
  cwd?: string;
}

/** What {@link createApp} wrote. */
export interface CreatedApp {
  /** Absolute project folder. */
  dir: string;
  /** The npm package name written to its package.json. */
  name: string;
  template: Template;
  /** The package.json dependencies and devDependencies written, e.g. `{ '@cnn/cli': '^0.2.0', tsx: '4.23.0' }`. */
  versions: Record<string, string>;
  /** The commands to run next (`cd DIR`, `npm install`, `npm run train`). */
  nextSteps: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
/** This package's root (the parent of `src/` and of `dist/`). */
const packageRoot = resolve(here, '..');

/**
 * An npm package name made from a folder name: lower case, characters outside `[a-z0-9._~-]` replaced by `-`,
 * no leading `.` or `_`; `'cnn-app'` when nothing is left.
 */
export function packageNameOf(folderName: string): string {
  const name = folderName
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/-+$/, '');
  return name.length > 0 ? name.slice(0, 214) : 'cnn-app';
}

/**
 * The versions a new project gets: this package's own `devDependencies` (`@cnn/*` and tsx). In the published
 * package they are the released versions (`pnpm publish` rewrites `workspace:^` to `^X.Y.Z`); run from the
 * workspace, a `workspace:` range resolves to the workspace package's current version (`^X.Y.Z`).
 *
 * @throws Error when a `workspace:` package cannot be found (a broken checkout).
 */
export async function releasedVersions(): Promise<Record<string, string>> {
  const own = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const versions: Record<string, string> = {};
  for (const [name, range] of Object.entries(own.devDependencies ?? {})) {
    if (!range.startsWith('workspace:')) {
      versions[name] = range;
      continue;
    }
    const pkg = JSON.parse(await readFile(join(packageRoot, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')) as { version: string };
    const spec = range.slice('workspace:'.length);
    versions[name] = spec === '*' ? pkg.version : `${spec === '~' ? '~' : '^'}${pkg.version}`;
  }
  return versions;
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return true;
  if (!info.isDirectory()) throw new CreateAppError(`${dir} exists and is not a folder; choose a new folder name`);
  return (await readdir(dir)).length === 0;
}

/**
 * Creates a project from a template: copies `templates/TEMPLATE` (with `_gitignore` renamed to `.gitignore`), writes
 * its package.json with `name` = the folder's base name and every dependency at the version {@link releasedVersions}
 * gives (never `workspace:`), all into a temporary sibling folder that is then renamed to `dir` (nothing is left
 * half-written on failure).
 *
 * @throws CreateAppError when `template` is unknown, or `dir` is a file or a non-empty folder (nothing written);
 *   Error when a template names a package this package does not know the version of.
 */
export async function createApp(options: CreateAppOptions): Promise<CreatedApp> {
  const template = options.template ?? 'folder';
  if (!(TEMPLATES as readonly string[]).includes(template)) {
    throw new CreateAppError(`--template must be one of ${TEMPLATES.join(', ')}, got "${template}"`);
  }
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.dir);
  if (!(await isEmptyOrMissing(dir))) throw new CreateAppError(`${dir} is not empty; choose a new or empty folder (nothing was written)`);
  const name = packageNameOf(basename(dir));
  const versions = await releasedVersions();

  const pkg = JSON.parse(await readFile(join(packageRoot, 'templates', template, 'package.json'), 'utf8')) as Record<string, unknown>;
  const written: Record<string, string> = {};
  for (const field of ['dependencies', 'devDependencies'] as const) {
    const deps = pkg[field] as Record<string, string> | undefined;
    if (!deps) continue;
    for (const dep of Object.keys(deps)) {
      const version = versions[dep];
      if (!version) throw new Error(`templates/${template}/package.json: ${field}.${dep} has no released version in @cnn/create-app's package.json`);
      deps[dep] = version;
      written[dep] = version;
    }
  }
  pkg['name'] = name;

  await mkdir(dirname(dir), { recursive: true });
  const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}-`));
  try {
    await cp(join(packageRoot, 'templates', template), staging, { recursive: true });
    await rename(join(staging, '_gitignore'), join(staging, '.gitignore')).catch(() => undefined);
    await writeFile(join(staging, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    const readme = join(staging, 'README.md');
    await writeFile(readme, (await readFile(readme, 'utf8')).replaceAll('{{name}}', name));
    // An existing empty target folder is replaced (rename cannot overwrite a folder).
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const rel = options.dir === '.' ? undefined : options.dir;
  const nextSteps = [...(rel ? [`cd ${/\s/.test(rel) ? JSON.stringify(rel) : rel}`] : []), 'npm install', 'npm run train'];
  return { dir, name, template, versions: written, nextSteps };
}
