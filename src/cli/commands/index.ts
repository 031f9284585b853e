import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { registerLocal } from './local.js';

/**
 * One module per command under `src/cli/commands/`, each exporting `register(program, ctx)`.
 * Add a line here per command.
 */
type Register = (program: Command, ctx: CliContext) => void;

const registrations: Register[] = [registerLocal];

export function registerCommands(program: Command, ctx: CliContext): void {
  for (const register of registrations) register(program, ctx);
}
