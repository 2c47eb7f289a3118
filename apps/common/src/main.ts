import { UsageError } from './flags.js';

/**
 * Runs an app's `main` as a command: exit status 0 on success, 2 with the message for a
 * {@link UsageError} (bad command line), 1 with the message for any other error.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
