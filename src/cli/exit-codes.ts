import type { StopSignal } from '../local/local-session.js';
import type { Outcome } from '../pipeline/output.js';

/**
 * Exit codes of every command (0 nothing to do or done, 2 changes pending, 1 error), the
 * convention of `terraform plan -detailed-exitcode`; actions and use cases return an Outcome and
 * only the CLI turns it into one of these (docs/architecture.md, "Commands").
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES_PENDING = 2;

/** Shell convention for a process stopped by a signal: 128 + the signal's number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

const OUTCOME_EXIT_CODES: Readonly<Record<Outcome, number>> = {
  done: EXIT_OK,
  pending: EXIT_CHANGES_PENDING,
  failed: EXIT_ERROR,
};

export function exitCodeOf(outcome: Outcome | StopSignal): number {
  return outcome === 'SIGINT' || outcome === 'SIGTERM'
    ? SIGNAL_EXIT_CODES[outcome]
    : OUTCOME_EXIT_CODES[outcome];
}
