/**
 * Test helpers shared by the workspace's packages (a private package: devDependency `"@cnn/testing":
 * "workspace:*"`, never published, imported only by `*.test.ts` files).
 *
 * @packageDocumentation
 */
export { NoSyncReadBackend, useNoSyncReadBackend } from './no-sync-backend.js';
