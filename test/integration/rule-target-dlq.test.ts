import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import type { AccountKind } from '../../src/config/model.js';
import { ROLE_NAMES } from '../../src/protocol/names.js';
import {
  computeTopology,
  EVENT_TARGET_DLQ,
  senderBusName,
  type Topology,
} from '../../src/protocol/topology.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * A forward whose target bus is not there (a new account whose stack set instance has not run
 * yet, a deleted bus) used to be dropped after EventBridge's retries with no trace. Every rule
 * target now dead-letters into its account's EVENT_TARGET_DLQ
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq),
 * which the emulator honours like AWS (src/aws/emulator.ts).
 */
describe('rule targets dead-letter what they cannot deliver', () => {
  const moto = useMoto();
  let topology: Topology;
  let ids: Record<string, string>;
  let clientsFor: (id: string) => AwsClients;

  beforeAll(async () => {
    const { management } = moto();
    const { managementId, organizationId } = await createOrganization(management);
    ids = { management: managementId };
    for (const name of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member', 'newcomer']) {
      const out = await management
        .organizations()
        .send(new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }));
      ids[name] = out.CreateAccountStatus?.AccountId as string;
    }
    const kindOf = (name: string): AccountKind =>
      name === 'member' || name === 'newcomer' ? 'member' : (name as AccountKind);
    topology = computeTopology({
      accounts: Object.entries(ids).map(([name, id]) => ({ id, kind: kindOf(name) })),
      busName: 'orgbridge-bus',
      source: 'app.infra',
      region: 'us-east-1',
    });
    clientsFor = (id) => (id === managementId ? management : management.forAccount(id));
    // Every account but the newcomer, whose bus does not exist yet: cicd's forward rule to it does.
    await provisionTopology(
      { ...topology, accounts: topology.accounts.filter((a) => a.accountId !== ids.newcomer) },
      clientsFor,
      { organizationId },
    );
  });

  it("puts a forward to a bus that does not exist into the sending account's DLQ, with why and where", async () => {
    const cicd = clientsFor(ids.cicd as string);
    const nonce = randomUUID();
    await cicd.eventBridge().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: senderBusName(topology, ids.cicd as string, ids.newcomer as string),
            Source: 'app.infra',
            DetailType: 'PING',
            Detail: JSON.stringify({ nonce, dryrun: false, target_account: ids.newcomer }),
          },
        ],
      }),
    );
    const sqs = cicd.sqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: EVENT_TARGET_DLQ }));
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    const dead = (out.Messages ?? []).find((m) => JSON.parse(m.Body ?? '{}').detail?.nonce === nonce);
    expect(dead, 'the undelivered PING is in the DLQ').toBeDefined();
    expect(dead?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('ResourceNotFoundException');
    expect(dead?.MessageAttributes?.TARGET_ARN?.StringValue).toBe(
      `arn:aws:events:us-east-1:${ids.newcomer}:event-bus/orgbridge-bus`,
    );
    expect(dead?.MessageAttributes?.RULE_ARN?.StringValue).toMatch(
      new RegExp(`:${ids.cicd}:rule/orgbridge-bus[^/]*/orgbridge-fwd-${ids.newcomer}$`),
    );
  });

  it('still audits it: the copy is taken where it entered', async () => {
    // The audit store queue is the audit handler role's to read (denyConsumeExceptStatement).
    const audit = clientsFor(ids.audit as string)
      .forAccount(ids.audit as string, ROLE_NAMES.handler('audit'))
      .sqs();
    const { QueueUrl } = await audit.send(new GetQueueUrlCommand({ QueueName: 'orgbridge-audit' }));
    const out = await audit.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const copies = (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(copies.some((e) => e['detail-type'] === 'PING' && e.detail?.target_account === ids.newcomer)).toBe(
      true,
    );
  });
});
