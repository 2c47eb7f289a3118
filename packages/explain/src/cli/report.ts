#!/usr/bin/env node
/**
 * Regenerates `report.html` of a run directory from the files in it.
 *
 *   pnpm --filter @cnn/explain exec tsx src/cli/report.ts --run runs/mnist-2024…
 *   pnpm --filter @cnn/explain report -- --run DIR
 *
 * A relative `--run` is resolved against the directory pnpm was started from (`INIT_CWD`).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExplainError } from '../errors.js';
import { writeReport } from '../report/write-report.js';

const USAGE = 'usage: report --run <run directory> [--title <title>]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: { run: { type: 'string' }, title: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.run) {
    console.error(`report: --run is required\n${USAGE}`);
    return 2;
  }
  const runDir = resolve(process.env.INIT_CWD ?? process.cwd(), values.run);
  try {
    const path = await writeReport(runDir, { title: values.title });
    console.log(`report written: ${path}`);
    return 0;
  } catch (error) {
    if (ExplainError.isInstance(error)) {
      console.error(`report: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
