/**
 * Modelled real-AWS wall time of provisioning N new accounts end to end (create, stack set
 * instances, baseline, VPC, DNS, policies), for orgbridge and for the peer's (org-formation's)
 * approach to the same work, on the virtual clock of bench/aws-model.ts. `npm run bench` reports
 * 11, 100 and 1,000 accounts with the critical path; run alone with `npx tsx bench/aws-time.ts`.
 *
 * Each workload mirrors its tool's code: what it calls, what it waits for, and how much it
 * runs at once (the numbers quoted below are those of the code).
 */
import { pathToFileURL } from 'node:url';
import { MAX_CREATIONS_IN_FLIGHT } from '../src/pipeline/sync-accounts.js';
import {
  AWS_FIGURES,
  type AwsFigures,
  AwsModel,
  modelThrottledReads,
  pool,
  Semaphore,
  Tracer,
} from './aws-model.js';
import type { BenchResult } from './types.js';

export interface Scenario {
  /** New accounts to provision. */
  readonly accounts: number;
  /** Accounts the organization has already (read by every sync). */
  readonly existing: number;
  /** OUs of the organization. */
  readonly ous: number;
  /** Share of the new accounts that get the standard VPC (create_vpc). */
  readonly vpcShare: number;
  /** Policies (SCP, tag) the config describes. */
  readonly policies: number;
  /** Steps the pipeline runs at once (`provision`'s concurrency, 16 by default). */
  readonly pipelineSlots: number;
}

export const scenario = (accounts: number): Scenario => ({
  accounts,
  existing: 6,
  ous: 8,
  vpcShare: 0.5,
  policies: 10,
  pipelineSlots: 16,
});

export interface Modelled {
  readonly ms: number;
  readonly calls: number;
  readonly criticalPath: readonly { name: string; ms: number }[];
  /** Most account creations the organization had in progress at once. */
  readonly creationsAtOnce: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** orgbridge's read of the organization (observeOrganization): tree, accounts, tags at 8 in flight. */
async function observe(model: AwsModel, accounts: number, ous: number): Promise<void> {
  await Promise.all([
    model.call('organizations', 'DescribeOrganization'),
    model.call('organizations', 'ListRoots'),
  ]);
  await pool(range(ous + 1), 4, () => model.call('organizations', 'ListOrganizationalUnitsForParent'));
  await Promise.all([
    pool(range(Math.ceil(accounts / 20)), 1, () => model.call('organizations', 'ListAccounts')),
    pool(range(ous + 1), 4, () => model.call('organizations', 'ListAccountsForParent')),
  ]);
  await pool(range(accounts), 8, () => model.call('organizations', 'ListTagsForResource'));
}

/** Polls DescribeCreateAccountStatus as `pollDelays` says until the creation has completed. */
async function createAccount(model: AwsModel, nextPoll: (previous: number) => number): Promise<void> {
  await model.creations.use(async () => {
    await model.call('organizations', 'CreateAccount');
    const done = model.sim.now + model.figures.accountCreationMs;
    let delay = nextPoll(0);
    for (;;) {
      await model.sim.sleep(delay);
      await model.call('organizations', 'DescribeCreateAccountStatus');
      if (model.sim.now >= done) return;
      delay = nextPoll(delay);
    }
  });
}

/**
 * orgbridge: `sync-accounts` (creations 5 at a time, each polled from 2 s doubling to 30 s, then
 * moved and tagged), the stack sets deploying each account's bus and handlers as it lands in its
 * OU, `sync-policies`, then `run --action pipeline` (16 steps at a time).
 */
export async function modelOrgbridge(s: Scenario, figures: AwsFigures = AWS_FIGURES): Promise<Modelled> {
  const model = new AwsModel(figures);
  const trace = new Tracer(model.sim);
  const { sim } = model;
  const instances: Promise<void>[] = [];
  const run = await sim.run(async () => {
    await trace.span('organization', 'sync-accounts: read the organization', () =>
      observe(model, s.existing, s.ous),
    );
    await model.call('organizations', 'ListCreateAccountStatus');
    const creating = new Semaphore(MAX_CREATIONS_IN_FLIGHT);
    await trace.span('organization', 'sync-accounts: create accounts', () =>
      pool(range(s.accounts), s.accounts, async (i) => {
        const lane = `account ${i + 1}`;
        await trace.slot(lane, 'a creation slot (5 in progress)', creating, 'create account', async () => {
          await createAccount(model, (d) => (d ? Math.min(d * 2, 30_000) : 2_000));
          for (const op of ['ListParents', 'MoveAccount', 'TagResource'])
            await model.call('organizations', op);
        });
        // Automatic deployment: the account's instances start when it joins a target OU.
        instances[i] = trace.span(lane, 'stack set instances (bus, then handlers)', async () => {
          await sim.sleep(figures.stackSetOperationMs + figures.stackMs.bus);
          await sim.sleep(figures.stackSetOperationMs + figures.stackMs.handlers);
        });
      }),
    );
    await trace.span('organization', 'sync-policies', async () => {
      await observe(model, s.existing + s.accounts, s.ous);
      await pool(range(s.policies), 1, async () => {
        await model.call('organizations', 'ListTargetsForPolicy');
        await model.call('organizations', 'DescribePolicy');
      });
    });
    await trace.span('organization', 'pipeline: read state', () => model.call('s3', 'GetObject', 'cicd'));
    await pipeline(model, trace, s, instances);
  });
  return {
    ms: run.ms,
    calls: model.totalCalls,
    criticalPath: trace.criticalPath(),
    creationsAtOnce: model.creations.maxHeld,
  };
}

/** The pipeline's DAG on a pool of 16: per account wait -> forward rule -> the account's steps. */
async function pipeline(model: AwsModel, trace: Tracer, s: Scenario, instances: Promise<void>[]) {
  const { sim, figures } = model;
  const slots = new Semaphore(s.pipelineSlots);
  const step = (lane: string, name: string, fn: () => Promise<void>) =>
    trace.slot(lane, `a pipeline slot (${s.pipelineSlots} steps at once)`, slots, name, fn);
  const once = [
    step('organization', 'iam-mapping stack', () =>
      model.request('identity', () => model.stack('identity', 'identity')),
    ),
    step('organization', 'log-buckets stack', () => model.request('logs', () => model.stack('logs', 'logs'))),
  ];
  const perAccount = range(s.accounts).map(async (i) => {
    const lane = `account ${i + 1}`;
    const account = `new-${i}`;
    let landed = false;
    void instances[i]?.then(() => {
      landed = true;
    });
    await step(lane, 'wait-stack-instances', async () => {
      let poll = 5_000;
      for (;;) {
        await model.request('management', () => model.call('cloudformation', 'DescribeStackInstance'));
        if (landed) return;
        await sim.sleep(poll);
        poll = Math.min(poll * 1.5, 30_000);
      }
    });
    await step(lane, 'forward-rule', async () => {
      await model.call('eventbridge', 'PutRule', 'cicd');
      await model.call('eventbridge', 'PutTargets', 'cicd');
    });
    const work = [
      step(lane, 'ssm-parameters', () =>
        model.request(account, () => pool(range(8), 1, () => model.call('ssm', 'PutParameter', account))),
      ),
      step(lane, 'baseline stack', () => model.request(account, () => model.stack('baseline', account))),
      step(lane, 'dns-zone', () =>
        model.request('dns', async () => {
          for (const op of ['CreateHostedZone', 'ChangeResourceRecordSets'])
            await model.call('route53', op, 'dns');
          await sim.sleep(figures.stackMs.dnsZone);
        }),
      ),
    ];
    if (i < s.accounts * s.vpcShare)
      work.push(step(lane, 'vpc stack', () => model.request(account, () => model.stack('vpc', account))));
    await Promise.all(work);
  });
  await Promise.all([...once, ...perAccount]);
}

/**
 * The peer's approach to the same work (org-formation 1.0.17 with its defaults): `update` runs
 * its organization tasks one after another (creating an account, polling every second, moving
 * it out of the root and into its OU, tagging it), then `perform-tasks` deploys the templates
 * (bus, handlers, baseline, VPC, DNS zone) as stacks, one stack at a time
 * (`--max-concurrent-stacks` and `--max-concurrent-tasks` default to 1). It has no stack sets,
 * no events and no tag policies; the SCPs are tasks like the others.
 */
export async function modelPeer(s: Scenario, figures: AwsFigures = AWS_FIGURES): Promise<Modelled> {
  const model = new AwsModel(figures);
  const trace = new Tracer(model.sim);
  const run = await model.sim.run(async () => {
    await trace.span('organization', 'update: read the organization', async () => {
      for (const op of ['ListRoots', 'ListPolicies', 'DescribeOrganization'])
        await model.call('organizations', op);
      // Every account at once (Promise.all): two role assumptions and four reads each.
      await Promise.all(
        range(s.existing).map(async (i) => {
          await model.call('sts', 'AssumeRole', `old-${i}`);
          await Promise.all([
            model.call('organizations', 'ListTagsForResource'),
            model.call('iam', 'ListAccountAliases', `old-${i}`),
            model.call('iam', 'GetAccountPasswordPolicy', `old-${i}`),
            model.call('other', 'DescribeSeverityLevels', `old-${i}`),
          ]);
        }),
      );
    });
    for (const i of range(s.accounts)) {
      await trace.span(`account ${i + 1}`, 'create, move, tag (one at a time)', async () => {
        await createAccount(model, () => 1_000);
        for (const op of ['MoveAccount', 'MoveAccount', 'TagResource']) await model.call('organizations', op);
      });
    }
    for (const i of range(s.accounts)) {
      const lane = `account ${i + 1}`;
      const account = `new-${i}`;
      const kinds = ['bus', 'handlers', 'baseline', 'dnsZone'] as const;
      for (const kind of i < s.accounts * s.vpcShare ? [...kinds, 'vpc' as const] : kinds)
        await trace.span(lane, `${kind} stack (one at a time)`, async () => {
          await model.call('sts', 'AssumeRole', account);
          await model.stack(kind, account);
        });
    }
  });
  return {
    ms: run.ms,
    calls: model.totalCalls,
    criticalPath: trace.criticalPath("other accounts' tasks (one at a time)"),
    creationsAtOnce: model.creations.maxHeld,
  };
}

export const minutes = (ms: number) => ms / 60_000;

/** The critical path in words: its largest pieces, merged by name. */
export function describePath(path: readonly { name: string; ms: number }[], top = 4): string {
  const byName = new Map<string, number>();
  for (const p of path) {
    const name = p.name.replace(/ \(account \d+\)$/, '');
    byName.set(name, (byName.get(name) ?? 0) + p.ms);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => `${name} ${minutes(ms).toFixed(1)} min`)
    .join(', ');
}

export async function benchAwsTime(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const n of [11, 100, 1000]) {
    const ob = await modelOrgbridge(scenario(n));
    const peer = await modelPeer(scenario(n));
    process.stderr.write(
      `modelled ${n} accounts: orgbridge ${minutes(ob.ms).toFixed(1)} min (${describePath(ob.criticalPath)}); peer ${minutes(peer.ms).toFixed(1)} min (${describePath(peer.criticalPath)})\n`,
    );
    out.push(
      {
        name: `modelled real AWS, ${n} new accounts, orgbridge`,
        value: minutes(ob.ms),
        unit: 'min',
        ...(n === 11 ? { goal: 'design: about 30 min' } : {}),
      },
      {
        name: `modelled real AWS, ${n} new accounts, org-formation's approach`,
        value: minutes(peer.ms),
        unit: 'min',
      },
    );
  }
  // What if the pipeline ran more steps at once: its steps mostly wait on CloudFormation.
  out.push({
    name: 'modelled, 1000 new accounts, orgbridge, pipeline 64 steps at once',
    value: minutes((await modelOrgbridge({ ...scenario(1000), pipelineSlots: 64 })).ms),
    unit: 'min',
  });
  // The no-op's tag reads (one ListTagsForResource per account, 8 in flight) against a throttling
  // Organizations: the SDK's standard retries, or paced by a client-side rate.
  for (const n of [1000, 5000])
    for (const paced of [false, true]) {
      const r = await modelThrottledReads(n, 8, paced);
      const how = paced ? 'paced at the rate' : 'standard retries';
      out.push(
        { name: `modelled, tags of ${n} accounts read 8 at a time, ${how}`, value: r.ms / 1000, unit: 's' },
        { name: `  reads failed (throttled past the retries), ${how}`, value: r.failed, unit: 'reads' },
      );
    }
  for (const [label, figures] of sensitivity())
    out.push({
      name: `modelled, 100 new accounts, orgbridge, ${label}`,
      value: minutes((await modelOrgbridge(scenario(100), figures)).ms),
      unit: 'min',
    });
  return out;
}

/** The figures AWS does not publish, varied one at a time. */
export function sensitivity(): [string, AwsFigures][] {
  const rate = (perSecond: number): AwsFigures => ({
    ...AWS_FIGURES,
    rate: { ...AWS_FIGURES.rate, organizations: { perSecond, burst: perSecond * 2 } },
  });
  return [
    ['Organizations 5 req/s', rate(5)],
    ['Organizations 20 req/s', rate(20)],
    ['CreateAccount 2 min', { ...AWS_FIGURES, accountCreationMs: 2 * 60_000 }],
    ['CreateAccount 8 min', { ...AWS_FIGURES, accountCreationMs: 8 * 60_000 }],
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchAwsTime()) console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}`);
}
