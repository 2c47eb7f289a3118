/**
 * The API reference: TypeDoc over every published package, one module per subpath of each package's `exports`
 * map (`@cnn/core`, `@cnn/core/node`, `@cnn/deploy/server`, …), from the TypeScript sources (tsconfig.docs.json
 * maps `@cnn/*` imports to them). Warnings are errors: every export (each module's top-level functions, classes,
 * interfaces, types and constants) documented, every `{@link}` resolved, every referenced type exported. Writes `docs/api/` (git-ignored); open `docs/api/index.html`.
 *
 * Run: `pnpm docs` (no build needed). `pnpm docs -- --out <dir>` writes elsewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Application, Converter, type DeclarationReflection, ReflectionKind } from 'typedoc';
import { repo } from './pack-install.js';

interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** One documented module: the subpath's import specifier and its source file. */
export interface DocEntry {
  /** e.g. `@cnn/core/node`. */
  name: string;
  /** Absolute path of the TypeScript entry file. */
  file: string;
}

/**
 * The entry points of the reference: for each published package, the source behind every subpath of its
 * `exports` map (`src/index.ts` for `.`, `src/<sub>/index.ts` or `src/<sub>.ts` for `./<sub>`). Packages come in
 * dependency order, so a symbol re-exported by a later package is documented where it is defined.
 * @throws Error naming the package and subpath when no source file is found.
 */
export function docEntries(): DocEntry[] {
  const packages = new Map<string, { dir: string; json: Manifest }>();
  for (const d of readdirSync(path.join(repo, 'packages'))) {
    const file = path.join(repo, 'packages', d, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (!json.private && json.exports) packages.set(json.name, { dir: path.join(repo, 'packages', d), json });
  }
  const ordered: string[] = [];
  const visit = (name: string) => {
    const pkg = packages.get(name);
    if (!pkg || ordered.includes(name)) return;
    for (const dep of Object.keys({ ...pkg.json.dependencies, ...pkg.json.peerDependencies })) if (dep !== name) visit(dep);
    if (!ordered.includes(name)) ordered.push(name);
  };
  for (const name of [...packages.keys()].sort()) visit(name);
  const entries: DocEntry[] = [];
  for (const name of ordered) {
    const { dir, json } = packages.get(name)!;
    for (const sub of Object.keys(json.exports!)) {
      if (sub === './package.json') continue;
      const rel = sub === '.' ? 'index' : sub.slice(2);
      const candidates = rel === 'index' ? ['src/index.ts'] : [`src/${rel}/index.ts`, `src/${rel}.ts`];
      const file = candidates.map((c) => path.join(dir, c)).find((f) => existsSync(f));
      if (!file) throw new Error(`docs: ${name} exports '${sub}' but none of ${candidates.join(', ')} exists in ${dir}`);
      entries.push({ name: sub === '.' ? name : `${name}/${rel}`, file });
    }
  }
  return entries;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { out: { type: 'string', default: path.join(repo, 'docs', 'api') } },
  });
  const entries = docEntries();
  const app = await Application.bootstrapWithPlugins({
    name: '@cnn API reference',
    entryPoints: entries.map((e) => e.file),
    entryPointStrategy: 'resolve',
    tsconfig: path.join(repo, 'tsconfig.docs.json'),
    out: values.out,
    readme: 'none',
    // No links to source files: the reference is built locally and from clones whose git remote may be a path.
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    treatWarningsAsErrors: true,
    treatValidationWarningsAsErrors: true,
    // Every export must be documented: the top-level declarations of each module (members of classes and
    // interfaces, and properties of inline object types, are not enforced yet).
    requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Namespace'],
    // Every @cnn package (TypeDoc's default is the one package of a single entry point).
    packagesRequiringDocumentation: [...new Set(entries.map((e) => e.name.split('/').slice(0, 2).join('/')))],
    validation: { notExported: true, invalidLink: true, invalidPath: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
    // Our own TSDoc tags.
    blockTags: [
      '@param',
      '@returns',
      '@throws',
      '@example',
      '@see',
      '@remarks',
      '@deprecated',
      '@defaultValue',
      '@typeParam',
      '@module',
      '@packageDocumentation',
    ],
    sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
    logLevel: 'Warn',
  });
  // Module names: the import specifier (`@cnn/core/node`), not the folder (`core/src/node`).
  const byFile = new Map(entries.map((e) => [path.resolve(e.file), e.name]));
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module) as DeclarationReflection[]) {
      const file = mod.sources?.[0]?.fullFileName;
      const name = file ? byFile.get(path.resolve(file)) : undefined;
      if (name) mod.name = name;
    }
  });
  const project = await app.convert();
  if (!project) return 1;
  // TypeDoc's CLI applies treatWarningsAsErrors itself; through the API a warning must fail here.
  const failed = () => app.logger.hasErrors() || app.logger.hasWarnings();
  app.validate(project);
  if (failed()) return 1;
  await app.generateOutputs(project);
  if (failed()) return 1;
  console.log(`docs: ${entries.length} modules (${entries.map((e) => e.name).join(', ')}) → ${path.relative(process.cwd(), values.out) || '.'}/index.html`);
  return 0;
}

if (process.argv[1] && /scripts[\\/]docs\.ts$/.test(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
