/**
 * How pipeline steps talk to a person. The CLI's CliIo satisfies it; library code never writes
 * to the terminal itself (nothing under src/ but src/cli imports the CLI).
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
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
