#!/usr/bin/env node
import { createRequire } from 'node:module';
import { registerSearch } from './commands/search.js';
import { registerWorker } from './commands/worker.js';
import { createProgram, runProgram } from './program.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = createProgram(version, [registerSearch, registerWorker]);
process.exitCode = await runProgram(program, process.argv.slice(2));
