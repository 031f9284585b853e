import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerLocal(program: Command, ctx: CliContext): void {
  program
    .command('local')
    .description('start an emulated AWS organization (moto) and run the whole pipeline against it')
    .option('--keep-running', 'keep the emulator and the handler runtime up after the run')
    .option('--verbose', "stream each step's own output instead of one summary line per step")
    .option('--port <port>', 'port of the emulator (default: a free one)', (v) => Number.parseInt(v, 10))
    .action(async (options: { keepRunning?: boolean; port?: number; verbose?: boolean }, cmd: Command) => {
      const { runLocal } = await import('../../pipeline/local.js');
      const globals = cmd.optsWithGlobals() as { config?: string };
      ctx.exitCode = await runLocal(ctx.io, {
        ...(globals.config ? { configDir: globals.config } : {}),
        ...(options.keepRunning ? { keepRunning: true } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.verbose ? { verbose: true } : {}),
      });
    });
}
