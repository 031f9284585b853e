import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMotoInstalled, probeMoto, startMoto } from '../../../src/aws/emulator.js';
import { OrgbridgeError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'orgbridge-moto-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in `python` running `body` (sh) for `python -c <probe>`. */
function fakePython(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const withoutMoto = fakePython(
  'without-moto',
  `echo 'Traceback (most recent call last):' >&2
echo "ModuleNotFoundError: No module named 'moto'" >&2
exit 1`,
);
const broken = fakePython(
  'broken',
  `echo 'Traceback (most recent call last):' >&2
echo 'OSError: [Errno 24] Too many open files' >&2
exit 1`,
);
/** Fails its first run (as a probe starved on a loaded machine), passes the next ones. */
const flaky = fakePython(
  'flaky',
  `if [ ! -e "${dir}/flaky-ran" ]; then touch "${dir}/flaky-ran"; echo 'MemoryError' >&2; exit 1; fi
exit 0`,
);
const slow = fakePython('slow', 'sleep 5');
/** Closes its stdout, then writes its error: the order that ended the shared log too early. */
const stdoutFirst = fakePython(
  'stdout-first',
  `exec 1>&-
sleep 0.2
echo 'Traceback (most recent call last):' >&2
echo "ModuleNotFoundError: No module named 'moto'" >&2
exit 1`,
);

async function errorOf(p: Promise<unknown>): Promise<OrgbridgeError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(OrgbridgeError);
  return e as OrgbridgeError;
}

describe('the moto probe', () => {
  it('says to install moto only when a module is really missing', async () => {
    const e = await errorOf(probeMoto(withoutMoto, { attempts: 3 }));
    expect(e.code).toBe('EMULATOR_MISSING');
    expect(e.message).toContain('no module moto');
    expect(e.hint).toContain('pip install "moto[server]');
    expect(() => checkMotoInstalled(withoutMoto)).toThrow(/no module moto/);
  });

  it('says when Python itself is not there', async () => {
    const e = await errorOf(probeMoto(join(dir, 'no-such-python')));
    expect(e.code).toBe('EMULATOR_MISSING');
    expect(e.message).toContain('was not found');
  });

  it("shows Python's real error, not an install hint, when the probe fails for another reason", async () => {
    const e = await errorOf(probeMoto(broken, { attempts: 2 }));
    expect(e.code).toBe('EMULATOR_PROBE_FAILED');
    expect(e.message).toContain('OSError: [Errno 24] Too many open files');
    expect(e.hint).not.toContain('pip install');
  });

  it('tries again, with a longer timeout, before giving up', async () => {
    await expect(probeMoto(flaky, { attempts: 2 })).resolves.toBeUndefined();
    const e = await errorOf(probeMoto(slow, { attempts: 1, timeoutMs: 200 }));
    expect(e.code).toBe('EMULATOR_PROBE_FAILED');
    expect(e.message).toContain('timed out');
  });
});

describe('starting the emulator', () => {
  // The probe runs beside the launcher: a launcher that dies for want of moto still gets the
  // probe's diagnosis, not a bare "exited while starting".
  it('says to install moto when the launcher fails for want of it', async () => {
    const e = await errorOf(startMoto({ python: withoutMoto, logDir: dir }));
    expect(e.code).toBe('EMULATOR_MISSING');
    expect(e.hint).toContain('pip install "moto[server]');
  });

  it("keeps the launcher's stderr in its log after its stdout has closed", async () => {
    const logDir = mkdtempSync(join(dir, 'log-'));
    const e = await errorOf(startMoto({ python: stdoutFirst, logDir }));
    expect(e.code).toBe('EMULATOR_MISSING');
    // With the log ended by the first stream to close, these lines were a write after end: lost,
    // and an uncaught error in the process that started the emulator.
    await expect
      .poll(() =>
        readdirSync(logDir)
          .map((f) => readFileSync(join(logDir, f), 'utf8'))
          .join(''),
      )
      .toContain("No module named 'moto'");
  });

  it('says when Python itself is not there', async () => {
    const e = await errorOf(startMoto({ python: join(dir, 'no-such-python'), logDir: dir }));
    expect(e.code).toBe('EMULATOR_MISSING');
    expect(e.message).toContain('was not found');
  });
});
