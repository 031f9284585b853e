import type { Output } from './output.js';

/**
 * `orgbridge run --action <name> [--execute]`, the EventBridge design's CLI: every parameter of an action is
 * defined in code (config directory and environment), and the only flag is `--execute`, which
 * turns the default dry run into real changes.
 */
export interface ActionContext {
  /** The config repository (the CLI's `-c`). */
  readonly configDir: string;
  readonly execute: boolean;
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  /** The clock, read once per run by the action (pure code below never reads it). */
  readonly now: () => Date;
}

export interface PipelineAction {
  readonly description: string;
  /** Returns the exit code: 0 done / nothing to do, 2 changes pending (dry run), 1 error. */
  run(context: ActionContext): Promise<number>;
}

/**
 * The action registry. To add an action, write `src/pipeline/actions/<name>.ts` exporting a
 * PipelineAction and add one line here; modules load lazily so the CLI starts fast.
 */
export const ACTIONS: Readonly<Record<string, () => Promise<PipelineAction>>> = {
  'sync-accounts': async () => (await import('./actions/sync-accounts.js')).syncAccountsAction,
  pipeline: async () => (await import('./actions/pipeline.js')).pipelineAction,
  'upload-lambdas': async () => (await import('./actions/artifacts.js')).uploadLambdasAction,
  'render-templates': async () => (await import('./actions/artifacts.js')).renderTemplatesAction,
  bootstrap: async () => (await import('./actions/artifacts.js')).bootstrapAction,
  'sync-policies': async () => (await import('./sync-policies.js')).syncPoliciesAction,
  'sync-ecr': async () => (await import('./sync-ecr.js')).syncEcrAction,
};

export function actionNames(): string[] {
  return Object.keys(ACTIONS).sort();
}
