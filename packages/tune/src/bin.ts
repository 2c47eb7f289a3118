#!/usr/bin/env node
// cnn-tune: hyperparameter search and queue workers of @cnn/tune.
//   cnn-tune search --trial <script> --out <dir> [--parallel N | --queue redis://host:6379] …
//   cnn-tune worker --queue redis://host:6379 [--concurrency N] [--trial-dir DIR] …
import { runWorkerCli, WORKER_USAGE } from './queue/cli';
import { runSearchCli, SEARCH_USAGE } from './search/cli';

const USAGE = `Usage: cnn-tune <command> [options]   (cnn-tune <command> --help for its options)
  search   grid / random / successive-halving search, in local worker processes or on a queue
  worker   take trials and ensemble members from a queue (Redis + BullMQ) and run them`;

/** Runs the `cnn-tune` command line; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const help = rest.includes('--help') || rest.includes('-h');
  if (cmd === 'search') {
    if (help) console.log(SEARCH_USAGE.replace(/^Usage: search/, 'Usage: cnn-tune search'));
    else await runSearchCli(rest);
    return 0;
  }
  if (cmd === 'worker') {
    if (help) console.log(WORKER_USAGE.replace(/^Usage: worker/, 'Usage: cnn-tune worker'));
    else await runWorkerCli(rest);
    return 0;
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd === undefined ? 1 : 0;
  }
  console.error(`cnn-tune: unknown command '${cmd}'\n${USAGE}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
