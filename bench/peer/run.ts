/**
 * `npm run bench:peer`: orgbridge and org-formation (the closest open-source peer, pinned
 * version) build the same organization (bench/peer/org.ts) on the emulator, side by side, in
 * three phases: create from empty, a no-op re-run, and a change (10 moves, 10 tag edits), the
 * tools taking each phase in turn. Each tool runs as its CLI, as a user runs it, against its own
 * fresh moto server, which records the calls it serves (bench/peer/calls.ts). After every phase both organizations are read back
 * and checked (bench/peer/verify.ts): a result is only reported when the work was done.
 *
 *   npm run bench:peer -- --n 20,100 --runs 1 --tool both --node 22
 *
 * org-formation is installed on first use into .cache/peer (ignored by git), never as a
 * dependency of the project. Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeAccountCommand,
  EnablePolicyTypeCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { AwsClients, type Client, emulatorContext, type MotoServer, startMoto } from '../../src/aws/index.js';
import { dropSdkNodeNotice } from '../../src/cli/warnings.js';
import { createOrganization } from '../../test/support/moto.js';
import { median } from '../types.js';
import { CallRecorder } from './calls.js';
import { modelPhaseMs } from './latency.js';
import {
  type BenchOrg,
  benchOrg,
  type ManagementAccount,
  OUS,
  orgFormationTemplate,
  PARENT_OU,
  TAG_POLICY_NAME,
  writeOrgbridgeConfig,
} from './org.js';
import {
  differencesBetween,
  differencesFromWanted,
  type OrgSnapshot,
  snapshotOrganization,
} from './verify.js';

dropSdkNodeNotice();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER_PACKAGE = 'aws-organization-formation';
const PEER_VERSION = '1.0.17';
const PEER_PREFIX = join(ROOT, '.cache', 'peer');
const PEER_CLI = join(PEER_PREFIX, 'node_modules', PEER_PACKAGE, 'dist', 'cli.js');

const PHASES = ['create', 'no-op', 'change'] as const;
type Phase = (typeof PHASES)[number];
const TOOLS = ['orgbridge', 'org-formation'] as const;
type Tool = (typeof TOOLS)[number];

interface Measurement {
  readonly n: number;
  readonly tool: Tool;
  readonly phase: Phase;
  readonly ms: number;
  readonly calls: number;
  readonly byOperation: Record<string, number>;
  /** The same calls on real AWS, modelled (bench/peer/latency.ts). */
  readonly modelledMs: number;
  readonly problems: readonly string[];
  readonly snapshot: OrgSnapshot;
}

interface Options {
  readonly ns: readonly number[];
  readonly tools: readonly Tool[];
  readonly runs: number;
  readonly json?: string;
  /** `22` (the default), `current`, or the path of a node binary. */
  readonly node: string;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ns = (get('--n') ?? '20,100').split(',').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--n takes positive integers: --n 20,100');
  const tool = get('--tool') ?? 'both';
  const tools = tool === 'both' ? TOOLS : TOOLS.filter((t) => t === tool);
  if (!tools.length) throw new Error(`--tool is orgbridge, org-formation or both, not ${tool}`);
  const runs = Number(get('--runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  const json = get('--json');
  return { ns, tools, runs, node: get('--node') ?? '22', ...(json ? { json } : {}) };
}

interface Exec {
  readonly code: number | null;
  readonly out: string;
}

/** Runs a command without blocking this process's event loop. */
function exec(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function mustExec(what: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const run = await exec(cmd, args, env);
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.out.slice(-3000)}`);
  return run;
}

/** Where `.ci/run` installs Node 22 (the npm registry's `node` package) for the unit tests. */
const NODE22_PREFIX = join(ROOT, 'node_modules', '.cache', 'node22');

/**
 * The node binary both tools run on. By default Node 22, the runtime orgbridge targets (README,
 * "Requirements"; Node 20 is past its end of life): this process's own when it is Node 22, else
 * the npm registry's `node@22`, installed on first use where `.ci/run` puts it. `current` runs
 * them on this process's Node, a path on that binary.
 */
async function runtime(choice: string): Promise<string> {
  if (choice === 'current') return process.execPath;
  if (choice !== '22') return choice;
  if (process.versions.node.split('.')[0] === '22') return process.execPath;
  const bin = join(NODE22_PREFIX, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(bin)) return bin;
  process.stderr.write('installing node@22 into node_modules/.cache/node22 (once)...\n');
  await mustExec(
    'npm install node@22',
    'npm',
    [
      'install',
      '--prefix',
      NODE22_PREFIX,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      'node@22',
    ],
    process.env,
  );
  return bin;
}

/** The pinned peer in .cache/peer, installed with npm on first use. */
async function ensurePeer(): Promise<void> {
  const manifest = join(PEER_PREFIX, 'node_modules', PEER_PACKAGE, 'package.json');
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === PEER_VERSION) return;
  process.stderr.write(`installing ${PEER_PACKAGE}@${PEER_VERSION} into .cache/peer (once)...\n`);
  mkdirSync(PEER_PREFIX, { recursive: true });
  await mustExec(
    'npm install',
    'npm',
    ['install', '--prefix', PEER_PREFIX, '--no-audit', '--no-fund', `${PEER_PACKAGE}@${PEER_VERSION}`],
    process.env,
  );
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** bin/orgbridge.js runs the CLI bundle in dist/: rebuild it when src/ changed since the last build. */
async function ensureBuilt(): Promise<void> {
  const main = join(ROOT, 'dist', 'cli-bundle', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  process.stderr.write('building dist/ (src changed)...\n');
  await mustExec('npm run build', 'npm', ['run', '-s', 'build'], process.env);
}

/** The tag policy org-formation cannot describe, created out of band (neither timed nor counted). */
async function addTagPolicyFor(org: Client<OrganizationsClient>, want: BenchOrg): Promise<void> {
  const policy = want.policies.find((p) => p.type === 'TAG_POLICY');
  if (!policy) return;
  const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'TAG_POLICY' }));
  const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }));
  const target = ous.OrganizationalUnits?.find((o) => o.Name === PARENT_OU)?.Id;
  if (!target) throw new Error(`org-formation left no ${PARENT_OU} OU to attach the tag policy to`);
  const created = await org.send(
    new CreatePolicyCommand({
      Name: TAG_POLICY_NAME,
      Type: 'TAG_POLICY',
      Description: 'peer benchmark',
      Content: JSON.stringify(policy.content),
    }),
  );
  await org.send(new AttachPolicyCommand({ PolicyId: created.Policy?.PolicySummary?.Id, TargetId: target }));
}

/** One phase of one tool: the commands a user runs, timed together. */
async function applyPhase(
  tool: Tool,
  want: BenchOrg,
  dir: string,
  env: NodeJS.ProcessEnv,
  node: string,
): Promise<void> {
  if (tool === 'orgbridge') {
    rmSync(dir, { recursive: true, force: true });
    writeOrgbridgeConfig(want, dir);
    // One command, as org-formation's one `update`: the accounts, then the policies.
    const cli = join(ROOT, 'bin', 'orgbridge.js');
    await mustExec('orgbridge sync', node, [cli, '-c', dir, 'run', '--action', 'sync', '--execute'], env);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const template = join(dir, 'organization.yml');
  writeFileSync(template, orgFormationTemplate(want));
  await mustExec('org-formation update', node, [PEER_CLI, 'update', template, '--no-color'], env);
}

/** One tool's emulator (fresh, its own), the clients reading it back, and the tool's environment. */
interface World {
  readonly tool: Tool;
  readonly server: MotoServer;
  readonly recorder: CallRecorder;
  readonly direct: AwsClients;
  readonly management: ManagementAccount;
  readonly env: NodeJS.ProcessEnv;
  /** The node binary both tools run on. */
  readonly node: string;
  readonly work: string;
}

async function openWorld(tool: Tool, n: number, node: string): Promise<World> {
  const server = await startMoto();
  const direct = new AwsClients(emulatorContext(server.endpoint));
  const work = join(tmpdir(), `orgbridge-bench-peer-${process.pid}-${tool}-${n}`);
  try {
    const { managementId } = await createOrganization(direct);
    const described = await direct
      .organizations()
      .send(new DescribeAccountCommand({ AccountId: managementId }));
    const management: ManagementAccount = {
      id: managementId,
      name: described.Account?.Name as string,
      email: described.Account?.Email as string,
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: work,
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
      NO_COLOR: '1',
    };
    return { tool, server, recorder: new CallRecorder(server.endpoint), direct, management, env, node, work };
  } catch (e) {
    direct.destroy();
    await server.stop();
    throw e;
  }
}

async function closeWorld(world: World): Promise<void> {
  world.direct.destroy();
  await world.server.stop();
  rmSync(world.work, { recursive: true, force: true });
}

/** One phase of one tool, timed and counted, then its organization read back and checked. */
async function measurePhase(world: World, n: number, phase: Phase): Promise<Measurement> {
  const { tool, server, recorder } = world;
  const org = world.direct.organizations();
  const want = benchOrg(n, world.management, phase === 'change' ? 'change' : 'create');
  await recorder.start();
  const start = performance.now();
  try {
    await applyPhase(tool, want, join(world.work, 'config'), world.env, world.node);
  } catch (e) {
    throw new Error(`${tool} ${phase} N=${n}: ${(e as Error).message}\n--- moto log ---\n${server.tail(20)}`);
  }
  const ms = performance.now() - start;
  const { total: calls, byOperation } = await recorder.stop();
  if (tool === 'org-formation' && phase === 'create') await addTagPolicyFor(org, want);
  const snapshot = await snapshotOrganization(org);
  const problems = differencesFromWanted(snapshot, want);
  const modelledMs = await modelPhaseMs(tool, byOperation);
  process.stderr.write(
    `  ${tool} N=${n} ${phase}: ${(ms / 1000).toFixed(2)} s, ${calls} calls${problems.length ? `, ${problems.length} PROBLEMS: ${problems.slice(0, 3).join('; ')}` : ', correct'}\n`,
  );
  return { n, tool, phase, ms, calls, byOperation, modelledMs, problems, snapshot };
}

/**
 * One run at one N: each tool on a fresh emulator of its own, the phases taken in turn, each
 * phase by one tool and then the other (who goes first alternates from run to run). This machine's
 * speed drifts from minute to minute (the same no-op's CPU time moves by a quarter); interleaved,
 * both tools meet the same minutes, where running one tool's phases and then the other's put each
 * in its own.
 */
async function measureRun(
  n: number,
  run: number,
  tools: readonly Tool[],
  node: string,
): Promise<Measurement[]> {
  const order = run % 2 === 0 ? tools : [...tools].reverse();
  const worlds: World[] = [];
  try {
    for (const tool of order) worlds.push(await openWorld(tool, n, node));
    const results: Measurement[] = [];
    for (const phase of PHASES) for (const world of worlds) results.push(await measurePhase(world, n, phase));
    return results;
  } finally {
    for (const world of worlds) await closeWorld(world);
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const minutes = (ms: readonly Measurement[]) => {
  if (!ms.length) return '-';
  const t = median(ms.map((m) => m.modelledMs));
  return t < 120_000 ? `${(t / 1000).toFixed(1)} s` : `${(t / 60_000).toFixed(1)} min`;
};

function table(all: readonly Measurement[], options: Options): string {
  const header = [
    'N',
    'phase',
    'orgbridge s',
    'org-formation s',
    'ratio',
    'calls orgbridge',
    'calls org-formation',
    'correct',
    'real AWS, modelled: orgbridge / org-formation',
  ];
  const rows: string[][] = [];
  for (const n of options.ns)
    for (const phase of PHASES) {
      const of = (tool: Tool) => all.filter((m) => m.n === n && m.phase === phase && m.tool === tool);
      const ob = of('orgbridge');
      const ofn = of('org-formation');
      const t = (ms: readonly Measurement[]) => (ms.length ? median(ms.map((m) => m.ms)) : undefined);
      const c = (ms: readonly Measurement[]) => (ms.length ? String(median(ms.map((m) => m.calls))) : '-');
      const tob = t(ob);
      const tofn = t(ofn);
      const problems = [...ob, ...ofn].filter((m) => m.problems.length);
      const mismatch = ob[0] && ofn[0] ? differencesBetween(ob[0].snapshot, ofn[0].snapshot, TOOLS) : [];
      rows.push([
        String(n),
        phase,
        seconds(tob),
        seconds(tofn),
        tob !== undefined && tofn !== undefined ? `${(tob / tofn).toFixed(2)}x` : '-',
        c(ob),
        c(ofn),
        problems.length
          ? `NO (${[...new Set(problems.map((m) => m.tool))].join(', ')})`
          : mismatch.length
            ? `NO (tools differ: ${mismatch.length})`
            : 'yes',
        `${minutes(ob)} / ${minutes(ofn)}`,
      ]);
    }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options.tools.includes('org-formation')) await ensurePeer();
  if (options.tools.includes('orgbridge')) await ensureBuilt();
  const node = await runtime(options.node);
  const nodeVersion = (await mustExec('node --version', node, ['--version'], process.env)).out.trim();
  const all: Measurement[] = [];
  for (const n of options.ns)
    for (let run = 0; run < options.runs; run++) all.push(...(await measureRun(n, run, options.tools, node)));
  for (const n of options.ns)
    for (const phase of PHASES) {
      const ob = all.find((m) => m.n === n && m.phase === phase && m.tool === 'orgbridge');
      const ofn = all.find((m) => m.n === n && m.phase === phase && m.tool === 'org-formation');
      if (ob && ofn)
        for (const d of differencesBetween(ob.snapshot, ofn.snapshot, TOOLS))
          process.stderr.write(`  N=${n} ${phase}: the tools' organizations differ: ${d}\n`);
    }
  console.log(
    `orgbridge vs ${PEER_PACKAGE}@${PEER_VERSION} on moto, Node ${nodeVersion}, ${OUS.length} OUs, median of ${options.runs} run(s); ratio = orgbridge / org-formation wall time`,
  );
  console.log(table(all, options));
  if (options.json)
    writeFileSync(
      options.json,
      JSON.stringify(
        all.map(({ snapshot: _, ...m }) => m),
        null,
        2,
      ),
    );
  return all.some((m) => m.problems.length) ? 1 : 0;
}

process.exitCode = await main();
