import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Output } from '../pipeline/output.js';

/**
 * The plumbing of one `orgbridge local` run: where its temporary files live and what is left
 * after it, what a signal does, and the progress shown while a step runs.
 */

/** The signals that stop a local run: Ctrl-C in a terminal, `kill` or a CI runner's cancel. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

/**
 * Listens for SIGINT and SIGTERM from the start of a run to its end (not only while
 * --keep-running waits). The first signal calls `onSignal` at once (it stops the emulator, so the
 * pipeline's next AWS call fails fast) and settles `received`; a second one calls
 * `onSecondSignal` (the CLI exits without waiting any longer).
 */
export class Interruption {
  signal: StopSignal | undefined;
  readonly received: Promise<StopSignal>;
  private readonly listeners: [StopSignal, () => void][] = [];

  constructor(
    private readonly source: SignalSource,
    onSignal: (signal: StopSignal) => void,
    onSecondSignal: (signal: StopSignal) => void = () => {},
  ) {
    let settle: (s: StopSignal) => void = () => {};
    this.received = new Promise((r) => {
      settle = r;
    });
    for (const name of STOP_SIGNALS) {
      const listener = () => {
        if (this.signal) {
          onSecondSignal(name);
          return;
        }
        this.signal = name;
        onSignal(name);
        settle(name);
      };
      this.listeners.push([name, listener]);
      source.on(name, listener);
    }
  }

  dispose(): void {
    for (const [name, listener] of this.listeners) this.source.off(name, listener);
  }
}

/**
 * One run's files, under one temporary folder: the pipeline's state (meaningless once the
 * emulator is gone), moto's log, and the report (unless --report puts it elsewhere).
 */
export interface RunFiles {
  readonly root: string;
  readonly stateDir: string;
  readonly motoLogDir: string;
  readonly reportFile: string;
}

export function createRunFiles(reportFile?: string): RunFiles {
  const root = mkdtempSync(join(tmpdir(), 'orgbridge-local-'));
  const files = {
    root,
    stateDir: join(root, 'state'),
    motoLogDir: join(root, 'emulator'),
    reportFile: reportFile ? resolve(reportFile) : join(root, 'report.html'),
  };
  mkdirSync(files.stateDir, { recursive: true });
  mkdirSync(files.motoLogDir, { recursive: true });
  mkdirSync(dirname(files.reportFile), { recursive: true });
  return files;
}

/**
 * After a run: a run that ended well (or was stopped on purpose) leaves only its report; a
 * failed run keeps the state and the emulator log for a look, and says where they are.
 * Returns the lines to print.
 */
export function finishRunFiles(files: RunFiles, outcome: 'ok' | 'failed' | 'interrupted'): string[] {
  if (outcome === 'failed') {
    return [
      `kept for a look: the emulator's log in ${files.motoLogDir}, the pipeline state in ${files.stateDir}`,
      `  (delete ${files.root} when done)`,
    ];
  }
  rmSync(files.stateDir, { recursive: true, force: true });
  rmSync(files.motoLogDir, { recursive: true, force: true });
  if (!files.reportFile.startsWith(`${files.root}/`)) rmSync(files.root, { recursive: true, force: true });
  return ["removed the run's temporary state and the emulator's log"];
}

/**
 * Counts of what a running step has done, read from its output lines and from the handler
 * runtime: `[3/12]` lines (account actions, pipeline steps), stacks deployed, events handled.
 */
export class StepProgress {
  private done = 0;
  private total = 0;
  private stacks = 0;
  private eventsAtStart = 0;

  constructor(private readonly events: () => number) {}

  begin(): void {
    this.done = 0;
    this.total = 0;
    this.stacks = 0;
    this.eventsAtStart = this.events();
  }

  line(text: string): void {
    for (const l of text.split('\n')) {
      const counted = l.match(/^\[(\d+)\/(\d+)\]/);
      if (counted) {
        this.done = Number(counted[1]);
        this.total = Number(counted[2]);
      } else if (/^(created|updated|unchanged) /.test(l)) this.stacks++;
    }
  }

  /** `12/73 done, 40 events handled`, or undefined while nothing is counted. */
  describe(): string | undefined {
    const events = this.events() - this.eventsAtStart;
    const parts = [
      this.total ? `${this.done}/${this.total} done` : '',
      this.stacks ? `${this.stacks} stack${this.stacks === 1 ? '' : 's'} deployed` : '',
      events ? `${events} event${events === 1 ? '' : 's'} handled` : '',
    ].filter(Boolean);
    return parts.length ? parts.join(', ') : undefined;
  }
}

/** How often a running step reports its counts (only when they changed). */
export const PROGRESS_INTERVAL_MS = { interactive: 2_000, log: 5_000 } as const;

/** Records how long each step took and what it did, with its counts while it runs. */
export class Steps {
  readonly records: { readonly name: string; readonly ms: number; readonly summary: string }[] = [];

  constructor(
    private readonly output: Output,
    readonly progress: StepProgress,
    private readonly intervalMs: number,
  ) {}

  async run<T>(name: string, fn: () => Promise<T>, summarize: (value: T) => string): Promise<T> {
    this.output.err(`▶ ${name}`);
    const started = performance.now();
    this.progress.begin();
    let last: string | undefined;
    const timer = setInterval(() => {
      const counts = this.progress.describe();
      if (counts === undefined || counts === last) return;
      last = counts;
      this.output.err(`  … ${counts} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }, this.intervalMs);
    timer.unref();
    let value: T;
    try {
      value = await fn();
    } finally {
      clearInterval(timer);
    }
    const record = { name, ms: performance.now() - started, summary: summarize(value) };
    this.records.push(record);
    this.output.err(`  ✓ ${record.summary} (${(record.ms / 1000).toFixed(1)} s)`);
    return value;
  }
}
