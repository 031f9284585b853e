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
