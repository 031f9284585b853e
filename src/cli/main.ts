import { Command, CommanderError } from 'commander';
import { isOrgbridgeError } from '../errors.js';
import { EXIT_ERROR } from '../pipeline/output.js';
import { registerCommands } from './commands/index.js';
import { type CliIo, processIo } from './io.js';

/** Shared state each command's action reads: where to print, and the exit code it chose. */
export interface CliContext {
  readonly io: CliIo;
  exitCode: number;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('orgbridge')
    .description('AWS account vending machine: your AWS Organization as YAML, synced over EventBridge.')
    .option('-c, --config <dir>', 'config repository directory (holds accounts.yml)', '.')
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  registerCommands(program, ctx);
  return program;
}

/** Runs the CLI and returns the exit code; never calls process.exit (testable in-process). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_ERROR;
    if (isOrgbridgeError(e)) {
      io.err(e.format());
      if (program.opts().debug && e.cause) io.err(String((e.cause as Error).stack ?? e.cause));
      return EXIT_ERROR;
    }
    const err = e as Error;
    io.err(`unexpected error: ${err.message ?? String(e)}`);
    if (program.opts().debug) io.err(String(err.stack));
    else io.err('  (run with --debug for the stack trace)');
    return EXIT_ERROR;
  }
}
