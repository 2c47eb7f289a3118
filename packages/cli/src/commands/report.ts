import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { writeReport } from '@cnn/explain/node';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import { userPath } from './common.js';

/**
 * `cnn report RUN_DIR [--title T]`: (re)writes `RUN_DIR/report.html` from the run's files (`history.json`,
 * `summary.json`, optional `analysis.json`) with @cnn/explain's `writeReport`. A missing or malformed run file is a
 * failure (exit 1, the message names the file); a RUN_DIR that is not a folder is a usage error (exit 2).
 */
export const registerReport: RegisterCommand = (program: Command) => {
  program
    .command('report')
    .description('(re)write RUN_DIR/report.html from a run folder (history.json, summary.json, analysis.json)')
    .argument('<RUN_DIR>', 'run folder written by `cnn train` (e.g. runs/…)')
    .option('--title <title>', 'page title (default: "<model> — <run folder name>")')
    .action(async (runDir: string, opts: { title?: string }) => {
      const abs = userPath(runDir);
      const info = await stat(abs).catch(() => undefined);
      if (!info?.isDirectory())
        throw new UsageError(`RUN_DIR ${abs} ${info ? 'is not a folder' : 'does not exist'} (expected a run folder written by \`cnn train\`)`);
      const file = await writeReport(abs, opts.title === undefined ? {} : { title: opts.title });
      process.stdout.write(`report written: ${file}\n`);
    });
};
