import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { exitCodeOf, SIGNAL_EXIT_CODES } from '../exit-codes.js';
import type { CliContext } from '../main.js';

export function registerLocal(program: Command, ctx: CliContext): void {
  program
    .command('local')
    .description('start an emulated AWS organization (moto) and run the whole pipeline against it')
    .option(
      '--keep-running',
      'keep the emulator and the handler runtime up after the run (Ctrl-C stops them)',
    )
    .option('--verbose', "stream each step's own output instead of one summary line per step")
    .option('--port <port>', 'port of the emulator (default: a free one)', (v) => Number.parseInt(v, 10))
    .option(
      '--report <file>',
      'where to write the HTML report (default: in the run folder, printed at the end)',
    )
    .action(
      async (
        options: { keepRunning?: boolean; port?: number; verbose?: boolean; report?: string },
        cmd: Command,
      ) => {
        const { runLocal } = await import('../../local/local.js');
        const globals = cmd.optsWithGlobals() as { config?: string };
        // `-c` given: that directory, which must hold accounts.yml. Not given: the current
        // directory when it is a config repository, else the bundled examples.
        const explicit = cmd.parent?.getOptionValueSource('config') === 'cli';
        const configDir =
          explicit || (globals.config && existsSync(join(globals.config, 'accounts.yml')))
            ? globals.config
            : undefined;
        const outcome = await runLocal(ctx.io, {
          ...(configDir ? { configDir } : {}),
          ...(options.keepRunning ? { keepRunning: true } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.verbose ? { verbose: true } : {}),
          ...(options.report ? { reportFile: options.report } : {}),
          // A second Ctrl-C while the first one's shutdown runs: leave now.
          onSecondSignal: (signal) => process.exit(SIGNAL_EXIT_CODES[signal]),
        });
        ctx.exitCode = exitCodeOf(outcome);
        const interrupted = outcome === 'SIGINT' || outcome === 'SIGTERM';
        // The emulator is stopped; a step the signal cut short may still hold a timer or a
        // socket for a moment. Do not let it keep the process (and the terminal) waiting.
        if (interrupted) setTimeout(() => process.exit(ctx.exitCode), 2_000).unref();
      },
    );
}
