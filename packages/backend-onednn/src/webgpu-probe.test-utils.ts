// Test helper: under CI (CI set and not "false"/"0") a WebGPU adapter must be reachable: the webgpu tests fail
// instead of skipping, so a runner without the software adapter cannot pass them silently.
export { probeWebGpu } from './webgpu.js';

/** True when CI demands the webgpu tests run. */
export const WEBGPU_REQUIRED = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
