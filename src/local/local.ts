import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AwsClients, emulatorContext, type MotoServer, startMoto } from '../aws/index.js';
import { loadConfig } from '../config/index.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { requirePlacementOus } from '../config/special-accounts.js';
import { OrgbridgeError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { organizationsPort } from '../handlers/accounts/ports.js';
import { handlersFor } from '../handlers/registry.js';
import { roleArn } from '../partitions.js';
import { ACTIONS, type ActionContext } from '../pipeline/actions.js';
import { runArtifactAction } from '../pipeline/bootstrap.js';
import {
  cicdRequestClient,
  directAccountsGateway,
  eventBridgeAccountsGateway,
} from '../pipeline/gateways/accounts-gateway.js';
import { organizationTopology } from '../pipeline/organization-topology.js';
import type { Outcome, Output } from '../pipeline/output.js';
import { type SyncAccountsResult, syncAccounts } from '../pipeline/sync-accounts.js';
import { planAccountChanges } from '../plan/accounts.js';
import type { ObservedOrganization } from '../plan/observed.js';
import type { Topology } from '../protocol/topology.js';
import { renderHtmlReport } from '../report/html.js';
import type { RecordOutcome } from '../runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../runtime/poller.js';
import { homeRegionOf } from '../templates/inputs.js';
import { packageRoot } from '../version.js';
import {
  createRunFiles,
  finishRunFiles,
  Interruption,
  PROGRESS_INTERVAL_MS,
  type RunFiles,
  type SignalSource,
  StepProgress,
  Steps,
  type StopSignal,
} from './local-session.js';

/**
 * `orgbridge local` (`npm start`): the whole product on an emulated organization, in one
 * command. It starts moto, creates the organization, bootstraps every stack, starts the local
 * handler runtime (the in-process stand-in for SQS -> Lambda), runs the pipeline with
 * --execute on the config, and prints what happened.
 */
export interface LocalOptions {
  /** Config directory (must hold accounts.yml); unset: the bundled examples/. */
  readonly configDir?: string;
  /** Keep the emulator and the handler runtime up after the run (Ctrl-C stops them). */
  readonly keepRunning?: boolean;
  readonly port?: number;
  /** Stream every step's own output (plans, deploys) instead of one summary line per step. */
  readonly verbose?: boolean;
  readonly now?: () => Date;
  /** Where to write the HTML report (default: the run's temporary folder). */
  readonly reportFile?: string;
  /** SIGINT/SIGTERM stop the run and the emulator; `process` unless a test gives its own. */
  readonly signals?: SignalSource;
  /** Called on a second signal while the first one's shutdown is under way (the CLI exits). */
  readonly onSecondSignal?: (signal: StopSignal) => void;
  /** How often a running step prints its counts (default: 2 s on a terminal, 5 s in a log). */
  readonly progressIntervalMs?: number;
}

/** The bundled example organization (examples/ of the package). */
export const EXAMPLES_DIR = join(packageRoot(), 'examples');

export function localConfigDir(requested: string | undefined): string {
  if (requested === undefined) return EXAMPLES_DIR;
  // A directory named on purpose that holds no accounts.yml is a mistake, never a reason to run
  // the bundled examples instead (the user would think their config ran).
  if (!existsSync(join(requested, 'accounts.yml'))) {
    throw new OrgbridgeError('DSL_MISSING_FILE', `no accounts.yml in ${resolve(requested)}`, {
      hint: 'pass -c <dir> of a config repository (`orgbridge init <dir>` writes one), or leave -c out to run the bundled examples',
    });
  }
  return resolve(requested);
}

/**
 * The management account exists before orgbridge: adopt the emulated organization's one. Every
 * stage recognises it without this (matchAccounts in src/plan/accounts.ts); adopting it makes
 * the local run's config say so explicitly, as a real repository would with `id:`.
 */
export function adoptManagementAccount(config: ResolvedConfig, managementId: string): ResolvedConfig {
  const key = config.organization.accounts.management;
  return {
    ...config,
    accounts: config.accounts.map((a): ResolvedAccount => (a.key === key ? { ...a, id: managementId } : a)),
  };
}

/** The special accounts alone: what bootstrap needs before any event can flow. */
export function specialAccountsOnly(config: ResolvedConfig): ResolvedConfig {
  const special = new Set<string>(Object.values(config.organization.accounts));
  return { ...config, accounts: config.accounts.filter((a) => special.has(a.key)) };
}

/** Captures step output: the local run shows a summary, not every plan line (unless verbose). */
function quietOutput(
  parent: Output,
  verbose = false,
  onLine: (text: string) => void = () => {},
): Output & { lines: string[] } {
  const lines: string[] = [];
  const take = (t: string) => {
    lines.push(t);
    onLine(t);
    if (verbose) parent.err(t);
  };
  return { lines, out: take, err: take, interactive: false, color: parent.color };
}

/** What a shell needs to talk to the emulator: printed by --keep-running, used by the actions. */
export function emulatorEnvironment(
  endpoint: string,
  region: string,
  stateDir: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: region,
    ORGBRIDGE_PIPELINE_STATE: 'file',
    ORGBRIDGE_STATE_DIR: stateDir,
  };
}

/** Temporary credentials of the cicd account (AssumeRole, as a pipeline runner would hold). */
async function cicdEnvironment(management: AwsClients, cicdId: string): Promise<Record<string, string>> {
  const out = await management.sts().send(
    new AssumeRoleCommand({
      RoleArn: roleArn(management.context.region, cicdId, management.context.accessRoleName),
      RoleSessionName: 'orgbridge-local-pipeline',
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole into cicd returned no credentials');
  return {
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    ...(c.SessionToken ? { AWS_SESSION_TOKEN: c.SessionToken } : {}),
    ORGBRIDGE_ACCOUNTS_GATEWAY: 'eventbridge',
  };
}

function lastMeaningfulLine(lines: readonly string[]): string {
  const text = lines
    .join('\n')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (text[text.length - 1] ?? 'done').slice(0, 100);
}

export function renderOuTree(observed: ObservedOrganization): string {
  const byOu = new Map<string, string[]>();
  for (const a of observed.accounts) {
    const list = byOu.get(a.ou) ?? [];
    list.push(`${a.name} (${a.id})${a.status === 'ACTIVE' ? '' : ` ${a.status}`}`);
    byOu.set(a.ou, list);
  }
  const paths = new Set<string>(['']);
  for (const path of [...Object.keys(observed.ous), ...byOu.keys()]) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('/'));
  }
  const lines: string[] = [];
  for (const path of [...paths].sort()) {
    const depth = path ? path.split('/').length : 0;
    const indent = '  '.repeat(depth);
    lines.push(`${indent}${path ? `${path.split('/').pop()}/` : 'Root/'}`);
    const accounts = (byOu.get(path) ?? []).sort();
    const shown = accounts.slice(0, 6);
    for (const a of shown) lines.push(`${indent}  · ${a}`);
    if (accounts.length > shown.length)
      lines.push(`${indent}  · … and ${accounts.length - shown.length} more`);
  }
  return lines.join('\n');
}

/** The handler runtime's long-poll wait (SQS allows up to 20 s). */
const LOCAL_POLL_WAIT_SECONDS = 10;

/** What a run holds that a signal must be able to stop at any moment. */
interface Running {
  /** Set once the run is being stopped: whatever starts after that stops itself at once. */
  stopped?: boolean;
  server?: MotoServer;
  pollers?: LocalPollers;
  /** Pollers replaced by a restart, finishing their last long poll in the background. */
  retiring?: Promise<void>;
  management?: AwsClients;
}

/** A signal came while this was starting: stop it too, and end the run's work here. */
async function stoppedMeanwhile(started: { stop(): Promise<void> }): Promise<never> {
  await started.stop();
  throw new Error('the run was stopped');
}

/** Everything the steps of one run share. */
interface LocalRun {
  readonly output: Output;
  readonly options: LocalOptions;
  readonly steps: Steps;
  readonly files: RunFiles;
  readonly running: Running;
  readonly outcomes: { account: string; outcome: RecordOutcome }[];
  readonly now: () => Date;
  /** Step output, captured (shown with --verbose) and counted for the progress lines. */
  quiet(): Output & { lines: string[] };
}

interface PipelineResult {
  readonly config: ResolvedConfig;
  readonly configDir: string;
  readonly env: Record<string, string>;
  readonly sync: SyncAccountsResult;
  readonly failed: readonly string[];
  readonly outcome: Outcome;
}

/** The emulator and the organization in it, up to the management account. */
async function startOrganization(run: LocalRun) {
  const { steps, options } = run;
  const configDir = localConfigDir(options.configDir);
  const loaded = await steps.run(
    'load the organization config',
    () => loadConfig(configDir),
    (c) => `${c.accounts.length} accounts, ${Object.keys(c.scopes).length} scopes from ${configDir}`,
  );
  const region = homeRegionOf(loaded);
  const server = await steps.run(
    'start the AWS emulator',
    async () => {
      const started = await startMoto({
        logDir: run.files.motoLogDir,
        ...(options.port !== undefined ? { port: options.port } : {}),
      });
      run.running.server = started;
      if (run.running.stopped) await stoppedMeanwhile(started);
      return started;
    },
    (s) => `moto server on ${s.endpoint} (pid ${s.pid}, log ${s.logFile})`,
  );
  // The actions below build their own clients from the environment, exactly as they do when a
  // person runs `orgbridge run --action ...` against this emulator afterwards.
  const env = emulatorEnvironment(server.endpoint, region, run.files.stateDir);
  const org = new AwsClients(emulatorContext(server.endpoint, { region }));
  run.running.management = org;
  const managementId = await steps.run(
    'create the organization',
    async () => {
      const { CreateOrganizationCommand } = await import('@aws-sdk/client-organizations');
      await org.organizations().send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
      const described = await org.organizations().send(new DescribeOrganizationCommand({}));
      return described.Organization?.MasterAccountId as string;
    },
    (id) => `management account ${id}`,
  );
  return { configDir, env, org, managementId, config: adoptManagementAccount(loaded, managementId) };
}

/** The organization's messaging as the design has it, then every account over EventBridge. */
async function buildOrganization(run: LocalRun, started: Awaited<ReturnType<typeof startOrganization>>) {
  const { steps } = run;
  const { org, managementId, config } = started;
  const port = organizationsPort(org.organizations());
  await steps.run(
    'create the special accounts (bootstrap is done with management credentials)',
    () =>
      syncAccounts({
        config: specialAccountsOnly(config),
        gateway: directAccountsGateway(port),
        now: run.now(),
        execute: true,
        output: run.quiet(),
      }),
    (r) => `${r.applied.length} actions${r.failures.length ? `, ${r.failures.length} FAILED` : ''}`,
  );
  const bootstrapOutput = run.quiet();
  const deployed = () => bootstrapOutput.lines.filter((l) => /^(created|updated|unchanged) /.test(l)).length;
  const bootstrapped = await steps.run(
    'bootstrap: artifact buckets, event buses, handler queues and rules',
    () =>
      runArtifactAction('bootstrap', {
        config: specialAccountsOnly(config),
        management: org,
        execute: true,
        output: bootstrapOutput,
      }),
    (outcome) => (outcome === 'done' ? `${deployed()} stacks deployed` : `FAILED (${outcome})`),
  );
  if (bootstrapped !== 'done') {
    run.output.err(bootstrapOutput.lines.join('\n'));
    return undefined;
  }

  const topologyFor = (): Promise<Topology> => organizationTopology(config, org);
  const startPollers = async (): Promise<LocalPollers> => {
    const topology = await topologyFor();
    // As the Lambda's ORGBRIDGE_SPECIAL_ACCOUNTS: the accounts no event may move or retire.
    const specialAccounts = Object.fromEntries(
      topology.accounts
        .filter((a) => a.kind !== 'member' && a.kind !== 'management')
        .map((a) => [a.kind, a.accountId]),
    );
    run.running.pollers = await startLocalPollers({
      topology,
      clientsFor: (id) => (id === managementId ? org : org.forAccount(id)),
      handlersFor: (kind) =>
        handlersFor(kind, {
          accounts: { ...requirePlacementOus(config, 'the local handler runtime'), specialAccounts },
        }),
      // An idle queue costs one ReceiveMessage per wait: at 1 s, 80 accounts made most of the
      // emulator's work. A message ends the wait at once (SQS long polling returns on arrival).
      waitSeconds: LOCAL_POLL_WAIT_SECONDS,
      concurrency: 8,
      onOutcome: (account, outcome) => run.outcomes.push({ account, outcome }),
      // The audit Lambda's store, so `orgbridge trace` reads the run's requests afterwards.
      auditStore: true,
    });
    if (run.running.stopped) await stoppedMeanwhile(run.running.pollers);
    return run.running.pollers;
  };
  await steps.run('start the local handler runtime', startPollers, () => 'polling every handler queue');

  const sync = await steps.run(
    'sync-accounts --execute (from the cicd account, over EventBridge)',
    async () => {
      // As in AWS: the pipeline holds cicd credentials and asks the management account's
      // handlers (run by the local runtime) over the buses; request/response on the reply queue.
      const cicd = org.forAccount((await topologyFor()).cicdAccountId);
      const client = await cicdRequestClient(cicd, {
        busName: config.organization.event_bus,
        source: config.organization.event_source,
        waitSeconds: 1,
      });
      try {
        const gateway = eventBridgeAccountsGateway({ client, managementAccountId: managementId });
        return await syncAccounts({ config, gateway, now: run.now(), execute: true, output: run.quiet() });
      } finally {
        await client.close();
      }
    },
    (r) => {
      const counts = new Map<string, number>();
      for (const a of r.applied) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
      const parts = [...counts.entries()].map(([k, n]) => `${n} ${k}`);
      return `${parts.join(', ') || 'nothing to do'} over EventBridge${r.failures.length ? `, ${r.failures.length} FAILED` : ''}`;
    },
  );
  await steps.run(
    'bootstrap the new accounts (buses, handler queues, cicd forward rules)',
    () => runArtifactAction('bootstrap', { config, management: org, execute: true, output: run.quiet() }),
    (outcome) => (outcome === 'done' ? 'done' : `FAILED (${outcome})`),
  );
  // The old loops finish their last long poll (up to its wait) and what it received in the
  // background, while the new ones, which know the new accounts, already poll.
  run.running.retiring = run.running.pollers?.stop();
  await steps.run('restart the handler runtime on every account', startPollers, () => 'polling');
  return { sync, topologyFor };
}

/** The pipeline's actions, run where they run in AWS, after the parent DNS zone exists. */
async function runPipelineActions(
  run: LocalRun,
  started: Awaited<ReturnType<typeof startOrganization>>,
  topologyFor: () => Promise<Topology>,
): Promise<string[]> {
  const { steps, output } = run;
  const { org, config, configDir, env } = started;
  const parentDomain = config.organization.dns_parent_domain;
  if (parentDomain) {
    await steps.run(
      `host the parent DNS zone ${parentDomain} in the dns account (in AWS: once, delegated from your registrar)`,
      async () => {
        const dns = org.forAccount((await topologyFor()).dnsAccountId);
        await dns.route53().send(
          new CreateHostedZoneCommand({
            Name: parentDomain,
            CallerReference: `orgbridge-local-${parentDomain}`,
          }),
        );
      },
      () => 'zone created',
    );
  }
  const runAction = async (name: string, as: Record<string, string>) => {
    const registered = ACTIONS[name];
    if (!registered) throw new Error(`no action ${name}`);
    const action = await registered.load();
    const captured = run.quiet();
    const context: ActionContext = {
      configDir,
      execute: true,
      output: captured,
      // The action builds its clients from this environment (the emulator, and the credentials
      // of `as`), as it would in a shell pointed at the emulator; process.env is left alone.
      env: { ...process.env, ...env, ...as },
      now: run.now,
    };
    const outcome = await action.run(context);
    if (outcome !== 'done') output.err(captured.lines.slice(-30).join('\n'));
    return { outcome, lines: captured.lines };
  };
  const failed: string[] = [];
  // The pipeline runs where it runs in AWS: in the cicd account, over EventBridge. The policy
  // and ECR syncs act with management credentials, as their docs say.
  const cicdCredentials = await cicdEnvironment(org, (await topologyFor()).cicdAccountId);
  const actionsToRun: [string, Record<string, string>][] = [
    ['pipeline', cicdCredentials],
    ['sync-policies', {}],
    ['sync-ecr', {}],
    // The user's stacks, from the cicd account like the pipeline (DEPLOY_CUSTOMIZATION).
    ...(config.customizations?.length
      ? [['customizations', cicdCredentials] as [string, Record<string, string>]]
      : []),
  ];
  for (const [name, as] of actionsToRun) {
    const result = await steps.run(
      `run --action ${name} --execute${as === cicdCredentials ? ' (from the cicd account, over EventBridge)' : ''}`,
      () => runAction(name, as),
      (r) => (r.outcome === 'done' ? lastMeaningfulLine(r.lines) : `FAILED (${r.outcome})`),
    );
    if (result.outcome !== 'done') failed.push(name);
  }
  return failed;
}

async function runPipeline(run: LocalRun): Promise<PipelineResult | undefined> {
  const started = await startOrganization(run);
  const built = await buildOrganization(run, started);
  if (!built) return undefined;
  const failed = await runPipelineActions(run, started, built.topologyFor);
  return {
    config: started.config,
    configDir: started.configDir,
    env: started.env,
    sync: built.sync,
    failed,
    outcome: built.sync.failures.length || failed.length ? 'failed' : 'done',
  };
}

/** The organization as the run left it: the OU tree, the steps, the events, the report. */
async function summarize(run: LocalRun, result: PipelineResult, startedAt: number): Promise<void> {
  const { output, steps } = run;
  const org = run.running.management as AwsClients;
  const observed = await observeOrganization(organizationsPort(org.organizations()), { tagConcurrency: 8 });
  const seconds = (performance.now() - startedAt) / 1000;
  const byType = new Map<string, number>();
  for (const { outcome } of run.outcomes) {
    const key = `${outcome.type ?? 'unknown'} ${outcome.status}`;
    byType.set(key, (byType.get(key) ?? 0) + 1);
  }
  output.out(`\norgbridge local: ${observed.accounts.length} accounts in ${seconds.toFixed(1)} s\n`);
  output.out(renderOuTree(observed));
  output.out(`\nsteps:`);
  for (const r of steps.records)
    output.out(`  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.name}: ${r.summary}`);
  output.out(
    `\nevents the local handler runtime processed (AWS calls of this process: ${org.counter.total}):`,
  );
  for (const [key, n] of [...byType.entries()].sort()) output.out(`  ${key.padEnd(48)} ${n}`);
  if (run.options.verbose) {
    // Where the emulator's time goes: the handler runtime's calls, most frequent first.
    output.out('AWS calls of the handler runtime, most frequent first:');
    const calls = Object.entries(org.counter.snapshot()).sort(([, a], [, b]) => b - a);
    for (const [operation, n] of calls.slice(0, 15)) output.out(`  ${operation.padEnd(48)} ${n}`);
  }
  const { sync, config } = result;
  output.out(
    `account plan: ${sync.applied.length} of ${sync.plan.actions.length} action(s) applied${sync.failures.length ? `, ${sync.failures.length} failed` : ''}`,
  );
  // The report shows the organization the run left next to the config, the plan it applied,
  // and what a plan would still do now (nothing, when every step succeeded).
  writeFileSync(
    run.files.reportFile,
    renderHtmlReport({
      config,
      observed,
      plan: planAccountChanges({ config, observed, now: run.now() }),
      planSource: 'planned again after the run',
      applied: {
        applied: sync.applied.length,
        failed: sync.failures.length,
        total: sync.plan.actions.length,
      },
      generatedAt: run.now(),
    }),
  );
  output.out(`report (what AWS holds next to the config, the plan it applied): ${run.files.reportFile}`);
  if (result.failed.length) output.out(`\nfailed steps: ${result.failed.join(', ')}`);
}

function printKeepRunning(output: Output, result: PipelineResult): void {
  output.out(`\nThe emulated organization keeps running. In another shell:\n`);
  output.out(
    `  export ${Object.entries(result.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  output.out(`  node ${CLI_ENTRY} -c ${result.configDir} plan`);
  output.out(`\nPress Ctrl-C to stop.`);
}

/** This package's CLI entry, so the printed command works without installing anything. */
const CLI_ENTRY = join(packageRoot(), 'bin', 'orgbridge.js');

/**
 * `orgbridge local`: see the top of this file. Returns how the run ended: done, failed (a step
 * failed), or the signal that stopped it (the emulator is stopped in every case); the CLI turns
 * that into an exit code.
 */
export async function runLocal(output: Output, options: LocalOptions = {}): Promise<Outcome | StopSignal> {
  const startedAt = performance.now();
  const files = createRunFiles(options.reportFile);
  const outcomes: LocalRun['outcomes'] = [];
  const progress = new StepProgress(() => outcomes.length);
  const running: Running = {};
  const run: LocalRun = {
    output,
    options,
    files,
    running,
    outcomes,
    now: options.now ?? (() => new Date()),
    steps: new Steps(
      output,
      progress,
      options.progressIntervalMs ??
        (output.interactive ? PROGRESS_INTERVAL_MS.interactive : PROGRESS_INTERVAL_MS.log),
    ),
    quiet: () => quietOutput(output, options.verbose, (t) => progress.line(t)),
  };
  // Stopping kills moto first: the pipeline's calls then fail at once instead of running on.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      running.stopped = true;
      const { server, pollers, retiring, management } = running;
      await server?.stop();
      await pollers?.stop().catch(() => undefined);
      await retiring?.catch(() => undefined);
      management?.destroy();
    })();
    return stopping;
  };
  const interruption = new Interruption(
    options.signals ?? process,
    (signal) => {
      output.err(`\n${signal}: stopping the handler runtime and the emulator`);
      void stop();
    },
    options.onSecondSignal,
  );
  let outcome: 'ok' | 'failed' | 'interrupted' = 'failed';
  try {
    const work = runPipeline(run).then(async (result) => {
      if (result) await summarize(run, result, startedAt);
      return result;
    });
    work.catch(() => undefined); // abandoned when a signal wins the race below
    const result = await Promise.race([work, interruption.received.then(() => 'interrupted' as const)]);
    if (result === 'interrupted') {
      outcome = 'interrupted';
      output.err('stopped before the run ended: no report was written');
      return interruption.signal as StopSignal;
    }
    if (!result) return 'failed';
    if (options.keepRunning) {
      printKeepRunning(output, result);
      await interruption.received;
    }
    outcome = result.outcome === 'done' ? 'ok' : 'failed';
    return result.outcome;
  } finally {
    interruption.dispose();
    await stop();
    for (const line of finishRunFiles(files, outcome)) output.err(line);
  }
}
