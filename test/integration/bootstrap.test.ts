import {
  DescribeStacksCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAccountCommand, ListTagsForResourceCommand } from '@aws-sdk/client-organizations';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import type { ResolvedConfig } from '../../src/config/model.js';
import { runArtifactAction } from '../../src/pipeline/bootstrap.js';
import {
  describeStackSetsAccess,
  ensureStackSetsTrustedAccess,
} from '../../src/pipeline/stacksets-access.js';
import { computeTopology, senderBusName } from '../../src/protocol/topology.js';
import { templateInputs } from '../../src/templates/inputs.js';
import { topologyInput } from '../../src/templates/topology-adapter.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { syntheticConfig } from '../unit/templates/fixtures.js';

const moto = useMoto();
const REGION = 'ap-southeast-2';

/**
 * The organization of syntheticConfig(2) created for real on the emulator. No account has `id:`,
 * not even the management account: the bootstrap recognises accounts as the account sync does.
 */
async function organization(): Promise<{ config: ResolvedConfig; ids: Record<string, string> }> {
  const { management } = moto();
  const { managementId } = await createOrganization(management);
  const base = syntheticConfig(2, { withIds: false });
  // The management account's DSL tags: no event may change that account, the bootstrap tags it.
  const config: ResolvedConfig = {
    ...base,
    accounts: base.accounts.map(({ id: _id, ...a }) =>
      a.kind === 'management' ? { ...a, tags: { team: 'platform', 'cost-centre': 'it' } } : a,
    ),
  };
  const ids: Record<string, string> = { management: managementId };
  for (const account of config.accounts.filter((a) => a.key !== 'management')) {
    const out = await management
      .organizations()
      .send(new CreateAccountCommand({ AccountName: account.name, Email: account.email }));
    ids[account.key] = out.CreateAccountStatus?.AccountId as string;
  }
  return { config, ids };
}

describe('bootstrap on the emulator', () => {
  let org: { config: ResolvedConfig; ids: Record<string, string> };
  /** `run --action bootstrap` as the management account; `aws` plans the real deployment. */
  const bootstrap = async (execute: boolean, mode?: 'aws') => {
    const io = memoryIo();
    const outcome = await runArtifactAction('bootstrap', {
      config: org.config,
      management: moto().management,
      execute,
      output: io,
      ...(mode ? { mode } : {}),
    });
    return { outcome, io };
  };

  it('prints what it would deploy and changes nothing without --execute', async () => {
    org = await organization();
    const { outcome, io } = await bootstrap(false);
    expect(outcome).toBe('pending');
    const text = io.stdout.join('\n');
    // A stack that does not exist yet is planned from its template: every resource is added.
    expect(text).toContain(
      `would create handlers-member as orgbridge-handlers in member-00000 (${org.ids['member-00000']}) ${REGION}`,
    );
    expect(text).toMatch(/^ {4}\+ \w+ \(AWS::SQS::Queue\)$/m);
    expect(text).toContain('would upload s3://orgbridge-artifacts-');
    expect(text).toContain(
      `would tag the management account ${org.ids.management}: cost-centre=it, team=platform (the DSL's tags; no event changes that account)`,
    );
    const cicd = moto().management.forAccount(org.ids.cicd as string);
    await expect(
      cicd.cloudFormation(REGION).send(new DescribeStacksCommand({ StackName: 'orgbridge-artifacts' })),
    ).rejects.toThrow(/does not exist/);
  });

  it('plans the AWS deployment: StackSets trusted access, then the stack sets before any stack on their buses', async () => {
    const { outcome, io } = await bootstrap(false, 'aws');
    expect(outcome, io.stderr.join('\n')).toBe('pending');
    const lines = io.stdout;
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    // A SERVICE_MANAGED stack set needs trusted access (stacksets-orgs-activate-trusted-access.html).
    const activate = at(/^would activate StackSets trusted access/);
    expect(activate).toBeGreaterThan(-1);
    const sets = at(/^would create stack-sets as orgbridge-stack-sets in management/);
    expect(activate).toBeLessThan(sets);
    // The special accounts' buses come from the event bus stack set: their handlers after it.
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit'])
      expect(at(new RegExp(`^would create handlers-${kind} `)), kind).toBeGreaterThan(sets);
    expect(at(/^would create forward-00 /)).toBeGreaterThan(sets);
  });

  it('activates StackSets trusted access, or stops saying how when it cannot', async () => {
    const { management } = moto();
    const said: string[] = [];
    // A member account cannot: the error names the fix.
    await expect(
      ensureStackSetsTrustedAccess(
        management.forAccount(org.ids.cicd as string).cloudFormation(REGION),
        true,
        (t) => said.push(t),
      ),
    ).rejects.toMatchObject({
      code: 'BOOTSTRAP_TRUSTED_ACCESS',
      hint: expect.stringContaining('activate-organizations-access'),
    });
    await ensureStackSetsTrustedAccess(management.cloudFormation(REGION), true, (t) => said.push(t));
    expect(said).toEqual(['activated StackSets trusted access with Organizations']);
    expect(await describeStackSetsAccess(management.cloudFormation(REGION))).toBe('ENABLED');
    // Once on, the dry run has nothing to say about it.
    const { io } = await bootstrap(false, 'aws');
    expect(io.stdout.join('\n')).not.toContain('trusted access');
  });

  it('deploys buses, queues, rules and tables that carry a request from cicd to a member', async () => {
    const { management } = moto();
    const { outcome, io } = await bootstrap(true);
    expect(outcome, io.stderr.join('\n')).toBe('done');
    expect(io.stdout).toContain(
      `tagged the management account ${org.ids.management}: cost-centre=it, team=platform (the DSL's tags; no event changes that account)`,
    );
    const managementTags = await management
      .organizations()
      .send(new ListTagsForResourceCommand({ ResourceId: org.ids.management }));
    expect(managementTags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'platform' },
        { Key: 'cost-centre', Value: 'it' },
      ]),
    );
    const member = org.ids['member-00001'] as string;
    const cicdId = org.ids.cicd as string;
    const inMember = management.forAccount(member);

    // What moto supports is really there: stacks, bus rules, the idempotency table.
    const stacks = await inMember
      .cloudFormation(REGION)
      .send(new DescribeStacksCommand({ StackName: 'orgbridge-handlers' }));
    expect(stacks.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    const rules = await inMember
      .eventBridge(REGION)
      .send(new ListRulesCommand({ EventBusName: 'orgbridge-bus' }));
    expect(rules.Rules?.map((r) => r.Name).sort()).toEqual([
      'orgbridge-handler',
      'orgbridge-to-audit',
      'orgbridge-to-cicd',
      'orgbridge-to-dns',
    ]);
    const table = await inMember
      .dynamoDb(REGION)
      .send(new DescribeTableCommand({ TableName: 'orgbridge-idempotency' }));
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const artifacts = await management
      .forAccount(cicdId)
      .s3(REGION)
      .send(new ListObjectsV2Command({ Bucket: `orgbridge-artifacts-${cicdId}-${REGION}` }));
    const keys = artifacts.Contents?.map((o) => o.Key) ?? [];
    expect(keys.filter((k) => k?.startsWith('lambdas/'))).toHaveLength(7);
    expect(keys.some((k) => k?.startsWith('templates/event-bus-'))).toBe(true);

    // A PING put by cicd on the bus the topology picks reaches the member's handler queue,
    // through the cicd forward rule and the member's rule whose pattern names ${AWS::AccountId}.
    const inputs = templateInputs(org.config, {
      observed: Object.entries(org.ids).map(([key, id]) => ({
        id,
        name: key,
        email: `aws+${key}@example.com`,
      })),
      organizationId: 'o-unused0000',
    });
    const topology = computeTopology(topologyInput(inputs));
    const bus = senderBusName(topology, cicdId, member);
    const put = await management
      .forAccount(cicdId)
      .eventBridge(REGION)
      .send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: bus,
              Source: 'app.infra',
              DetailType: 'PING',
              Detail: JSON.stringify({ nonce: crypto.randomUUID(), dryrun: false, target_account: member }),
            },
          ],
        }),
      );
    expect(put.FailedEntryCount).toBe(0);
    const sqs = inMember.sqs(REGION);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orgbridge-handler' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages).toHaveLength(1);
    const body = JSON.parse(received.Messages?.[0]?.Body ?? '{}');
    expect(body).toMatchObject({ 'detail-type': 'PING', detail: { target_account: member } });
    // Its audit copy, taken on the cicd bus where it entered (one hop), is in the audit store's
    // queue untouched: the whole event, its publisher's account included.
    const audit = management.forAccount(org.ids.audit as string).sqs(REGION);
    const store = await audit.send(new GetQueueUrlCommand({ QueueName: 'orgbridge-audit' }));
    const copies = await audit.send(
      new ReceiveMessageCommand({ QueueUrl: store.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    const copy = copies.Messages?.map((m) => JSON.parse(m.Body ?? '{}')).find(
      (e) => e.detail?.target_account === member,
    );
    expect(copy).toMatchObject({ version: '0', account: cicdId, 'detail-type': 'PING', source: 'app.infra' });
  });

  it('is idempotent: a second run leaves every stack unchanged', async () => {
    const { outcome, io } = await bootstrap(true);
    expect(outcome).toBe('done');
    const lines = io.stdout.filter((l) => /^(created|updated|unchanged) /.test(l));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !l.startsWith('unchanged'))).toEqual([]);
    // Bundles and templates are stored under their content hash: nothing is uploaded again.
    expect(io.stdout.filter((l) => l.startsWith('uploaded '))).toEqual([]);
    expect(io.stdout).toContain('14 bundles already uploaded'); // 7 kinds x 2 regions
  });

  it('a dry run right after a bootstrap has nothing to do and exits 0', async () => {
    const { outcome, io } = await bootstrap(false);
    expect(io.stdout.filter((l) => /^(would|drift|not planned)/.test(l))).toEqual([]);
    expect(io.stdout.at(-1)).toMatch(/^nothing to do: \d+ stacks and every artifact are up to date$/);
    expect(outcome).toBe('done');
  });

  it('a stack updated by hand is drift, and the change set says what the bootstrap would undo', async () => {
    const member = org.ids['member-00001'] as string;
    const cfn = moto().management.forAccount(member).cloudFormation(REGION);
    const deployed = await cfn.send(new GetTemplateCommand({ StackName: 'orgbridge-handlers' }));
    const template = JSON.parse(deployed.TemplateBody as string);
    template.Resources.AddedByHand = { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'added-by-hand' } };
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'orgbridge-handlers',
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );

    const dry = await bootstrap(false);
    expect(dry.outcome).toBe('pending');
    const where = `orgbridge-handlers in member-00001 (${member}) ${REGION}`;
    expect(dry.io.stdout).toContain(
      `drift: ${where}: the deployed template is none orgbridge rendered (not in the artifact bucket): the stack was updated outside orgbridge`,
    );
    expect(dry.io.stdout).toContain(`would update handlers-member as ${where}`);
    expect(dry.io.stdout).toContain('    - AddedByHand (AWS::SQS::Queue)');
    // Only that stack changes; the change set is deleted again.
    expect(dry.io.stdout.filter((l) => l.startsWith('would '))).toHaveLength(1);
    const sets = await cfn.send(new ListChangeSetsCommand({ StackName: 'orgbridge-handlers' }));
    expect(sets.Summaries ?? []).toEqual([]);

    // The bootstrap puts orgbridge's template back; the next dry run is empty again.
    const apply = await bootstrap(true);
    expect(apply.io.stdout).toContain(`updated ${where}`);
    expect((await bootstrap(false)).outcome).toBe('done');
  });
});
