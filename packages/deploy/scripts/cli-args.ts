import * as path from 'node:path';

/** process.argv without a leading `--` (pnpm passes it through from `pnpm serve -- --model DIR`). */
export function cliArgs(): string[] {
  const args = process.argv.slice(2);
  return args[0] === '--' ? args.slice(1) : args;
}

/** Resolves a user path against the directory pnpm was started from (INIT_CWD), not the package folder. */
export function userPath(p: string): string {
  return path.resolve(process.env['INIT_CWD'] ?? process.cwd(), p);
}
