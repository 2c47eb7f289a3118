#!/usr/bin/env node
import { createRequire } from 'node:module';
import { registerTrain } from './commands/train.js';
import { createProgram, runProgram } from './program.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = createProgram(version, [registerTrain]);
process.exitCode = await runProgram(program, process.argv.slice(2));
