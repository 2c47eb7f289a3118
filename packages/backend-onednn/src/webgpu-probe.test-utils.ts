// Test helper: is a WebGPU adapter reachable here? Under CI (CI set and not "false"/"0") one must be: the
// webgpu tests fail instead of skipping, so a runner without the software adapter cannot pass them silently.
import { disposeWebGpu, initWebGpu, WebGpuUnavailableError } from './webgpu.js';

/** True when CI demands the webgpu tests run. */
export const WEBGPU_REQUIRED = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

/** `null` when an adapter was found (and released again), else why not (the error's message). */
export async function probeWebGpu(): Promise<string | null> {
  try {
    await initWebGpu();
    return null;
  } catch (error) {
    if (WebGpuUnavailableError.isInstance(error) && (error.code === 'ERR_CNN_WEBGPU_NO_ADAPTER' || error.code === 'ERR_CNN_WEBGPU_NOT_INSTALLED'))
      return error.message;
    throw error;
  } finally {
    disposeWebGpu();
  }
}
