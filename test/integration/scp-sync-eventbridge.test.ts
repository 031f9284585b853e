import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateOrganizationalUnitCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
} from '@aws-sdk/client-organizations';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import type { RequestClient } from '../../src/bus/requests.js';
import { memoryIo } from '../../src/cli/io.js';
import type { PolicyDocument, PolicyLimits } from '../../src/config/model.js';
import { DEFAULT_LIMITS } from '../../src/config/resolve.js';
import { syncPoliciesAction } from '../../src/pipeline/actions/sync-policies.js';
import { syncPoliciesByEvent } from '../../src/pipeline/sync-policies.js';
import { syncScpsByEvent } from '../../src/pipeline/sync-scps.js';
import { artifactBucketName, artifactObjectUrl, policyBundleKey } from '../../src/protocol/names.js';
import { encodeScpBundle } from '../../src/protocol/scp-bundle.js';
import type { Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type Conversation, HOME, startConversation } from '../support/conversation.js';
import { useMoto } from '../support/moto.js';
import { accountsYaml } from '../support/provisioning.js';
import { waitFor } from '../support/wait.js';

/** 45 SCP files over 12 OUs: at most 4 per OU, FullAWSAccess being the fifth (the default quota). */
const TEAMS = Array.from({ length: 12 }, (_, i) => `Internal/Team${String(i).padStart(2, '0')}`);

/** An SCP of about 4,100 characters (the default quota is 5,120): 45 of them make a ~190 KB bundle. */
function scp(n: number, version = 1): PolicyDocument {
  const actions = Array.from({ length: 190 }, (_, i) => `svc${n}:Action${String(i).padStart(4, '0')}`);
  const content = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: `Deny${n}v${version}`, Effect: 'Deny', Action: actions, Resource: '*' }],
  });
  const ou = TEAMS[n % TEAMS.length] as string;
  return {
    type: 'scp',
    name: `guardrail-${String(n).padStart(2, '0')}`,
    organization_unit: ou,
    file: `policies/scp/${ou}/guardrail-${n}.json`,
    content,
  };
}

describe('SCP sync over EventBridge with more files than one event holds', () => {
  const moto = useMoto();
  let topology: Topology;
  let conversation: Conversation;
  let client: RequestClient;
  let cicd: AwsClients;
  let managementId: string;
  const ous: Record<string, string> = {};
  const outcomes: RecordOutcome[] = [];

  const managedScps = async () => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const out = await moto()
        .management.organizations()
        .send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY', NextToken: token }));
      names.push(...(out.Policies ?? []).map((p) => p.Name as string));
      token = out.NextToken;
    } while (token);
    return names.filter((n) => n.startsWith('orgbridge-scp-'));
  };
  const attached = async (ou: string) => {
    const out = await moto()
      .management.organizations()
      .send(new ListPoliciesForTargetCommand({ TargetId: ous[ou], Filter: 'SERVICE_CONTROL_POLICY' }));
    return (out.Policies ?? []).map((p) => p.Name).sort();
  };
  const sync = (policies: readonly PolicyDocument[], dryrun: boolean, allowMassChange = false) =>
    syncScpsByEvent({
      client,
      s3: cicd.s3(HOME),
      managementAccountId: managementId,
      homeRegion: HOME,
      policies,
      dryrun,
      ...(allowMassChange ? { allowMassChange } : {}),
      timeoutMs: 25_000,
    });

  beforeAll(async () => {
    const { management } = moto();
    conversation = await startConversation(management, {
      // Observing and applying ~90 changes takes a few seconds: no redelivery meanwhile.
      visibilityTimeoutSeconds: 60,
      // The management Lambda's own registry: SYNC_SCPS as deployed, reading with management's clients.
      settings: { accounts: { rootOu: 'Internal', morgueOu: 'Morgue' } },
      timeoutMs: 25_000,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    ({ topology, managementId, client, cicd } = conversation);
    const organizations = management.organizations();
    const ou = async (parent: string, name: string) =>
      (await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name })))
        .OrganizationalUnit?.Id as string;
    ous.Internal = await ou(conversation.rootId, 'Internal');
    for (const team of TEAMS) ous[team] = await ou(ous.Internal, team.split('/')[1] as string);
    await cicd
      .s3(HOME)
      .send(new CreateBucketCommand({ Bucket: artifactBucketName(topology.cicdAccountId, HOME) }));
  }, 30_000);

  afterAll(async () => {
    await conversation?.stop();
  });

  const files = Array.from({ length: 45 }, (_, i) => scp(i));
  const bucket = () => artifactBucketName(topology.cicdAccountId, HOME);
  /** The set after the second test: 42 files, guardrail-07 updated, 40-42 gone. */
  const next = [...files.slice(0, 40).map((f, i) => (i === 7 ? scp(7, 2) : f)), ...files.slice(43)];

  it('plans 45 files from one uploaded bundle, then applies them from the same object', async () => {
    const dry = await sync(files, true);
    expect(dry.carriage).toBe('uploaded');
    expect(dry.reply).toMatchObject({
      request_type: 'SYNC_SCPS',
      changed: false,
      summary: {
        bundle: '45 files',
        'enable-policy-type': '1',
        'create-policy': '45',
        'attach-policy': '45',
      },
    });
    expect(await managedScps()).toEqual([]);
    const bundle = encodeScpBundle(
      files.map(({ name, organization_unit, content }) => ({ name, organization_unit, content })),
    );
    const key = policyBundleKey(bundle.sha256);
    const head = await cicd.s3(HOME).send(new HeadObjectCommand({ Bucket: bucket(), Key: key }));
    expect(head.ContentLength).toBe(Buffer.byteLength(bundle.body));

    const run = await sync(files, false);
    expect(run.carriage).toBe('already-uploaded');
    expect(run.reply).toMatchObject({ changed: true, summary: { actions: '91' } });
    expect((await managedScps()).sort()).toEqual(files.map((f) => `orgbridge-scp-${f.name}`).sort());
    expect(await attached('Internal/Team00')).toEqual([
      'FullAWSAccess',
      'orgbridge-scp-guardrail-00',
      'orgbridge-scp-guardrail-12',
      'orgbridge-scp-guardrail-24',
      'orgbridge-scp-guardrail-36',
    ]);
    const objects = await cicd
      .s3(HOME)
      .send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: 'policies/' }));
    expect(objects.Contents?.map((o) => o.Key)).toEqual([key]);

    const again = await sync(files, false);
    expect(again.reply).toMatchObject({ changed: false, summary: { actions: '0' } });
  }, 30_000);

  it('deletes what left the set and updates what changed, the whole set being one bundle', async () => {
    const run = await sync(next, false);
    expect(run.carriage).toBe('uploaded');
    expect(run.reply.summary).toMatchObject({
      'update-policy': '1',
      'detach-policy': '3',
      'delete-policy': '3',
      bundle: '42 files',
    });
    const names = await managedScps();
    expect(names).toHaveLength(42);
    expect(names).not.toContain('orgbridge-scp-guardrail-41');
    expect(await attached('Internal/Team05')).toEqual([
      'FullAWSAccess',
      'orgbridge-scp-guardrail-05',
      'orgbridge-scp-guardrail-17',
      'orgbridge-scp-guardrail-29',
    ]);
  }, 30_000);

  it('refuses a reference whose count or location is not the bundle’s, and applies nothing', async () => {
    const before = (await managedScps()).sort();
    const fewer = files.slice(0, 30);
    const { sha256, count } = encodeScpBundle(fewer);
    await sync(fewer, true); // uploads the 30-file bundle
    const url = artifactObjectUrl(topology.cicdAccountId, HOME, policyBundleKey(sha256));
    const refused = (body: Parameters<RequestClient['request']>[2]) =>
      client.request('SYNC_SCPS', managementId, body, { timeoutMs: 25_000 }).catch((e: unknown) => e);
    expect(await refused({ policies_url: url, sha256, count: count + 1 })).toMatchObject({
      remoteCode: 'SYNC_SCPS_BUNDLE_COUNT',
    });
    const elsewhere = artifactObjectUrl(managementId, HOME, policyBundleKey(sha256));
    expect(await refused({ policies_url: elsewhere, sha256, count })).toMatchObject({
      remoteCode: 'SYNC_SCPS_BUNDLE_LOCATION',
    });
    expect((await managedScps()).sort()).toEqual(before);
    // The runtime reports a batch's outcomes once the batch is done, which can be after the
    // reply reached the client.
    const rejected = await waitFor(
      () => {
        const found = outcomes.filter((o) => o.status === 'rejected');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      'both refused requests recorded as rejected',
    );
    expect(rejected.length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('refuses a sync that would delete most or all managed SCPs unless the request says it is intended, in a dry run too', async () => {
    const before = (await managedScps()).sort();
    for (const [set, dryrun] of [
      [[], true],
      [[], false],
      [next.slice(0, 5), false],
    ] as const) {
      await expect(sync(set, dryrun)).rejects.toMatchObject({ remoteCode: 'SYNC_SCPS_MASS_CHANGE' });
    }
    expect((await managedScps()).sort()).toEqual(before);
    // Said to be intended (run --allow-mass-change): planned like any other sync.
    const planned = await sync(next.slice(0, 5), true, true);
    expect(Number(planned.reply.summary?.['delete-policy'])).toBe(before.length - 5);
  }, 60_000);

  describe('run --action sync-policies from the cicd account (syncPoliciesByEvent)', () => {
    /** A 6,000-character SCP: over AWS's default 5,120, within the 10,240 of the 2026 quota. */
    const large: PolicyDocument = (() => {
      const shape = (pad: string) =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'Large', Effect: 'Deny', Action: `large:${pad}`, Resource: '*' }],
        });
      const content = shape('A'.repeat(6000 - shape('').length));
      return {
        type: 'scp',
        name: 'large-guardrail',
        organization_unit: 'Internal/Team05',
        file: 'policies/scp/Internal/Team05/large-guardrail.json',
        content,
      };
    })();
    const tagPolicy: PolicyDocument = {
      type: 'tag',
      name: 'cost-centre',
      organization_unit: 'Internal',
      file: 'policies/tag/Internal/cost-centre.json',
      content: '{"tags":{"cost-centre":{"tag_key":{"@@assign":"cost-centre"}}}}',
    };
    const raised: PolicyLimits = { ...DEFAULT_LIMITS, scp_max_chars: 10_240 };
    const run = async (policies: PolicyDocument[], limits: PolicyLimits, execute: boolean) => {
      const io = memoryIo();
      const { outcome } = await syncPoliciesByEvent({
        config: { policies, organization: { limits } },
        client,
        s3: cicd.s3(HOME),
        managementAccountId: managementId,
        homeRegion: HOME,
        execute,
        output: io,
        timeoutMs: 25_000,
      });
      return { outcome, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
    };

    it('refuses a 6,000-char SCP under the default quota, applying nothing, and syncs it once the config raises the quota', async () => {
      expect(large.content).toHaveLength(6000);
      const wanted = [...next, large, tagPolicy];
      const blocked = await run(wanted, DEFAULT_LIMITS, true);
      expect(blocked.outcome).toBe('failed');
      expect(blocked.out).toContain('SYNC_SCPS_BLOCKED');
      expect(blocked.out).toContain('large-guardrail');
      expect(await managedScps()).toHaveLength(42);

      const dry = await run(wanted, raised, false);
      expect(dry.outcome).toBe('pending');
      expect(dry.out).toMatch(/^policies \(scp\): 1 create-policy, 1 attach-policy$/m);
      expect(dry.out).toContain(
        'create scp orgbridge-scp-large-guardrail from policies/scp/Internal/Team05/large-guardrail.json (6000 chars)',
      );
      expect(dry.out).toContain('attach scp orgbridge-scp-large-guardrail to Internal/Team05');
      expect(dry.err).toContain('note: tag and backup policies (1 files) not synced');
      expect(dry.err).toContain("with the management account's credentials");
      expect(dry.err).toContain('dry run: run again with --execute');
      expect(await managedScps()).toHaveLength(42);

      const applied = await run(wanted, raised, true);
      expect(applied.outcome).toBe('done');
      expect(applied.out).toContain('applied 2 of 2 policy changes');
      expect(await attached('Internal/Team05')).toContain('orgbridge-scp-large-guardrail');

      // Tag policies are not SYNC_SCPS's: none was created from the cicd account.
      const tags = await moto()
        .management.organizations()
        .send(new ListPoliciesCommand({ Filter: 'TAG_POLICY' }));
      expect(tags.Policies ?? []).toEqual([]);
    }, 30_000);
  });

  it('run --action sync-policies with cicd credentials takes the eventbridge path: a dry run that changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-scp-action-'));
    writeFileSync(join(dir, 'accounts.yml'), accountsYaml(managementId, ''));
    mkdirSync(join(dir, 'policies/scp/Internal'), { recursive: true });
    writeFileSync(
      join(dir, 'policies/scp/Internal/deny-leave.json'),
      '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}',
    );
    const before = (await managedScps()).sort();
    const assumed = await moto()
      .management.sts()
      .send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${topology.cicdAccountId}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'pipeline',
        }),
      );
    const cicdEnv = {
      AWS_ENDPOINT_URL: moto().server.endpoint,
      AWS_REGION: 'eu-west-1', // not the home region: the action acts in defaults.region
      AWS_ACCESS_KEY_ID: assumed.Credentials?.AccessKeyId as string,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials?.SecretAccessKey as string,
      AWS_SESSION_TOKEN: assumed.Credentials?.SessionToken as string,
    };
    // The SDK's default credential chain reads process.env: act as cicd for this call only.
    const saved = Object.fromEntries(Object.keys(cicdEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, cicdEnv);
    const run = async (allowMassChange: boolean) => {
      const io = memoryIo();
      const outcome = await syncPoliciesAction.run({
        configDir: dir,
        execute: false,
        allowMassChange,
        output: io,
        env: process.env,
        now: () => new Date(),
      });
      return { io, outcome };
    };
    // This config drops every managed SCP: refused unless --allow-mass-change says it is meant.
    // One after the other: each run is a CLI invocation of its own, with its own reply client.
    const [refused, { io, outcome }] = await (async () =>
      [await run(false), await run(true)] as const)().finally(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    expect(refused.outcome).toBe('failed');
    expect(refused.io.stdout.join('\n')).toContain('[SYNC_SCPS_MASS_CHANGE]');
    const out = io.stdout.join('\n');
    expect(outcome).toBe('pending');
    expect(io.stderr.join('\n')).toContain(
      'sync-policies: 1 SCP files sent to the management account inline',
    );
    expect(out).toContain('+ create scp orgbridge-scp-deny-leave from policies/scp/Internal/deny-leave.json');
    expect(out).toContain('- delete scp orgbridge-scp-guardrail-01');
    expect((await managedScps()).sort()).toEqual(before);
  }, 40_000);
});
