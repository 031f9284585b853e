import type { ErrorCode } from '../error-codes.js';

/**
 * What a step of an action did, as data: `orgbridge run --action X --json` prints one per line
 * for scripts and CI (docs/architecture.md, "Commands"). `step` names the kind of step
 * (`create-account`, `deploy-stack`, `provision:vpc`, ...), `target` what it acted on.
 */
export interface StepMessage {
  readonly type: 'step';
  readonly step: string;
  readonly target: string;
  readonly account?: string;
  readonly region?: string;
  readonly status: 'done' | 'failed' | 'blocked' | 'skipped' | 'unchanged';
  readonly durationMs?: number;
  readonly code?: ErrorCode;
  readonly message?: string;
}

/** The last message of a run: the exit code, wall time and AWS calls of the whole action. */
export interface ResultMessage {
  readonly type: 'result';
  readonly action: string;
  readonly execute: boolean;
  readonly outcome: Outcome;
  readonly exitCode: number;
  readonly durationMs: number;
  readonly calls: number;
  readonly code?: ErrorCode;
  readonly message?: string;
}

export type RunMessage = StepMessage | ResultMessage;

/**
 * How pipeline steps talk to a person. The CLI's CliIo satisfies it; library code never writes
 * to the terminal itself (nothing under src/ but src/cli imports the CLI).
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /**
   * A coded message about a step. The human view already shows the step in text; `--json`
   * prints these instead (stdout), with the text on stderr.
   */
  emit?(message: RunMessage): void;
  /** A TTY that shows progress in place; false in CI logs (no spinners). */
  readonly interactive: boolean;
  readonly color: boolean;
}

/**
 * How an action or a use case ended: `done` (nothing to do, or everything applied), `pending` (a
 * dry run found changes to make) or `failed` (an error, or a plan with blocked items). Actions
 * return it; only the CLI turns it into an exit code (src/cli/exit-codes.ts).
 */
export type Outcome = 'done' | 'pending' | 'failed';
