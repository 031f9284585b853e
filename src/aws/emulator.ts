import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrgbridgeError } from '../errors.js';

/**
 * moto server, the AWS API emulator, started on 127.0.0.1 for local mode and integration tests,
 * through a launcher that fixes two things before moto starts:
 *
 * 1. Speed: as shipped, moto re-parses every InputPath/jsonpath on each delivery and a PutEvents
 *    of 10 entries takes ~4 s; memoised it takes ~15 ms (measured with moto 5.2 on two cores).
 * 2. Fidelity: moto re-stamps `account` with the RECEIVING account when a rule forwards an event
 *    to another account's bus (moto/events/models.py: put_events sets
 *    `event_msg["account"] = self.account_id`). AWS keeps the account that put the event (the
 *    EventBridge design's receiving rules match `account: [SourceAccountId]`), and orgbridge's runtime
 *    authorises senders by that field, so the patch keeps it.
 */
const LAUNCHER = `
import functools, sys, threading
import jsonpath_ng.ext as e
e.parse = functools.lru_cache(maxsize=4096)(e.parse)

import moto.events.models as _events
_origin = threading.local()
_send_to_targets = _events.Rule.send_to_targets

def _orgbridge_send_to_targets(self, event, transform_input=True):
    origin = getattr(_origin, "account", None)
    if origin is not None and event.get("account") != origin:
        event = dict(event)
        event["account"] = origin
    _origin.account = event.get("account")
    try:
        return _send_to_targets(self, event, transform_input)
    finally:
        _origin.account = origin

_events.Rule.send_to_targets = _orgbridge_send_to_targets

from moto.server import main
main(sys.argv[1:])
`;

export const MOTO_INSTALL_HINT = 'install it with: pip install "moto[server]>=5.2,<6"';

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  /** The last lines of the server's stderr: moto's tracebacks behind a 500. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  readonly python?: string;
  readonly port?: number;
  readonly logDir?: string;
  readonly startTimeoutMs?: number;
}

const PROBE = 'import moto.server, jsonpath_ng';

/** What one run of the probe gave: how it ended and what Python printed on stderr. */
interface ProbeOutcome {
  readonly error?: NodeJS.ErrnoException;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Undefined when the probe passed; else the error to raise. Only a Python that is not there, or
 * one that says a module is missing, gets the install hint: a probe killed or timed out on a
 * loaded machine, or failing for any other reason, shows what Python printed instead.
 */
function probeProblem(python: string, outcome: ProbeOutcome): OrgbridgeError | undefined {
  if (!outcome.error && outcome.status === 0) return undefined;
  if (outcome.error?.code === 'ENOENT') {
    return new OrgbridgeError('EMULATOR_MISSING', `${python} was not found`, {
      source: 'user',
      hint: `install Python 3 and moto (${MOTO_INSTALL_HINT}), or set ORGBRIDGE_PYTHON to a Python that has it`,
      cause: outcome.error,
    });
  }
  const missing = /No module named '([\w.]+)'/.exec(outcome.stderr)?.[1];
  if (missing) {
    return new OrgbridgeError(
      'EMULATOR_MISSING',
      `moto server is not available to ${python}: no module ${missing}`,
      {
        source: 'user',
        hint: MOTO_INSTALL_HINT,
      },
    );
  }
  const how = outcome.timedOut
    ? 'timed out'
    : outcome.signal
      ? `was killed by ${outcome.signal}`
      : outcome.error
        ? `could not run (${outcome.error.message})`
        : `exited with ${outcome.status}`;
  const said = outcome.stderr.trim().split('\n').slice(-15).join('\n') || '(nothing on stderr)';
  return new OrgbridgeError('EMULATOR_PROBE_FAILED', `${python} -c "${PROBE}" ${how}; it said:\n${said}`, {
    source: 'internal',
    hint: 'moto looks installed, the probe failed for the reason above (a loaded machine makes it slow): run it again',
    ...(outcome.error ? { cause: outcome.error } : {}),
  });
}

/** Throws unless `python` can import moto server (a quick preflight for commands that need it). */
export function checkMotoInstalled(python = process.env.ORGBRIDGE_PYTHON ?? 'python3'): void {
  const probe = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000 });
  const problem = probeProblem(python, {
    ...(probe.error ? { error: probe.error as NodeJS.ErrnoException } : {}),
    status: probe.status,
    signal: probe.signal,
    stderr: probe.stderr ?? '',
    timedOut: (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  });
  if (problem) throw problem;
}

/**
 * The same check, without blocking, as startMoto runs it: a probe that failed for a reason other
 * than a missing module is tried again with a longer timeout (importing moto takes seconds, far
 * more when eight test processes start at once on two cores).
 */
export async function probeMoto(
  python: string,
  options: { readonly attempts?: number; readonly timeoutMs?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 3;
  let problem: OrgbridgeError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timeout = (options.timeoutMs ?? 30_000) * attempt;
    const outcome = await new Promise<ProbeOutcome>((resolve) => {
      execFile(python, ['-c', PROBE], { encoding: 'utf8', timeout }, (error, _stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals }) | null;
        resolve({
          ...(e && typeof e.code !== 'number' && e.code !== undefined ? { error: e } : {}),
          status: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stderr: stderr ?? '',
          timedOut: Boolean(e?.killed && e.signal === 'SIGTERM'),
        });
      });
    });
    problem = probeProblem(python, outcome);
    if (!problem || problem.code === 'EMULATOR_MISSING') break;
  }
  if (problem) throw problem;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * 20 s to answer on an idle machine, up to 2.5 times that when the machine is loaded (the load
 * average over the cores): moto imports every service it emulates before it listens.
 */
function startTimeoutUnderLoad(): number {
  const load = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.round(20_000 * Math.min(2.5, Math.max(1, load)));
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? process.env.ORGBRIDGE_PYTHON ?? 'python3';
  await probeMoto(python);
  const port = options.port ?? (await freePort());
  const logDir = options.logDir ?? join(tmpdir(), 'orgbridge-moto');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `moto-${port}-${process.pid}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(python, ['-c', LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_ACCOUNT_ID: undefined, MOTO_IAM_LOAD_MANAGED_POLICIES: undefined },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  running.add(child);
  killAllOnExit();
  const endpoint = `http://127.0.0.1:${port}`;
  const tail = (lines = 60): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? startTimeoutUnderLoad());
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  while (true) {
    if (exited) {
      throw new OrgbridgeError('EMULATOR_START_FAILED', `moto server exited while starting on port ${port}`, {
        source: 'internal',
        hint: `its log says:\n${tail(20)}`,
      });
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new OrgbridgeError('EMULATOR_START_FAILED', `moto server did not answer on ${endpoint}`, {
          source: 'internal',
          hint: `its log says:\n${tail(20)}`,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    logFile,
    tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }),
  };
}
