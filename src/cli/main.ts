import { Command, CommanderError } from 'commander';
import { didYouMean } from '../config/did-you-mean.js';
import { isOrgbridgeError, OrgbridgeError } from '../errors.js';
import { packageVersion } from '../version.js';
import { registerCommands } from './commands/index.js';
import { credentialsNeeded } from './credentials.js';
import { EXIT_ERROR } from './exit-codes.js';
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
    .version(packageVersion(), '-V, --version', 'print the version of orgbridge')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  registerCommands(program, ctx);
  return program;
}

/**
 * Refuses `orgbridge <unknown> ...` and `orgbridge help <unknown>` before commander sees them:
 * commander answers `orgbridge <unknown> --help` with the main help and exit 0, which hides a
 * typo from scripts. Global options (`-c <dir>`, `--debug`) may come first.
 */
function checkCommand(program: Command, args: readonly string[]): void {
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') i++;
    else if (arg === '--') break;
    else if (!arg.startsWith('-')) operands.push(arg);
    else if (operands.length === 0) continue;
    else break;
  }
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const [first, second] = operands;
  const name = first === 'help' ? second : first;
  if (name === undefined || names.includes(name)) return;
  const guess = didYouMean(name, names);
  throw new OrgbridgeError(
    'CLI_UNKNOWN_COMMAND',
    `unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''}`,
    { hint: `commands: ${names.filter((n) => n !== 'help').join(', ')} (orgbridge --help)` },
  );
}

/** Runs the CLI and returns the exit code; never calls process.exit (testable in-process). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    checkCommand(program, argv.slice(2));
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_ERROR;
    if (isOrgbridgeError(e)) {
      io.err(e.format());
      const need = e.code === 'AWS_CREDENTIALS_MISSING' ? credentialsNeeded(argv.slice(2)) : undefined;
      if (need) io.err(`  ${need}`);
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
