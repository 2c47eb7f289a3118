#!/usr/bin/env node
// Prints the WebGPU adapter the `webgpu` backend would use, as one JSON line, and checks it.
//   node scripts/webgpu-adapter.mjs [--require-hardware] [--vendor NAME]
// Exit 0 when an adapter is found (and, with the flags, it is a hardware one whose vendor/description names
// NAME); 1 with the reason on stderr otherwise. Needs the package built (dist/) and the optional peers
// `webgpu` and `@tensorflow/tfjs-backend-webgpu` installed.
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'require-hardware': { type: 'boolean', default: false }, vendor: { type: 'string' } } });
const { describeAdapter, disposeWebGpu, initWebGpu } = await import('../dist/index.js');
try {
  const adapter = await initWebGpu({ requireHardware: values['require-hardware'] });
  console.log(JSON.stringify({ adapter, described: describeAdapter(adapter) }));
  const vendor = values.vendor?.toLowerCase();
  if (vendor && ![adapter.vendor, adapter.device, adapter.description].join(' ').toLowerCase().includes(vendor)) {
    console.error(`webgpu-adapter: the adapter is not a ${values.vendor} one: ${describeAdapter(adapter)}`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`webgpu-adapter: ${error instanceof Error ? `${error.message} (${error.code ?? 'no code'})` : String(error)}`);
  process.exitCode = 1;
} finally {
  disposeWebGpu();
}
