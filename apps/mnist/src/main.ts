import { runMain } from '@cnn/app-common';
import { parseFlags, USAGE } from './cli.js';
import { runMnist } from './run.js';

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) console.log(USAGE);
  else await runMnist(flags);
});
