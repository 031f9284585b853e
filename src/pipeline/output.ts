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
 * Exit codes of every command and action (0 nothing to do, 2 changes pending, 1 error), the
 * convention of `terraform plan -detailed-exitcode`. Actions return them, so they live here, below
 * the CLI that passes them on to the shell.
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES_PENDING = 2;
