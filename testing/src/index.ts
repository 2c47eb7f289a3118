/**
 * Test and profiling helpers shared by the workspace's packages (a private package: devDependency `"@cnn/testing":
 * "workspace:*"`, never published, imported only by `*.test.ts` files and dev tools such as the benchmarks).
 *
 * @packageDocumentation
 */
export { NoSyncReadBackend, useNoSyncReadBackend } from './no-sync-backend.js';
export { shapeKey, timeKernels, type KernelCallListener } from './kernel-timer.js';
