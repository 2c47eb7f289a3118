export { UsageError, exitCodeOf } from './errors.js';
export { createProgram, runProgram, type RegisterCommand } from './program.js';
