import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { runLocal } from '../../src/local/local.js';
import type { Output } from '../../src/pipeline/output.js';
import { accountsYaml } from '../support/provisioning.js';
import { waitFor } from '../support/wait.js';

/**
 * `orgbridge local` on a small organization (the six special accounts and one member): progress
 * while it runs, the report when it ends (also with --keep-running), its temporary files, and
 * SIGINT/SIGTERM stopping the emulator whatever the run is doing.
 */
const MOTO_DEFAULT_MANAGEMENT = '123456789012';

function smallConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orgbridge-local-config-'));
  writeFileSync(join(dir, 'accounts.yml'), accountsYaml(MOTO_DEFAULT_MANAGEMENT, '  app:\n    scope: dev\n'));
  return dir;
}

function recordingOutput(): Output & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    text: () => lines.join('\n'),
    out: (t) => lines.push(t),
    err: (t) => lines.push(t),
    interactive: false,
    color: false,
  };
}

/** True while something answers HTTP on the endpoint. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    await (await fetch(`${endpoint}/moto-api/data.json`)).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The emulator a run started, from its step summary. */
function emulatorOf(text: string): { endpoint: string; pid: number; log: string } | undefined {
  const m = text.match(/moto server on (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+), log (\S+)\)/);
  return m ? { endpoint: m[1] as string, pid: Number(m[2]), log: m[3] as string } : undefined;
}

describe('orgbridge local', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('shows progress, writes the report before --keep-running waits, and cleans up on Ctrl-C', async () => {
    const output = recordingOutput();
    const signals = new EventEmitter();
    const report = join(mkdtempSync(join(tmpdir(), 'orgbridge-local-report-')), 'report.html');
    const endpointBefore = process.env.AWS_ENDPOINT_URL;
    const environmentBefore = { ...process.env };
    const configDir = smallConfig();
    const running = runLocal(output, {
      configDir,
      keepRunning: true,
      signals,
      reportFile: report,
      progressIntervalMs: 250,
    });
    await waitFor(
      () => (output.text().includes('Press Ctrl-C to stop.') ? true : undefined),
      280_000,
      'the run',
      200,
    );
    const emulator = emulatorOf(output.text());
    expect(emulator).toBeDefined();
    // The run never points this process's environment at the emulator: each action gets its own.
    expect(process.env.AWS_ENDPOINT_URL).toBe(endpointBefore);
    expect({ ...process.env }).toEqual(environmentBefore);
    const { endpoint, pid, log } = emulator as NonNullable<typeof emulator>;
    // Counts while the steps ran, not minutes of silence.
    expect(output.lines.filter((l) => /^ {2}… \d+\/\d+ done/.test(l)).length).toBeGreaterThan(0);
    expect(output.lines.some((l) => /events? handled/.test(l) && l.startsWith('  … '))).toBe(true);
    // The report exists while the organization keeps running, and shows AWS next to the config.
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<b>Applied</b> by this run: 1 of 1 actions. Nothing to do');
    expect(html).toMatch(/<code>\d{12}<\/code>/);
    expect(html).toContain(`app-nonprod`);
    expect(await answers(endpoint)).toBe(true);
    const state = output.text().match(/ORGBRIDGE_STATE_DIR=(\S+)/)?.[1] as string;
    expect(existsSync(state)).toBe(true);
    // The operator's commands work against the running organization with the environment the
    // run prints for them: every account's DLQs, empty.
    const exported = Object.fromEntries(
      (output.text().match(/^ {2}export (.+)$/m)?.[1] ?? '').split(' ').map((kv) => kv.split('=', 2)),
    );
    expect(exported.AWS_ENDPOINT_URL).toBe(endpoint);
    const io = memoryIo();
    Object.assign(process.env, exported);
    try {
      expect(await main(['node', 'orgbridge', '-c', configDir, 'dlq', 'list'], io)).toBe(0);
    } finally {
      for (const key of Object.keys(exported)) {
        if (environmentBefore[key] === undefined) delete process.env[key];
        else process.env[key] = environmentBefore[key];
      }
    }
    expect(io.stdout.join('\n')).toMatch(/\d{12}\/orgbridge-handler-dlq +0 visible/);
    // The plan reads the pipeline's state where the run left it: nothing left to provision, and
    // an access change shows as the baselines and the identity mapping it re-deploys.
    const plan = async () => {
      const planIo = memoryIo();
      Object.assign(process.env, exported);
      try {
        const code = await main(
          ['node', 'orgbridge', '-c', configDir, 'plan', '--only', 'provisioning'],
          planIo,
        );
        return { code, text: planIo.stdout.join('\n') };
      } finally {
        for (const key of Object.keys(exported)) {
          if (environmentBefore[key] === undefined) delete process.env[key];
          else process.env[key] = environmentBefore[key];
        }
      }
    };
    const unchanged = await plan();
    expect(unchanged.text).toMatch(/^Provisioning: no changes \(\d+ step\(s\) done\)/m);
    expect(unchanged.code).toBe(0);
    const accountsFile = join(configDir, 'accounts.yml');
    writeFileSync(
      accountsFile,
      readFileSync(accountsFile, 'utf8').replace(/^( +)access:\n/m, '$1access:\n$1  auditors: ReadOnly\n'),
    );
    const changed = await plan();
    expect(changed.code).toBe(2);
    expect(changed.text).toMatch(
      /~ UPDATE_IAM_MAPPING in identity \d{12}\n +changed since the last pipeline run; roles: .*orgbridge-group-auditors/,
    );
    expect(changed.text).toMatch(
      /~ access roles and backup in app \(\d{12}\)\n +changed since the last pipeline run; roles: .*ReadOnly/,
    );
    expect(io.stdout.join('\n')).toMatch(/\d{12}\/orgbridge-events-dlq /);
    expect(io.stdout.at(-1)).toMatch(/^\d+ dead-letter queues, 0 message\(s\)$/);

    signals.emit('SIGINT');
    expect(await running).toBe('done');
    expect(await answers(endpoint)).toBe(false);
    expect(alive(pid)).toBe(false);
    // The state and the log are gone, the report stays, the caller's environment untouched.
    expect(existsSync(state)).toBe(false);
    expect(existsSync(log)).toBe(false);
    expect(existsSync(report)).toBe(true);
    expect(output.text()).toContain("removed the run's temporary state and the emulator's log");
    expect(process.env.AWS_ENDPOINT_URL).toBe(endpointBefore);
  }, 300_000);

  it('provisions the `orgbridge init` scaffold end to end (no access groups: an identity mapping with no role)', async () => {
    const configDir = join(mkdtempSync(join(tmpdir(), 'orgbridge-local-init-')), 'org');
    expect(await main(['node', 'orgbridge', 'init', configDir, '--offline'], memoryIo())).toBe(0);
    const output = recordingOutput();
    expect(await runLocal(output, { configDir }), output.text()).toBe('done');
    expect(output.text()).toMatch(/UPDATE_IAM_MAPPING handled +1/);
    expect(output.text()).toMatch(/provisioned: \d+ done, \d+ already done, 0 failed, 0 blocked/);
    expect(output.text()).not.toMatch(/FAILED|[1-9]\d* failed/);
  }, 300_000);

  const cli = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
  const start = (...args: string[]) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: dirname(dirname(dirname(cli))),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    proc.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
    });
    proc.stderr?.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    child = proc;
    return { proc, text: () => text, exited };
  };

  for (const [signal, mode, code] of [
    ['SIGTERM', [], 143],
    ['SIGINT', ['--verbose'], 130],
    ['SIGTERM', ['--keep-running'], 143],
  ] as const) {
    it(`${signal} in the middle of a run${mode.length ? ` (${mode.join(' ')})` : ''} stops moto and exits ${code}`, async () => {
      const run = start('-c', smallConfig(), 'local', ...mode);
      const emulator = await waitFor(() => emulatorOf(run.text()), 60_000, 'the emulator', 100);
      expect(alive(emulator.pid)).toBe(true);
      run.proc.kill(signal);
      const exitCode = await Promise.race([
        run.exited,
        new Promise<string>((r) => setTimeout(() => r('still running 20 s after the signal'), 20_000)),
      ]);
      expect(exitCode, run.text()).toBe(code);
      expect(alive(emulator.pid)).toBe(false);
      expect(await answers(emulator.endpoint)).toBe(false);
      expect(run.text()).toContain(`${signal}: stopping the handler runtime and the emulator`);
      expect(run.text()).toContain('stopped before the run ended: no report was written');
    }, 90_000);
  }
});
