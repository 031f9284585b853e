import { describe, expect, it } from 'vitest';
import { type CliIo, memoryIo, progressIo } from '../../../src/cli/io.js';
import type { StepMessage } from '../../../src/pipeline/output.js';

const step = (over: Partial<StepMessage>): StepMessage => ({
  type: 'step',
  step: 'create-account',
  target: 'member-00001',
  status: 'done',
  ...over,
});

/** A terminal as the CLI sees it: text lines plus the one status line shown in place. */
function terminal(): CliIo & { stdout: string[]; statuses: (string | undefined)[] } {
  const io = memoryIo();
  const statuses: (string | undefined)[] = [];
  return { ...io, interactive: true, status: (line) => statuses.push(line), statuses };
}

describe('the human view of run', () => {
  it('shows progress in place on a terminal: steps so far, by status, and the last one', () => {
    const io = terminal();
    const output = progressIo(io);
    output.emit?.(step({ account: '111111111111', durationMs: 1234 }));
    output.emit?.(step({ target: 'member-00002', status: 'unchanged' }));
    output.emit?.(step({ step: 'deploy-stack', target: 'orgbridge-vpc', status: 'failed' }));
    expect(io.statuses).toEqual([
      '1 steps: 1 done · last: create-account member-00001 in 111111111111 done (1.2 s)',
      '2 steps: 1 done, 1 unchanged · last: create-account member-00002 unchanged',
      '3 steps: 1 done, 1 unchanged, 1 failed · last: deploy-stack orgbridge-vpc failed',
    ]);
    // The text the steps print still reaches the terminal.
    output.out('created member-00001');
    expect(io.stdout).toEqual(['created member-00001']);
  });

  it('clears the progress line when the run ends', () => {
    const io = terminal();
    const output = progressIo(io);
    output.emit?.(step({}));
    output.emit?.({
      type: 'result',
      action: 'pipeline',
      execute: true,
      outcome: 'done',
      exitCode: 0,
      durationMs: 10,
      calls: 3,
    });
    expect(io.statuses.at(-1)).toBeUndefined();
  });

  it('prints the text alone where nothing can be shown in place (CI logs, pipes)', () => {
    const io = memoryIo();
    expect(progressIo(io)).toBe(io);
    expect(progressIo(io).emit).toBeUndefined();
  });
});
