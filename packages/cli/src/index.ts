export { UsageError, exitCodeOf } from './errors.js';
export { createProgram, runProgram, type RegisterCommand } from './program.js';
export { predictFiles, registerPredict, type ClassProbability, type FilePrediction } from './commands/predict.js';
export { serveModel, registerServe, type ServeModelOptions, type ServedModel } from './commands/serve.js';
export { registerReport } from './commands/report.js';
export { registerExport } from './commands/export.js';
export { loadModelDir } from './commands/common.js';
