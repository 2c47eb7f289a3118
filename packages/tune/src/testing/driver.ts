// Test helper (not exported): runs `search` or `worker` of @cnn/tune in its own process, as the `cnn search` /
// `cnn worker` commands of @cnn/cli do (tune's tests cannot depend on @cnn/cli, which depends on tune).
//   node --import tsx src/testing/driver.ts worker '{"queue":"redis://…","trialDir":"…"}'
//   node --import tsx src/testing/driver.ts search '{"trialScript":"…","outDir":"…","space":{…}}'
// Exit status: 0, or 1 with the error's code and message on stderr (and for a search whose every trial failed).
import { runQueueWorker } from '../queue/worker.js';
import { runSearch } from '../search/runner.js';

const [cmd, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}');
try {
  if (cmd === 'worker') {
    if ((await runQueueWorker(opts)) === 'cut') process.exit(0); // as `cnn worker` does
  } else if (cmd === 'search') {
    const s = await runSearch(opts);
    if (!s.best && s.results.trials.length > 0) process.exitCode = 1;
  } else throw new Error(`driver: unknown command ${cmd}`);
} catch (err) {
  console.error(`error ${(err as { code?: string }).code}: ${(err as Error).message}`);
  process.exitCode = 1;
}
