import { createHash } from 'node:crypto';
import {
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { memoryIo } from '../../../src/cli/io.js';
import type { ResolvedConfig } from '../../../src/config/model.js';
import { accountZoneName } from '../../../src/handlers/dns/authorize.js';
import { accountDnsParameters } from '../../../src/handlers/dns/zones.js';
import { s3CompletionStore } from '../../../src/pipeline/engine/state-stores.js';
import { directProvisioningGateway } from '../../../src/pipeline/gateways/provision-gateway.js';
import { provision } from '../../../src/pipeline/provision.js';
import { artifactBucketName, templateKey } from '../../../src/protocol/names.js';
import { type ChaosFigures, faultFigures } from '../../support/chaos-report.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import type { MotoFixture } from '../../support/moto.js';
import { createOrganization } from '../../support/moto.js';
import { bootstrapOrganization, HOME_REGION, type ProvisionedOrg } from '../../support/provisioning.js';
import { chaosClients, FAULT_RATES } from './faulty-sync.js';

/**
 * The provisioning pipeline (`run --action pipeline`, direct gateway) while the fault proxy
 * throttles 20 % and fails 5 % of every Route 53, S3 and STS call: the template uploads and the
 * completion state in the cicd artifact bucket (S3), ENSURE_ACCOUNT_ZONE for every account
 * (Route 53: zone lookup, CreateHostedZone, GetHostedZone, the NS UPSERT in the parent zone),
 * and the AssumeRole behind every other account's clients (STS: each run starts with fresh
 * clients, so with an empty credential cache).
 *
 * Each round points the organization at a new `dns_parent_domain` (so every account gets a new
 * zone) and a new state object (so every step, uploads included, runs again), and re-runs the
 * pipeline until it reports no failure (at most `maxRuns` times). It converges when, judged on
 * the emulator itself and not through the proxy: every step the plan holds is in the state
 * object; every account has exactly one zone under the round's parent, delegated from it with
 * the zone's own name servers and exported as its SSM parameter; every uploaded template is in
 * the bucket with the content its name's hash says.
 */

/** Members without VPCs: the run is about Route 53, S3 and STS, not about EC2 stacks. */
export const PROVISION_MEMBERS = ['app', 'web', 'batch']
  .map((key) => `  ${key}:\n    scope: dev\n    create_vpc: false\n`)
  .join('');

export const PROVISION_FAULTS = /^(Route53|S3|STS)\./;

export async function createProvisionedOrg(moto: MotoFixture): Promise<ProvisionedOrg> {
  const { managementId } = await createOrganization(moto.management);
  return bootstrapOrganization(moto.management, managementId, PROVISION_MEMBERS);
}

export interface FaultyProvisionOptions {
  readonly rounds: number;
  /** Tells this run's parent domains and state objects apart. */
  readonly run: string;
  readonly maxRuns?: number;
}

export async function runFaultyProvisioning(
  moto: MotoFixture,
  proxy: FaultProxy,
  org: ProvisionedOrg,
  options: FaultyProvisionOptions,
): Promise<{
  figures: Partial<ChaosFigures>;
  problems: string[];
  retries: number;
  steps: number;
  /** Step failures of runs that had to be repeated: faults the retries did not absorb. */
  surfaced: string[];
}> {
  const before = proxy.snapshot();
  const problems: string[] = [];
  const direct = moto.management;
  const dns = direct.forAccount(org.special.dns);
  const cicd = direct.forAccount(org.special.cicd);
  const bucket = artifactBucketName(org.special.cicd, HOME_REGION);
  let converged = 0;
  let zonesDuplicated = 0;
  let stateEntriesLost = 0;
  let artifactsLost = 0;
  let retries = 0;
  let steps = 0;
  const surfaced: string[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const parent = `r${round}.${options.run}.example.com`;
      const stateKey = `state/chaos-${options.run}-r${round}.json`;
      await dns.route53().send(new CreateHostedZoneCommand({ Name: parent, CallerReference: parent }));
      const config: ResolvedConfig = {
        ...org.config,
        organization: { ...org.config.organization, dns_parent_domain: parent },
      };
      proxy.setRules([{ match: PROVISION_FAULTS, ...FAULT_RATES }]);
      let clean = false;
      let planned: readonly { id: string }[] = [];
      for (let attempt = 0; attempt < (options.maxRuns ?? 3) && !clean; attempt++) {
        // Fresh clients each run: an empty credential cache, so every account's AssumeRole again.
        const clients = chaosClients(proxy);
        try {
          const io = memoryIo();
          const result = await provision({
            config,
            observed: org.observed,
            organizationId: org.organizationId,
            gateway: directProvisioningGateway({
              management: clients,
              config,
              accountIds: org.ids,
              specialIds: org.special,
              homeRegion: HOME_REGION,
              deploy: { maxWaitMs: 5_000, pollMs: 10, sleep: async () => {} },
            }),
            store: s3CompletionStore(clients.forAccount(org.special.cicd).s3(HOME_REGION), bucket, stateKey),
            execute: true,
            output: io,
            waitPollMs: 1,
            waitTimeoutMs: 2_000,
            sleep: async () => {},
          });
          planned = result.plan.steps;
          steps += result.run?.counts.done ?? 0;
          clean = result.run?.ok === true;
          if (!clean) surfaced.push(...io.stderr.filter((l) => l.includes('failed:')));
          if (!clean && attempt === (options.maxRuns ?? 3) - 1) {
            problems.push(
              `round ${round}: still failing after ${attempt + 1} runs: ${io.stderr.join(' | ')}`,
            );
          }
        } finally {
          retries += clients.retries.count;
          clients.destroy();
        }
      }
      proxy.setRules([]);

      // The state object: every planned step recorded.
      let ok = clean;
      const state = await cicd
        .s3(HOME_REGION)
        .send(new GetObjectCommand({ Bucket: bucket, Key: stateKey }))
        .then(async (o) => JSON.parse((await o.Body?.transformToString('utf8')) ?? '{}'))
        .catch(() => ({ completed: {} }));
      const lost = planned.filter((s) => !(s.id in (state.completed ?? {})));
      stateEntriesLost += lost.length;
      if (lost.length) {
        ok = false;
        problems.push(
          `round ${round}: ${lost.length} step(s) not in s3://${bucket}/${stateKey}: ${lost[0]?.id}`,
        );
      }

      // The uploads: each template in the bucket, its content matching the hash in its name.
      for (const step of planned.filter((s) => s.id.startsWith('upload-template:'))) {
        const objectName = step.id.slice('upload-template:'.length);
        const body = await cicd
          .s3(HOME_REGION)
          .send(new GetObjectCommand({ Bucket: bucket, Key: templateKey(objectName) }))
          .then((o) => o.Body?.transformToString('utf8'))
          .catch(() => undefined);
        const sha = body === undefined ? 'missing' : createHash('sha256').update(body).digest('hex');
        if (!objectName.endsWith(`-${sha.slice(0, 16)}`)) {
          ok = false;
          artifactsLost++;
          problems.push(
            `round ${round}: template ${objectName} is ${body === undefined ? 'missing' : 'altered'}`,
          );
        }
      }

      // The zones: one per account, delegated from the round's parent, exported to SSM.
      const route53 = dns.route53();
      const zones =
        (await route53.send(new ListHostedZonesByNameCommand({ MaxItems: 100 }))).HostedZones ?? [];
      const parentZone = zones.find((z) => z.Name === `${parent}.`);
      const delegations =
        (
          await route53.send(
            new ListResourceRecordSetsCommand({ HostedZoneId: parentZone?.Id, MaxItems: 300 }),
          )
        ).ResourceRecordSets ?? [];
      for (const account of config.accounts) {
        const id = org.ids[account.key] as string;
        const name = accountZoneName(account.name, parent);
        const same = zones.filter((z) => z.Name === `${name}.`);
        zonesDuplicated += Math.max(0, same.length - 1);
        const zone = same[0];
        const servers = zone
          ? ((await route53.send(new GetHostedZoneCommand({ Id: zone.Id }))).DelegationSet?.NameServers ?? [])
          : [];
        const ns = delegations.find((r) => r.Name === `${name}.` && r.Type === 'NS');
        const delegated = (ns?.ResourceRecords ?? []).map((r) => r.Value).sort();
        const exported = await dns
          .ssm(HOME_REGION)
          .send(new GetParameterCommand({ Name: accountDnsParameters(id).zone }))
          .then((p) => p.Parameter?.Value)
          .catch(() => undefined);
        if (
          same.length !== 1 ||
          servers.length === 0 ||
          JSON.stringify(delegated) !== JSON.stringify([...servers].sort()) ||
          exported !== name
        ) {
          ok = false;
          problems.push(
            `round ${round}: ${name}: ${same.length} zone(s), delegated to [${delegated.join(', ')}] of [${servers.join(', ')}], parameter ${exported}`,
          );
        }
      }
      if (ok) converged++;
    }
  } finally {
    proxy.setRules([]);
  }
  return {
    figures: {
      ...faultFigures(before, proxy.snapshot()),
      runsAttempted: options.rounds,
      runsConverged: converged,
      zonesDuplicated,
      stateEntriesLost,
      artifactsLost,
    },
    problems,
    retries,
    steps,
    surfaced,
  };
}
