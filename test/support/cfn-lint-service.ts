import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * cfn-lint as a service for the whole test run: ONE Python process, started on the first lint
 * request that needs it and reused by every test file, instead of one `cfn-lint` CLI per file
 * (each start imports cfnlint and loads its rules: 2-3 s, more on a loaded machine). Rules are
 * loaded once per region set.
 *
 * Linting itself costs 0.1-0.7 s per template, so results are also kept by content: the key is
 * the cfn-lint version, the regions and the template's bytes, in memory and under
 * `node_modules/.cache/orgbridge-cfn-lint/` (like `eslint --cache`; `ORGBRIDGE_CFN_LINT_CACHE=0`
 * turns the disk part off). A changed template is a new key, so it is always linted.
 *
 * Test workers are separate processes, so the service lives in vitest's main process (global
 * setup, cfn-lint.global.ts) behind a loopback HTTP endpoint; tests call `cfnLint()` (cfn-lint.ts).
 */
export interface LintTemplate {
  /** Shown in findings, like a file name. */
  readonly name: string;
  readonly body: string;
}

export interface LintRequest {
  readonly templates: readonly LintTemplate[];
  /** Regions to lint for (default: us-east-1, as the cfn-lint CLI). */
  readonly regions?: readonly string[];
}

export interface LintResult {
  /** `parseable` lines, `name:line:column:endLine:endColumn:rule:message`; errors, warnings and informational findings. */
  readonly findings: readonly string[];
}

/**
 * The template tests need cfn-lint: without it they fail (never skip), with this to do. A crash
 * of the service fails the lint request the same way, with the Python side's last words.
 */
export const CFN_LINT_INSTALL_HINT =
  'the template tests need cfn-lint: install it with `pip install cfn-lint` (or set CFN_LINT_PYTHON to a Python that has it)';

/**
 * Informational rules too (`--include-checks I`): they are AWS's advice for templates a person
 * reviews (explicit DeletionPolicy on stateful resources, `${AWS::Partition}` in ARNs), and the
 * generated templates follow it. Part of the cache key.
 */
const CHECKS = 'I';

/** The Python side: one JSON line per request (bodies), one per answer (findings per body). */
const SERVER = `
import json, sys
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.runner import Runner
runners = {}
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    regions = tuple(request["regions"])
    runner = runners.get(regions)
    if runner is None:
        runner = runners[regions] = Runner(ConfigMixIn(regions=list(regions), include_checks=["${CHECKS}"]))
    results = []
    for body in request["bodies"]:
        template, matches = decode_str(body)
        if not matches and template is not None:
            matches = list(runner.validate_template(template))
        results.append(["%s:%s:%s:%s:%s:%s" % (m.linenumber, m.columnnumber, m.linenumberend,
            m.columnnumberend, m.rule.id, m.message) for m in matches])
    print(json.dumps({"results": results}), flush=True)
`;

const VERSION_PROBE = "import importlib.metadata as m; print(m.version('cfn-lint'))";

/** The Pythons that may have cfn-lint: CFN_LINT_PYTHON, python3, or the cfn-lint script's. */
function defaultCandidates(): (string | undefined)[] {
  const candidates = [process.env.CFN_LINT_PYTHON, 'python3'];
  const which = spawnSync('sh', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' }).stdout.trim();
  if (which) {
    try {
      const shebang = readFileSync(which, 'utf8').split('\n', 1)[0] ?? '';
      const interpreter = /^#!\s*(\S*python[\d.]*)\s*$/.exec(shebang)?.[1];
      if (interpreter) candidates.push(interpreter);
    } catch {
      // Not readable: the other candidates remain.
    }
  }
  return candidates;
}

/** The first candidate with cfn-lint and its version; else throws with what each one said. */
function findPython(candidates: readonly (string | undefined)[]): { python: string; version: string } {
  const tried: string[] = [];
  for (const python of candidates) {
    if (!python) continue;
    const probe = spawnSync(python, ['-c', VERSION_PROBE], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim()) return { python, version: probe.stdout.trim() };
    const said = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    tried.push(`${python}: ${said}`);
  }
  throw new Error(`no Python with cfn-lint (${tried.join('; ')}); ${CFN_LINT_INSTALL_HINT}`);
}

/** One lazily started Python process behind a content-addressed result cache; requests in order. */
export class CfnLintProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private found: { python: string; version: string } | undefined;
  private failed: string | undefined;
  private readonly waiting: ((line: string) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly memory = new Map<string, readonly string[]>();
  /** Python processes started (at most one, unless it died) and templates really linted. */
  readonly stats = { started: 0, linted: 0, cached: 0 };

  constructor(
    private readonly cacheDir: string | undefined = defaultCacheDir(),
    /** Interpreters to try, in order (tests give their own). */
    private readonly candidates: () => readonly (string | undefined)[] = defaultCandidates,
  ) {}

  lint(request: LintRequest): Promise<LintResult> {
    const next = this.queue.then(() => this.run(request));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(request: LintRequest): Promise<LintResult> {
    this.found ??= findPython(this.candidates());
    const regions = [...(request.regions ?? ['us-east-1'])];
    const keys = request.templates.map((t) =>
      createHash('sha256')
        .update(`${this.found?.version}\0${CHECKS}\0${regions.join(',')}\0${t.body}`)
        .digest('hex'),
    );
    const results = keys.map((key) => this.cached(key));
    const missing = [...new Set(keys.filter((_, i) => results[i] === undefined))];
    if (missing.length) {
      const child = await this.start();
      if (!child)
        throw new Error(`${this.failed ?? 'the cfn-lint service stopped'}; ${CFN_LINT_INSTALL_HINT}`);
      const bodies = missing.map((key) => request.templates[keys.indexOf(key)]?.body as string);
      const answer = new Promise<string>((resolve) => this.waiting.push(resolve));
      child.stdin.write(`${JSON.stringify({ regions, bodies })}\n`);
      const parsed = JSON.parse(await answer) as { results?: string[][]; error?: string };
      if (!parsed.results) {
        throw new Error(`cfn-lint service: ${parsed.error ?? 'no answer'}; ${CFN_LINT_INSTALL_HINT}`);
      }
      this.stats.linted += missing.length;
      for (const [i, key] of missing.entries()) this.store(key, parsed.results[i] ?? []);
    }
    this.stats.cached += request.templates.length - missing.length;
    const findings = request.templates.flatMap((t, i) =>
      (this.cached(keys[i] as string) ?? []).map((f) => `${t.name}:${f}`),
    );
    return { findings };
  }

  private cached(key: string): readonly string[] | undefined {
    const hit = this.memory.get(key);
    if (hit || !this.cacheDir) return hit;
    try {
      const stored = JSON.parse(readFileSync(join(this.cacheDir, `${key}.json`), 'utf8')) as string[];
      this.memory.set(key, stored);
      return stored;
    } catch {
      return undefined;
    }
  }

  private store(key: string, findings: readonly string[]): void {
    this.memory.set(key, findings);
    if (!this.cacheDir) return;
    try {
      mkdirSync(this.cacheDir, { recursive: true });
      writeFileSync(join(this.cacheDir, `${key}.json`), JSON.stringify(findings));
    } catch {
      // A read-only tree only loses the cache.
    }
  }

  private async start(): Promise<ChildProcessWithoutNullStreams | undefined> {
    if (this.child || this.failed || !this.found) return this.child;
    const { python } = this.found;
    const child = spawn(python, ['-u', '-c', SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stats.started++;
    let stderr = '';
    let ready = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      this.child = undefined;
      if (!ready) this.failed = `the cfn-lint service did not start (${python}): ${stderr.slice(-500)}`;
      for (const resolve of this.waiting.splice(0)) {
        resolve(JSON.stringify({ error: `cfn-lint exited with ${code}: ${stderr.slice(-2000)}` }));
      }
    });
    const started = new Promise<void>((resolve) =>
      this.waiting.push(() => {
        ready = true;
        resolve();
      }),
    );
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.child = child;
    await started;
    return this.child;
  }

  stop(): void {
    this.child?.kill();
    this.child = undefined;
  }
}

function defaultCacheDir(): string | undefined {
  if (process.env.ORGBRIDGE_CFN_LINT_CACHE === '0') return undefined;
  return join(process.cwd(), 'node_modules', '.cache', 'orgbridge-cfn-lint');
}

/** The loopback endpoint the workers post to: POST / with a LintRequest, answers a LintResult. */
export async function serveCfnLint(lint: CfnLintProcess): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lint.lint(JSON.parse(Buffer.concat(chunks).toString('utf8')) as LintRequest).then(
        (result) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e instanceof Error ? e.message : e));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server };
}
