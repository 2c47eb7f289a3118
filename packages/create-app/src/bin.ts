#!/usr/bin/env node
/**
 * `npm create @cnn/app@latest DIR -- --template folder|mnist|cifar10` (this package's `create-app` bin).
 * Exit 0 on success, 2 on a usage error (unknown flag or template, non-empty DIR), 1 on any other failure.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateAppError, TEMPLATES, type Template, createApp } from './create-app.js';

const USAGE = `Usage: npm create @cnn/app@latest DIR -- [--template ${TEMPLATES.join('|')}]
       create-app DIR [--template ${TEMPLATES.join('|')}]

Creates DIR (new or empty) with a project that trains and serves an image classifier with the @cnn toolkit.

Options:
  -t, --template <name>  folder: your own images in images/<class>/ (default)
                         mnist: handwritten digits; cifar10: 32×32 colour photos
  -V, --version          print the version
  -h, --help             show help`;

async function main(argv: string[]): Promise<number> {
  const options = {
    template: { type: 'string', short: 't' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  } as const;
  const parse = () => {
    try {
      return parseArgs({ args: argv, options, allowPositionals: true });
    } catch (err) {
      throw new CreateAppError(`${(err as Error).message}\n${USAGE}`);
    }
  };
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  if (positionals.length !== 1) throw new CreateAppError(`expected one DIR argument, got ${positionals.length}\n${USAGE}`);
  const app = await createApp({ dir: positionals[0]!, template: (values.template ?? 'folder') as Template });
  console.log(
    `Created ${app.dir} (${app.name}, template ${app.template}: ${Object.entries(app.versions)
      .map(([n, v]) => `${n}@${v}`)
      .join(', ')}).`,
  );
  if (app.template === 'folder') console.log('Put your images in images/<class name>/ (one sub-folder per class) before training.');
  console.log(`\nNext:\n${app.nextSteps.map((s) => `  ${s}`).join('\n')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof CreateAppError ? 2 : 1;
  },
);
