/**
 * `pnpm mnist -- [flags]`: the chapter's MNIST project — exactly `cnn train mnist [flags]` (the `cnn` command of
 * `@cnn/cli`; `pnpm mnist -- --help` lists the flags). The program behind it is `trainClassifier`; see `train.ts`
 * for the same run as a program you edit.
 */
import { createRequire } from 'node:module';
import { createProgram, registerTrain, runProgram } from '@cnn/cli';

// pnpm runs this script in the app's folder; paths on the command line are relative to where the user ran pnpm.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = createProgram(version, [registerTrain]);
process.exitCode = await runProgram(program, ['train', 'mnist', ...process.argv.slice(2).filter((a) => a !== '--')]);
