/**
 * `pnpm cifar10 -- [flags]`: the chapter's CIFAR-10 project and the fast airbench94 recipe (`--recipe fast`) —
 * exactly `cnn train cifar10 [flags]` (the `cnn` command of `@cnn/cli`; `pnpm cifar10 -- --help` lists the flags).
 *
 * The data: `--data-dir DIR` when given; else this workspace's lossless archive `../shared/datasets/cifar10-binary.tar.gz`
 * beside the checkout when present (passed as `CNN_CIFAR10_BINARY_ARCHIVE`, extracted once to the data cache);
 * else the official binary download (MD5-checked).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProgram, registerTrain, runProgram } from '@cnn/cli';

const shared = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets/cifar10-binary.tar.gz');
if (process.env.CNN_CIFAR10_BINARY_ARCHIVE === undefined && existsSync(shared)) process.env.CNN_CIFAR10_BINARY_ARCHIVE = shared;
// pnpm runs this script in the app's folder; paths on the command line are relative to where the user ran pnpm.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = createProgram(version, [registerTrain]);
process.exitCode = await runProgram(program, ['train', 'cifar10', ...process.argv.slice(2).filter((a) => a !== '--')]);
