#!/usr/bin/env node
import { createRequire } from 'node:module';
import { registerExport } from './commands/export.js';
import { registerPredict } from './commands/predict.js';
import { registerReport } from './commands/report.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';
import { createProgram, runProgram } from './program.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = createProgram(version, [registerTrain, registerPredict, registerServe, registerReport, registerExport, registerSearch, registerWorker]);
process.exitCode = await runProgram(program, process.argv.slice(2));
