// Hyperparameter search CLI: tsx scripts/search.ts --trial <worker.ts> --out <dir> [--strategy grid|random|halving] [--parallel N] …
// Run with --help for every flag. Re-running the same command resumes: finished trials are not re-run.
import { runSearchCli, SEARCH_USAGE } from '../src/search/cli';

if (process.argv.includes('--help')) {
  console.log(SEARCH_USAGE);
} else {
  runSearchCli(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
