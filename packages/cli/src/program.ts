import { Command, CommanderError } from 'commander';
import { UsageError, exitCodeOf } from './errors.js';

/** A subcommand module: adds its command (options, help, action) to the program. */
export type RegisterCommand = (program: Command) => void;

/**
 * The `cnn` program: global `--version` / `--help`, and each subcommand added by one {@link RegisterCommand}
 * (`src/commands/*.ts`). Commander's own usage errors (unknown option, missing argument, …) and every
 * {@link UsageError} exit 2, other failures exit 1; each prints one line `error: MESSAGE` on stderr.
 *
 * @param version - Printed by `cnn --version`.
 * @param commands - The subcommands to register, in help order.
 */
export function createProgram(version: string, commands: RegisterCommand[]): Command {
  const program = new Command('cnn')
    .description('Train, evaluate, explain and serve CNN image classifiers (the @cnn toolkit)')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride();
  // Commander prints its own usage errors as `error: …`; keep that wording for ours too.
  program.configureOutput({ outputError: (str, write) => write(str) });
  for (const register of commands) register(program);
  return program;
}

/**
 * Runs `program` on `argv` (user arguments, without `node` and the script) and resolves to the exit status:
 * 0 on success or `--help`/`--version`, 2 for a usage error, 1 for any other failure (message on stderr).
 */
export async function runProgram(program: Command, argv: string[], stderr: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0 (already printed); commander has printed its error line
      return err.exitCode === 0 ? 0 : 2;
    }
    stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    return exitCodeOf(err);
  }
}

export { UsageError };
