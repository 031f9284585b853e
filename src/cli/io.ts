import type { Output, RunMessage, StepMessage } from '../pipeline/output.js';

/**
 * The CLI's only door to the terminal. Library code never prints: it returns data or emits
 * messages, and the CLI decides how they look (TTY, NO_COLOR, --json).
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
  readonly interactive: boolean;
  /**
   * Shows one line of progress in place (a TTY only), replaced by the next status and cleared
   * before any other output; `undefined` clears it.
   */
  status?(line: string | undefined): void;
}

const CLEAR_LINE = '\r\x1b[2K';

export function processIo(): CliIo {
  const interactive = Boolean(process.stdout.isTTY) && !process.env.CI;
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write(CLEAR_LINE);
    shown = false;
  };
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    out: (text) => {
      clear();
      process.stdout.write(line(text));
    },
    err: (text) => {
      clear();
      process.stderr.write(line(text));
    },
    color: interactive && !process.env.NO_COLOR,
    interactive,
    ...(interactive
      ? {
          status: (text: string | undefined) => {
            clear();
            if (text === undefined) return;
            // Longer than the terminal, the line would wrap and the next \r could not erase it.
            const width = Math.max(20, (process.stderr.columns ?? 80) - 1);
            process.stderr.write(text.length > width ? `${text.slice(0, width - 1)}…` : text);
            shown = true;
          },
        }
      : {}),
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

/**
 * The human view of `run`: the text the steps print, plus, on a terminal, one line of progress
 * built from the coded step messages (how many steps ended, how, and the last one), so a run of
 * hundreds of steps shows it is moving. In CI logs (not interactive) the text alone is printed.
 */
export function progressIo(io: CliIo): Output {
  const status = io.status;
  if (!io.interactive || !status) return io;
  const counts = new Map<StepMessage['status'], number>();
  let steps = 0;
  const emit = (message: RunMessage) => {
    if (message.type === 'result') {
      status.call(io, undefined);
      return;
    }
    steps += 1;
    counts.set(message.status, (counts.get(message.status) ?? 0) + 1);
    status.call(io, progressLine(steps, counts, message));
  };
  return { out: (t) => io.out(t), err: (t) => io.err(t), emit, color: io.color, interactive: true };
}

function progressLine(
  steps: number,
  counts: ReadonlyMap<StepMessage['status'], number>,
  last: StepMessage,
): string {
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  const where = last.account ? ` in ${last.account}` : '';
  const took = last.durationMs === undefined ? '' : ` (${(last.durationMs / 1000).toFixed(1)} s)`;
  return `${steps} steps: ${tally} · last: ${last.step} ${last.target}${where} ${last.status}${took}`;
}
