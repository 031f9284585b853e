import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AwsClients, emulatorContext, type MotoServer, startMoto } from '../aws/index.js';
import { loadConfig } from '../config/index.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { requirePlacementOus } from '../config/special-accounts.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { organizationsPort } from '../handlers/accounts/ports.js';
import { handlersFor } from '../handlers/registry.js';
import { roleArn } from '../partitions.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { actionTarget } from '../plan/render.js';
import { computeTopology, type Topology } from '../protocol/topology.js';
import { renderHtmlReport } from '../report/html.js';
import type { RecordOutcome } from '../runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../runtime/poller.js';
import { homeRegionOf, resolveAccountIds, templateInputs } from '../templates/inputs.js';
import { topologyInput } from '../templates/topology-adapter.js';
import { cicdRequestClient, directAccountsGateway, eventBridgeAccountsGateway } from './accounts-gateway.js';
import { ACTIONS, type ActionContext } from './actions.js';
import { runArtifactAction } from './bootstrap.js';
import type { Output } from './output.js';
import { syncAccounts } from './sync-accounts.js';

/**
 * `orgbridge local` (`npm start`): the whole product on an emulated organization, in one
 * command. It starts moto, creates the organization, bootstraps every stack, starts the local
 * handler runtime (the in-process stand-in for SQS -> Lambda), runs the pipeline with
 * --execute on the config, and prints what happened.
 */
export interface LocalOptions {
  /** Config directory; default: `-c` if it holds accounts.yml, else the bundled examples/. */
  readonly configDir?: string;
  /** Keep the emulator and the handler runtime up after the run (Ctrl-C stops them). */
  readonly keepRunning?: boolean;
  readonly port?: number;
  /** Stream every step's own output (plans, deploys) instead of one summary line per step. */
  readonly verbose?: boolean;
  readonly now?: () => Date;
}

/** The bundled example organization, from src/pipeline or dist/pipeline alike. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));

export function localConfigDir(requested: string | undefined): string {
  if (requested && existsSync(join(requested, 'accounts.yml'))) return resolve(requested);
  return EXAMPLES_DIR;
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

interface StepRecord {
  readonly name: string;
  readonly ms: number;
  readonly summary: string;
}

/** Records how long each step took and what it did; the report prints them. */
class Steps {
  readonly records: StepRecord[] = [];
  constructor(private readonly output: Output) {}

  async run<T>(name: string, fn: () => Promise<T>, summarize: (value: T) => string): Promise<T> {
    this.output.err(`▶ ${name}`);
    const started = performance.now();
    const value = await fn();
    const record = { name, ms: performance.now() - started, summary: summarize(value) };
    this.records.push(record);
    this.output.err(`  ✓ ${record.summary} (${(record.ms / 1000).toFixed(1)} s)`);
    return value;
  }
}

/** Captures step output: the local run shows a summary, not every plan line (unless verbose). */
function quietOutput(parent: Output, verbose = false): Output & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: (t) => {
      lines.push(t);
      if (verbose) parent.err(t);
    },
    err: (t) => {
      lines.push(t);
      if (verbose) parent.err(t);
    },
    interactive: false,
    color: parent.color,
  };
}

/** What a shell needs to talk to the emulator: printed by --keep-running, used by the actions. */
export function emulatorEnvironment(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: region,
    ORGBRIDGE_PIPELINE_STATE: 'file',
    ORGBRIDGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'orgbridge-local-state-')),
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

export async function runLocal(output: Output, options: LocalOptions = {}): Promise<number> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const steps = new Steps(output);
  const configDir = localConfigDir(options.configDir);
  let server: MotoServer | undefined;
  let pollers: LocalPollers | undefined;
  let management: AwsClients | undefined;
  const outcomes: { account: string; outcome: RecordOutcome }[] = [];
  try {
    const loaded = await steps.run(
      'load the organization config',
      () => loadConfig(configDir),
      (c) => `${c.accounts.length} accounts, ${Object.keys(c.scopes).length} scopes from ${configDir}`,
    );
    const region = homeRegionOf(loaded);
    server = await steps.run(
      'start the AWS emulator',
      () => startMoto(options.port !== undefined ? { port: options.port } : {}),
      (s) => `moto server on ${s.endpoint}`,
    );
    const context = emulatorContext(server.endpoint, { region });
    // The actions below build their own clients from the environment, exactly as they do when a
    // person runs `orgbridge run --action ...` against this emulator afterwards.
    const env = emulatorEnvironment(server.endpoint, region);
    Object.assign(process.env, env);
    const runAction = async (
      name: string,
      as: Record<string, string> = {},
    ): Promise<{ code: number; lines: string[] }> => {
      const registered = ACTIONS[name];
      if (!registered) throw new Error(`no action ${name}`);
      const action = await registered.load();
      const captured = quietOutput(output, options.verbose);
      const actionContext: ActionContext = {
        configDir,
        execute: true,
        output: captured,
        env: { ...process.env, ...as },
        now,
      };
      // The SDK's default credential chain reads process.env: act as `as` for this action only.
      const saved = Object.fromEntries(Object.keys(as).map((k) => [k, process.env[k]]));
      Object.assign(process.env, as);
      const code = await action.run(actionContext).finally(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      });
      if (code !== 0) output.err(captured.lines.slice(-30).join('\n'));
      return { code, lines: captured.lines };
    };
    management = new AwsClients(context);
    const org = management;
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
    const config = adoptManagementAccount(loaded, managementId);
    const port = organizationsPort(org.organizations());
    const direct = directAccountsGateway(port);

    await steps.run(
      'create the special accounts (bootstrap is done with management credentials)',
      () =>
        syncAccounts({
          config: specialAccountsOnly(config),
          gateway: direct,
          now: now(),
          execute: true,
          output: quietOutput(output, options.verbose),
        }),
      (r) => `${r.applied.length} actions${r.failures.length ? `, ${r.failures.length} FAILED` : ''}`,
    );
    const bootstrapOutput = quietOutput(output, options.verbose);
    const bootstrapCode = await steps.run(
      'bootstrap: artifact buckets, event buses, handler queues and rules',
      () =>
        runArtifactAction('bootstrap', {
          config: specialAccountsOnly(config),
          management: org,
          execute: true,
          output: bootstrapOutput,
        }),
      (code) =>
        code === 0
          ? `${bootstrapOutput.lines.filter((l) => l.startsWith('deploy')).length || 'all'} stacks deployed`
          : `FAILED (exit ${code})`,
    );
    if (bootstrapCode !== 0) {
      output.err(bootstrapOutput.lines.join('\n'));
      return 1;
    }

    const topologyFor = async (): Promise<Topology> => {
      const observed = await observeOrganization(port, { tagConcurrency: 8 });
      const described = await org.organizations().send(new DescribeOrganizationCommand({}));
      const inputs = templateInputs(config, {
        observed,
        organizationId: described.Organization?.Id as string,
      });
      return computeTopology(topologyInput(inputs));
    };
    const startPollers = async (): Promise<LocalPollers> => {
      const topology = await topologyFor();
      return startLocalPollers({
        topology,
        clientsFor: (id) => (id === managementId ? org : org.forAccount(id)),
        handlersFor: (kind) =>
          handlersFor(kind, {
            accounts: requirePlacementOus(config, 'the local handler runtime'),
          }),
        waitSeconds: 1,
        concurrency: 8,
        onOutcome: (account, outcome) => outcomes.push({ account, outcome }),
      });
    };
    pollers = await steps.run(
      'start the local handler runtime',
      startPollers,
      () => 'polling every handler queue',
    );

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
          return await syncAccounts({
            config,
            gateway,
            now: now(),
            execute: true,
            output: quietOutput(output, options.verbose),
          });
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
    const memberBootstrap = quietOutput(output, options.verbose);
    await steps.run(
      'bootstrap the new accounts (buses, handler queues, cicd forward rules)',
      () =>
        runArtifactAction('bootstrap', { config, management: org, execute: true, output: memberBootstrap }),
      (code) => (code === 0 ? 'done' : `FAILED (exit ${code})`),
    );
    await pollers.stop();
    pollers = await steps.run('restart the handler runtime on every account', startPollers, () => 'polling');

    const parentDomain = config.organization.dns_parent_domain;
    if (parentDomain) {
      await steps.run(
        `host the parent DNS zone ${parentDomain} in the dns account (in AWS: once, delegated from your registrar)`,
        async () => {
          const topology = await topologyFor();
          const dns = org.forAccount(topology.dnsAccountId);
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
    const failed: string[] = [];
    // The pipeline runs where it runs in AWS: in the cicd account, over EventBridge. The policy
    // and ECR syncs act with management credentials, as their docs say.
    const cicdCredentials = await cicdEnvironment(org, (await topologyFor()).cicdAccountId);
    const actionsToRun: [string, Record<string, string>][] = [
      ['pipeline', cicdCredentials],
      ['sync-policies', {}],
      ['sync-ecr', {}],
    ];
    for (const [name, as] of actionsToRun) {
      const result = await steps.run(
        `run --action ${name} --execute${name === 'pipeline' ? ' (from the cicd account, over EventBridge)' : ''}`,
        () => runAction(name, as),
        (r) => (r.code === 0 ? lastMeaningfulLine(r.lines) : `FAILED (exit ${r.code})`),
      );
      if (result.code !== 0) failed.push(name);
    }

    const observed = await observeOrganization(port, { tagConcurrency: 8 });
    const seconds = (performance.now() - started) / 1000;
    const byType = new Map<string, number>();
    for (const { outcome } of outcomes) {
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
    output.out(`account plan after the run: ${sync.plan.actions.length} action(s) were applied`);
    if (options.keepRunning) {
      output.out(`\nThe emulated organization keeps running. In another shell:\n`);
      output.out(
        `  export ${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
      output.out(`  npx orgbridge -c ${configDir} plan`);
      output.out(`\nPress Ctrl-C to stop.`);
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
    }
    const reportFile = join(env.ORGBRIDGE_STATE_DIR as string, 'report.html');
    writeFileSync(
      reportFile,
      renderHtmlReport({
        config,
        accountIds: resolveAccountIds(config, observed),
        plan: sync.plan.actions.map((a) => ({ action: a.action, target: actionTarget(a), reason: a.reason })),
        generatedAt: now(),
      }),
    );
    output.out(`report (OU tree, settings with provenance, the account plan it applied): ${reportFile}`);
    if (failed.length) output.out(`\nfailed steps: ${failed.join(', ')}`);
    return sync.failures.length || failed.length ? 1 : 0;
  } finally {
    await pollers?.stop();
    management?.destroy();
    await server?.stop();
  }
}
