import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';
import {
  createRunFiles,
  finishRunFiles,
  Interruption,
  StepProgress,
} from '../../../src/local/local-session.js';

describe("a local run's files", () => {
  const fill = () => {
    const files = createRunFiles();
    writeFileSync(join(files.stateDir, 'pipeline-state.json'), '{}');
    writeFileSync(join(files.motoLogDir, 'moto.log'), 'log');
    writeFileSync(files.reportFile, '<html>');
    return files;
  };

  it('a run that ended well keeps only its report', () => {
    const files = fill();
    expect(finishRunFiles(files, 'ok')).toEqual(["removed the run's temporary state and the emulator's log"]);
    expect([existsSync(files.stateDir), existsSync(files.motoLogDir), existsSync(files.reportFile)]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('a failed run keeps the state and the log and says where they are', () => {
    const files = fill();
    const lines = finishRunFiles(files, 'failed');
    expect(lines[0]).toBe(
      `kept for a look: the emulator's log in ${files.motoLogDir}, the pipeline state in ${files.stateDir}`,
    );
    expect(existsSync(join(files.motoLogDir, 'moto.log'))).toBe(true);
    expect(existsSync(join(files.stateDir, 'pipeline-state.json'))).toBe(true);
  });

  it('with --report elsewhere, nothing of the run folder is left', () => {
    const report = join(mkdtempSync(join(tmpdir(), 'orgbridge-report-')), 'r.html');
    const files = createRunFiles(report);
    writeFileSync(report, '<html>');
    finishRunFiles(files, 'interrupted');
    expect(existsSync(files.root)).toBe(false);
    expect(existsSync(report)).toBe(true);
  });
});

describe('signals', () => {
  it('the first stops the run, a second calls for an immediate exit; listeners go with the run', () => {
    const source = new EventEmitter();
    const first: string[] = [];
    const second: string[] = [];
    const interruption = new Interruption(
      source,
      (s) => first.push(s),
      (s) => second.push(s),
    );
    source.emit('SIGTERM');
    source.emit('SIGINT');
    expect(first).toEqual(['SIGTERM']);
    expect(second).toEqual(['SIGINT']);
    expect(interruption.signal).toBe('SIGTERM');
    expect(exitCodeOf(interruption.signal as 'SIGTERM')).toBe(143);
    interruption.dispose();
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('step progress', () => {
  it('counts [n/m] lines, stacks deployed and events handled since the step began', () => {
    let events = 10;
    const progress = new StepProgress(() => events);
    progress.begin();
    expect(progress.describe()).toBeUndefined();
    progress.line('[3/12] create-account app: ...');
    progress.line('created orgbridge-bus in cicd\nunchanged orgbridge-handlers in dns');
    events = 14;
    expect(progress.describe()).toBe('3/12 done, 2 stacks deployed, 4 events handled');
    progress.begin();
    expect(progress.describe()).toBeUndefined();
  });
});
