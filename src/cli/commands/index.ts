import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { registerAccounts } from './accounts.js';
import { registerCompletion } from './completion.js';
import { registerDlq } from './dlq.js';
import { registerDoctor } from './doctor.js';
import { registerEffectivePolicy } from './effective-policy.js';
import { registerEvents } from './events.js';
import { registerExplain } from './explain.js';
import { registerImport } from './import.js';
import { registerInit } from './init.js';
import { registerLocal } from './local.js';
import { registerPlan } from './plan.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerSchema } from './schema.js';
import { registerScp } from './scp.js';
import { registerSynth } from './synth.js';
import { registerTrace } from './trace.js';
import { registerValidate } from './validate.js';

/**
 * One module per command under `src/cli/commands/`, each exporting `register(program, ctx)`.
 * Add a line here per command.
 */
type Register = (program: Command, ctx: CliContext) => void;

const registrations: Register[] = [
  registerInit,
  registerValidate,
  registerAccounts,
  registerExplain,
  registerSchema,
  registerLocal,
  registerReport,
  registerPlan,
  registerRun,
  registerSynth,
  registerEffectivePolicy,
  registerScp,
  registerImport,
  registerDoctor,
  registerDlq,
  registerTrace,
  registerEvents,
  registerCompletion,
];

export function registerCommands(program: Command, ctx: CliContext): void {
  for (const register of registrations) register(program, ctx);
}
