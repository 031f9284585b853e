import type { ResolvedConfig } from '../config/model.js';
import type { Outcome, Output } from './output.js';

/**
 * `orgbridge run --action <name> [--execute]`, the EventBridge design's CLI: every parameter of an action is
 * defined in code (config directory and environment), and the only flag is `--execute`, which
 * turns the default dry run into real changes.
 */
export interface ActionContext {
  /** The config repository (the CLI's `-c`). */
  readonly configDir: string;
  readonly execute: boolean;
  /**
   * `--allow-mass-change`: a policy sync that deletes or detaches most or all managed policies,
   * or an account sync that retires most or all managed accounts, is intended (src/plan/blast-radius.ts).
   */
  readonly allowMassChange?: boolean;
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  /** The clock, read once per run by the action (pure code below never reads it). */
  readonly now: () => Date;
  /** The config, when an action running others has loaded it already (`sync`). */
  readonly config?: ResolvedConfig;
}

export interface PipelineAction {
  /** Returns how it ended (done, changes pending on a dry run, failed); the CLI maps it to an exit code. */
  run(context: ActionContext): Promise<Outcome>;
}

/** An action of the registry: what `run --help` says of it, and its module, loaded on use. */
export interface RegisteredAction {
  readonly summary: string;
  /** Whose credentials it runs with (docs/deploy.md, "Credentials"), said when none are found. */
  readonly credentials: string;
  readonly load: () => Promise<PipelineAction>;
}

/**
 * The action registry. To add an action, write `src/pipeline/actions/<name>.ts` exporting a
 * PipelineAction and add one entry here; modules load lazily so the CLI (and its help) starts
 * fast.
 */
export const ACTIONS: Readonly<Record<string, RegisteredAction>> = {
  'sync-accounts': {
    credentials: "the cicd account (the CI runner's role; the management account before the bootstrap)",
    summary: 'make the accounts and OUs of the organization match accounts.yml',
    load: async () => (await import('./actions/sync-accounts.js')).syncAccountsAction,
  },
  pipeline: {
    credentials: "the cicd account (the CI runner's role)",
    summary:
      'provision new and changed accounts: SSM parameters, access roles, identity mapping, VPC, logs, DNS zones',
    load: async () => (await import('./actions/pipeline.js')).pipelineAction,
  },
  'upload-lambdas': {
    credentials: "the cicd account (the CI runner's role; the management account before the bootstrap)",
    summary: 'bundle every handler (esbuild) and upload it to the artifact bucket of each region',
    load: async () => (await import('./actions/artifacts.js')).uploadLambdasAction,
  },
  'render-templates': {
    credentials: "the cicd account (the CI runner's role; the management account before the bootstrap)",
    summary: "render the CloudFormation templates with the organization's account ids and upload them",
    load: async () => (await import('./actions/artifacts.js')).renderTemplatesAction,
  },
  bootstrap: {
    credentials: 'the management account (an administrator role there)',
    summary: 'deploy the artifact buckets, event buses, handlers and forward rules of every account',
    load: async () => (await import('./actions/artifacts.js')).bootstrapAction,
  },
  sync: {
    credentials: 'the management account (or the cicd account: accounts by event, SCPs by event)',
    summary: 'sync-accounts, then sync-policies, in one run (what a merge to main applies)',
    load: async () => (await import('./actions/sync.js')).syncAction,
  },
  'sync-policies': {
    credentials:
      "the management account (tag and backup policies; with the cicd account's credentials, SCPs only, by event)",
    summary: 'make the SCPs, tag and backup policies of each OU match policies/ (SCPs by event from cicd)',
    load: async () => (await import('./actions/sync-policies.js')).syncPoliciesAction,
  },
  customizations: {
    credentials: "the cicd account (the CI runner's role)",
    summary:
      "deploy the user's stacks (stacks/<name>/) to every account and region the DSL selects; delete the ones no longer wanted",
    load: async () => (await import('./actions/customizations.js')).customizationsAction,
  },
  'iam-settings': {
    credentials: "the cicd account (the CI runner's role)",
    summary:
      "compare every account's IAM alias and password policy with the DSL; with --execute, put back what differs",
    load: async () => (await import('./actions/iam-settings.js')).iamSettingsAction,
  },
  'sync-ecr': {
    credentials: "the cicd account (the CI runner's role)",
    summary: 'deploy the ECR repositories of ecr.yml with their lifecycle and pull policies (cicd account)',
    load: async () => (await import('./actions/sync-ecr.js')).syncEcrAction,
  },
};

export function actionNames(): string[] {
  return Object.keys(ACTIONS).sort();
}
