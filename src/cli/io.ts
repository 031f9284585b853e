import type { Output } from '../pipeline/output.js';

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

/**
 * `--json`: stdout carries only the coded messages, one JSON object per line, for scripts and
 * CI; every line meant for people goes to stderr.
 */
export function jsonLinesIo(io: CliIo): CliIo & Required<Pick<Output, 'emit'>> {
  return {
    out: (text) => io.err(text),
    err: (text) => io.err(text),
    emit: (message) => io.out(JSON.stringify(message)),
    color: false,
    interactive: false,
  };
}
