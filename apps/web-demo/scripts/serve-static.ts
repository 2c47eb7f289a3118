/** `pnpm --filter @cnn/app-web-demo start [-- --port 8081]`: builds the demo and serves dist/ on 127.0.0.1. */
import { parseArgs } from 'node:util';
import { serveStatic } from '../src/static-server.js';
import { buildDemo } from './build.js';

const args = process.argv.slice(2);
const { values } = parseArgs({ args: args[0] === '--' ? args.slice(1) : args, options: { port: { type: 'string', default: '8081' } } });
const { url } = await serveStatic(await buildDemo(), Number(values.port));
console.log(`web demo on ${url}/ (Ctrl-C to stop)`);
