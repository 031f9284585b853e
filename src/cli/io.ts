/**
 * The CLI's only door to the terminal. Library code never prints: it returns data or emits
 * messages, and the CLI decides how they look (TTY, NO_COLOR, --json).
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
  readonly interactive: boolean;
}

export function processIo(): CliIo {
  const interactive = Boolean(process.stdout.isTTY) && !process.env.CI;
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: interactive && !process.env.NO_COLOR,
    interactive,
  };
}

/** Captures output; used by tests that drive the CLI in-process. */
export function memoryIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    color: false,
    interactive: false,
  };
}
