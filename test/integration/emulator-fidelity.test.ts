import {
  ActivateOrganizationsAccessCommand,
  CreateChangeSetCommand,
  CreateStackCommand,
  CreateStackSetCommand,
  DeleteStackCommand,
  DescribeOrganizationsAccessCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateAccountCommand,
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
} from '@aws-sdk/client-organizations';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/aws/clients.js';
import type { AwsClients } from '../../src/aws/index.js';
import {
  denyConsumeExceptStatement,
  denySendExceptRulesStatement,
  ruleTargetDeadLetterStatement,
} from '../../src/protocol/topology.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * The launcher's patches (src/aws/emulator.ts), each stated as the AWS rule it reproduces, with
 * the AWS page that documents it. Everything else in the suite relies on these being true.
 */
describe('emulator: EventBridge, SQS, CloudFormation and Route 53 as strict as AWS', () => {
  const moto = useMoto();
  const region = 'us-east-1';
  let ids: { a: string; b: string; c: string; organization: string };
  let a: AwsClients;
  let b: AwsClients;
  let c: AwsClients;
  let outsider: AwsClients;

  const busArn = (account: string, name: string) => `arn:aws:events:${region}:${account}:event-bus/${name}`;
  const queueArn = (account: string, name: string) => `arn:aws:sqs:${region}:${account}:${name}`;

  async function queue(clients: AwsClients, name: string): Promise<string> {
    return (await clients.sqs().send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  }
  async function drain(
    sqs: Client<SQSClient>,
    url: string,
  ): Promise<{ body: Record<string, unknown>; attributes: Record<string, string> }[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    return (out.Messages ?? []).map((m) => ({
      body: JSON.parse(m.Body ?? '{}') as Record<string, unknown>,
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      ),
    }));
  }
  async function depth(sqs: Client<SQSClient>, url: string): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  async function bus(clients: AwsClients, name: string): Promise<void> {
    await clients.eventBridge().send(new CreateEventBusCommand({ Name: name }));
  }
  async function rule(
    clients: AwsClients,
    busName: string,
    name: string,
    targets: { Id: string; Arn: string; DeadLetterConfig?: { Arn: string } }[],
  ): Promise<void> {
    await clients.eventBridge().send(
      new PutRuleCommand({
        Name: name,
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ['test.fidelity'] }),
      }),
    );
    await clients
      .eventBridge()
      .send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: targets }));
  }
  const put = (clients: AwsClients, busName: string, detail: Record<string, unknown> = {}) =>
    clients.eventBridge().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: 'test.fidelity',
            DetailType: 'PING',
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
  const allowAccount = (clients: AwsClients, busName: string, principal: string) =>
    clients.eventBridge().send(
      new PutPermissionCommand({
        EventBusName: busName,
        StatementId: `allow-${principal}`,
        Action: 'events:PutEvents',
        Principal: principal,
      }),
    );

  beforeAll(async () => {
    const { management } = moto();
    await createOrganization(management);
    const org = management.organizations();
    const created: string[] = [];
    for (const name of ['fidelity-a', 'fidelity-b', 'fidelity-c']) {
      const out = await org.send(
        new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }),
      );
      created.push(out.CreateAccountStatus?.AccountId as string);
    }
    const organization = (await org.send(new DescribeOrganizationCommand({}))).Organization?.Id as string;
    ids = { a: created[0] as string, b: created[1] as string, c: created[2] as string, organization };
    a = management.forAccount(ids.a);
    b = management.forAccount(ids.b);
    c = management.forAccount(ids.c);
    // An account of no organization.
    outsider = management.forAccount('999999999999');
  });

  it('drops an event that came from another bus when a rule would send it on to a third account (eb-cross-account.html)', async () => {
    // "If a receiver account sets up a rule that sends events received from a sender account on
    // to a third account, these events are not sent to the third account."
    await bus(b, 'hop-b');
    await bus(c, 'hop-c');
    await allowAccount(b, 'hop-b', ids.a);
    await allowAccount(c, 'hop-c', ids.b);
    const inB = await queue(b, 'hop-in-b');
    const inC = await queue(c, 'hop-in-c');
    await rule(a, 'default', 'hop-a-to-b', [{ Id: 'b', Arn: busArn(ids.b, 'hop-b') }]);
    await rule(b, 'hop-b', 'hop-b-on', [
      { Id: 'c', Arn: busArn(ids.c, 'hop-c') },
      { Id: 'q', Arn: queueArn(ids.b, 'hop-in-b') },
    ]);
    await rule(c, 'hop-c', 'hop-c-in', [{ Id: 'q', Arn: queueArn(ids.c, 'hop-in-c') }]);

    await put(a, 'default', { n: 1 });
    const received = await drain(b.sqs(), inB);
    expect(received.map((m) => m.body.detail)).toEqual([{ n: 1 }]);
    // The account that put it, not the bus that forwarded it (AWS keeps `account`).
    expect(received[0]?.body.account).toBe(ids.a);
    expect(await depth(c.sqs(), inC)).toBe(0);

    // The same rule forwards what B itself put: one hop is allowed.
    await put(b, 'hop-b', { n: 2 });
    expect((await drain(c.sqs(), inC)).map((m) => m.body.detail)).toEqual([{ n: 2 }]);
  });

  it('drops a second bus-to-bus hop inside one account too (eb-cross-account.html)', async () => {
    // "If you have three event buses in the same account and set up a rule on the first event bus
    // to forward events from the second event bus to a third event bus, these events are not sent."
    for (const name of ['same-1', 'same-2', 'same-3']) await bus(a, name);
    const second = await queue(a, 'same-in-2');
    const third = await queue(a, 'same-in-3');
    await rule(a, 'same-1', 'same-1-to-2', [{ Id: 'b2', Arn: busArn(ids.a, 'same-2') }]);
    await rule(a, 'same-2', 'same-2-on', [
      { Id: 'b3', Arn: busArn(ids.a, 'same-3') },
      { Id: 'q', Arn: queueArn(ids.a, 'same-in-2') },
    ]);
    await rule(a, 'same-3', 'same-3-in', [{ Id: 'q', Arn: queueArn(ids.a, 'same-in-3') }]);
    await put(a, 'same-1');
    expect(await depth(a.sqs(), second)).toBe(1);
    expect(await depth(a.sqs(), third)).toBe(0);
  });

  it('refuses a cross-account PutEvents the target bus policy does not allow (eb-event-bus-perms.html)', async () => {
    await bus(b, 'policy-b');
    const inB = await queue(b, 'policy-in-b');
    await rule(b, 'policy-b', 'policy-b-in', [{ Id: 'q', Arn: queueArn(ids.b, 'policy-in-b') }]);

    // No statement: a direct put from A is refused, and nothing arrives.
    await expect(put(a, busArn(ids.b, 'policy-b'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(await depth(b.sqs(), inB)).toBe(0);

    // The account root is allowed: the put crosses, and the event carries A as its account.
    await allowAccount(b, 'policy-b', ids.a);
    await put(a, busArn(ids.b, 'policy-b'), { from: 'a' });
    const received = await drain(b.sqs(), inB);
    expect(received.map((m) => [m.body.account, m.body.detail])).toEqual([[ids.a, { from: 'a' }]]);
    // C is not A.
    await expect(put(c, busArn(ids.b, 'policy-b'))).rejects.toMatchObject({ name: 'AccessDeniedException' });

    // The organization (aws:PrincipalOrgID): every member, but no account outside it.
    await b.eventBridge().send(
      new PutPermissionCommand({
        EventBusName: 'policy-b',
        StatementId: 'allow-organization',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ids.organization },
      }),
    );
    await put(c, busArn(ids.b, 'policy-b'), { from: 'c' });
    expect((await drain(b.sqs(), inB)).map((m) => m.body.account)).toEqual([ids.c]);
    await expect(put(outsider, busArn(ids.b, 'policy-b'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it("sends a rule's refused or impossible delivery to the target's dead-letter queue (eb-rule-event-delivery.html#eb-rule-dlq)", async () => {
    await bus(b, 'dlq-b');
    const dlq = await queue(a, 'dlq-of-a');
    await rule(a, 'default', 'dlq-a-to-b', [
      { Id: 'b', Arn: busArn(ids.b, 'dlq-b'), DeadLetterConfig: { Arn: queueArn(ids.a, 'dlq-of-a') } },
      {
        Id: 'missing',
        Arn: busArn(ids.b, 'no-such-bus'),
        DeadLetterConfig: { Arn: queueArn(ids.a, 'dlq-of-a') },
      },
    ]);
    await put(a, 'default', { n: 3 });
    const dead = await drain(a.sqs(), dlq);
    expect(dead.map((m) => [m.attributes.TARGET_ARN, m.attributes.ERROR_CODE]).sort()).toEqual(
      [
        [busArn(ids.b, 'dlq-b'), 'NO_PERMISSIONS'],
        [busArn(ids.b, 'no-such-bus'), 'ResourceNotFoundException'],
      ].sort(),
    );
    expect(dead[0]?.attributes.RULE_ARN).toBe(`arn:aws:events:${region}:${ids.a}:rule/dlq-a-to-b`);
    expect(dead[0]?.body.detail).toEqual({ n: 3 });
  });

  it('fails a rule on a bus that does not exist, through the API and as a stack (ROLLBACK_COMPLETE)', async () => {
    await expect(
      a.eventBridge().send(
        new PutRuleCommand({
          Name: 'orphan',
          EventBusName: 'no-such-bus',
          EventPattern: '{"source":["x"]}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const cfn = a.cloudFormation();
    await cfn.send(
      new CreateStackCommand({
        StackName: 'orphan-rule',
        TemplateBody: JSON.stringify({
          Resources: {
            Rule: {
              Type: 'AWS::Events::Rule',
              Properties: { Name: 'orphan', EventBusName: 'no-such-bus', EventPattern: { source: ['x'] } },
            },
          },
        }),
      }),
    );
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'orphan-rule' }))).Stacks?.[0];
    expect(stack?.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: 'orphan-rule' }))).StackEvents;
    expect(events?.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toMatch(
      /no-such-bus does not exist/,
    );
  });

  it('applies AWS::Events::EventBusPolicy from a template, so a stack-made bus accepts its senders', async () => {
    await b.cloudFormation().send(
      new CreateStackCommand({
        StackName: 'bus-with-policy',
        TemplateBody: JSON.stringify({
          Resources: {
            Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'stack-bus' } },
            Policy: {
              Type: 'AWS::Events::EventBusPolicy',
              DependsOn: 'Bus',
              Properties: {
                EventBusName: 'stack-bus',
                StatementId: 'allow-organization',
                Statement: {
                  Effect: 'Allow',
                  Principal: '*',
                  Action: 'events:PutEvents',
                  Resource: busArn(ids.b, 'stack-bus'),
                  Condition: { StringEquals: { 'aws:PrincipalOrgID': ids.organization } },
                },
              },
            },
          },
        }),
      }),
    );
    const described = await b.eventBridge().send(new DescribeEventBusCommand({ Name: 'stack-bus' }));
    expect(JSON.parse(described.Policy ?? '{}').Statement[0].Sid).toBe('allow-organization');
    const inB = await queue(b, 'stack-bus-in');
    await rule(b, 'stack-bus', 'stack-bus-in', [{ Id: 'q', Arn: queueArn(ids.b, 'stack-bus-in') }]);
    await put(a, busArn(ids.b, 'stack-bus'));
    expect(await depth(b.sqs(), inB)).toBe(1);
    await expect(put(outsider, busArn(ids.b, 'stack-bus'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('delivers the whole event, `account` included, to a target without an input transformer (eb-events-structure.html)', async () => {
    const url = await queue(a, 'untouched');
    await rule(a, 'default', 'untouched', [{ Id: 'q', Arn: queueArn(ids.a, 'untouched') }]);
    await put(a, 'default', { n: 4 });
    const [message] = await drain(a.sqs(), url);
    expect(message?.body).toMatchObject({
      version: '0',
      account: ids.a,
      source: 'test.fidelity',
      'detail-type': 'PING',
      region,
      detail: { n: 4 },
    });
  });

  it('enforces a queue policy: an explicit Deny refuses any caller, EventBridge passes only from the rules it names (reference_policies_evaluation-logic.html)', async () => {
    const url = await queue(a, 'policy-q');
    const dlqUrl = await queue(a, 'policy-dlq');
    const arn = queueArn(ids.a, 'policy-q');
    const ruleArn = `arn:aws:events:${region}:${ids.a}:rule/policy-bus/allowed`;
    const consumer = `arn:aws:iam::${ids.a}:role/consumer`;
    await a.sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: arn,
                Condition: { ArnEquals: { 'aws:SourceArn': [ruleArn] } },
              },
              denySendExceptRulesStatement(arn, { ruleArns: [ruleArn] }),
              denyConsumeExceptStatement(arn, [consumer]),
            ],
          }),
        },
      }),
    );
    const dlqArn = queueArn(ids.a, 'policy-dlq');
    await a.sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: dlqUrl,
        Attributes: {
          Policy: JSON.stringify({
            Statement: [
              ruleTargetDeadLetterStatement(dlqArn, `arn:aws:events:${region}:${ids.a}:rule/policy-bus*`),
            ],
          }),
        },
      }),
    );
    // A principal of the queue's own account whose identity policy would allow sqs:* (moto has
    // none) is refused by the Deny, to send and to receive.
    const powerUser = a.forAccount(ids.a, 'power-user');
    const denied = { name: 'AccessDenied', message: expect.stringContaining('explicit deny') };
    await expect(
      powerUser.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"account":"x"}' })),
    ).rejects.toMatchObject(denied);
    await expect(powerUser.sqs().send(new ReceiveMessageCommand({ QueueUrl: url }))).rejects.toMatchObject(
      denied,
    );
    // The rule the policy names delivers; another rule of the same bus is refused, and its
    // event goes to its dead-letter queue with NO_PERMISSIONS (eb-rule-event-delivery.html#eb-rule-dlq).
    await bus(a, 'policy-bus');
    await rule(a, 'policy-bus', 'allowed', [{ Id: 'q', Arn: arn }]);
    await rule(a, 'policy-bus', 'other', [{ Id: 'q', Arn: arn, DeadLetterConfig: { Arn: dlqArn } }]);
    await put(a, 'policy-bus', { n: 1 });
    const consumerSqs = a.forAccount(ids.a, 'consumer').sqs();
    const received = await drain(consumerSqs, url);
    expect(received.map((m) => m.body.detail)).toEqual([{ n: 1 }]);
    const dead = await drain(a.sqs(), dlqUrl);
    expect(dead.map((m) => m.attributes.ERROR_CODE)).toEqual(['NO_PERMISSIONS']);
    expect(dead[0]?.attributes.RULE_ARN).toBe(`arn:aws:events:${region}:${ids.a}:rule/policy-bus/other`);
  });

  it('serves the account a QueueUrl names, and lets another account in only through an Allow of the queue policy', async () => {
    const url = await queue(a, 'cross-q');
    // moto alone would answer b from b's own queue of that name.
    await queue(b, 'cross-q');
    await expect(
      b.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from b' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('no resource-based policy'),
    });
    await a.sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          Policy: JSON.stringify({
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${ids.b}:root` },
                Action: 'sqs:SendMessage',
                Resource: queueArn(ids.a, 'cross-q'),
              },
            ],
          }),
        },
      }),
    );
    await b.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from b' }));
    expect(await depth(a.sqs(), url)).toBe(1);
  });

  it("lets a queue name another as its dead-letter queue only as that one's RedriveAllowPolicy allows (API_SetQueueAttributes.html)", async () => {
    const sqs = a.sqs();
    const create = (name: string, attributes: Record<string, string>) =>
      sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const redriveTo = (target: string) => ({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn(ids.a, target), maxReceiveCount: 1 }),
    });
    // What every orgbridge queue but a redrive DLQ carries (NOT_A_DEAD_LETTER_QUEUE).
    await create('rap-closed', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    await expect(create('rap-attacker', redriveTo('rap-closed'))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const url = await queue(a, 'rap-attacker-later');
    await expect(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: redriveTo('rap-closed') })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await create('rap-by-queue', {
      RedriveAllowPolicy: JSON.stringify({
        redrivePermission: 'byQueue',
        sourceQueueArns: [queueArn(ids.a, 'rap-source')],
      }),
    });
    await create('rap-source', redriveTo('rap-by-queue'));
    await expect(create('rap-other', redriveTo('rap-by-queue'))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    // SQS's default, allowAll.
    await queue(a, 'rap-open');
    await create('rap-any', redriveTo('rap-open'));
  });

  it('needs StackSets trusted access before a service-managed stack set (stacksets-orgs-activate-trusted-access.html)', async () => {
    const { management } = moto();
    const cfn = management.cloudFormation();
    expect((await cfn.send(new DescribeOrganizationsAccessCommand({}))).Status).toBe('DISABLED');
    const create = () =>
      cfn.send(
        new CreateStackSetCommand({
          StackSetName: 'fidelity-service-managed',
          PermissionModel: 'SERVICE_MANAGED',
          AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
          TemplateBody: JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }),
        }),
      );
    await expect(create()).rejects.toThrow(/enable organizations access/);
    // Only the management account can turn it on.
    await expect(a.cloudFormation().send(new ActivateOrganizationsAccessCommand({}))).rejects.toThrow(
      /management account/,
    );
    await cfn.send(new ActivateOrganizationsAccessCommand({}));
    expect((await cfn.send(new DescribeOrganizationsAccessCommand({}))).Status).toBe('ENABLED');
    const services = await management
      .organizations()
      .send(new ListAWSServiceAccessForOrganizationCommand({}));
    expect(services.EnabledServicePrincipals?.map((s) => s.ServicePrincipal)).toContain(
      'member.org.stacksets.cloudformation.amazonaws.com',
    );
    await expect(create()).resolves.toBeDefined();
  });

  it('refuses a template without resources on create, update and change set (template-guide.html)', async () => {
    const cfn = moto().management.cloudFormation();
    const StackName = 'fidelity-no-resources';
    const refused = /At least one Resources member must be defined/;
    for (const TemplateBody of [JSON.stringify({ Outputs: {} }), JSON.stringify({ Resources: {} })]) {
      await expect(cfn.send(new CreateStackCommand({ StackName, TemplateBody }))).rejects.toThrow(refused);
      await expect(
        cfn.send(
          new CreateChangeSetCommand({
            StackName,
            ChangeSetName: 'c',
            ChangeSetType: 'CREATE',
            TemplateBody,
          }),
        ),
      ).rejects.toThrow(refused);
    }
    await expect(cfn.send(new DescribeStacksCommand({ StackName }))).rejects.toThrow(/does not exist/);
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: JSON.stringify({
          Resources: { H: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        }),
      }),
    );
    await expect(
      cfn.send(new UpdateStackCommand({ StackName, TemplateBody: JSON.stringify({ Resources: {} }) })),
    ).rejects.toThrow(refused);
  });

  it('changes termination protection, and refuses to delete a protected stack (using-cfn-protect-stacks.html)', async () => {
    const cfn = moto().management.cloudFormation();
    const StackName = 'fidelity-protected';
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }),
        EnableTerminationProtection: true,
      }),
    );
    await expect(cfn.send(new DeleteStackCommand({ StackName }))).rejects.toThrow(/TerminationProtection/);
    await cfn.send(new UpdateTerminationProtectionCommand({ StackName, EnableTerminationProtection: false }));
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks?.[0];
    expect(stack?.EnableTerminationProtection).toBe(false);
    await cfn.send(new DeleteStackCommand({ StackName }));
    await expect(cfn.send(new DescribeStacksCommand({ StackName }))).rejects.toThrow(/does not exist/);
  });

  it('detects drift: a resource changed or deleted by hand, other types NOT_CHECKED (using-cfn-stack-drift.html)', async () => {
    const cfn = moto().management.cloudFormation();
    const ssm = moto().management.ssm();
    const StackName = 'fidelity-drift';
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: JSON.stringify({
          Resources: {
            Kept: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/drift/kept', Type: 'String', Value: 'a' },
            },
            Changed: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/drift/changed', Type: 'String', Value: 'b' },
            },
            Gone: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/drift/gone', Type: 'String', Value: 'c' },
            },
            Q: { Type: 'AWS::SQS::Queue' },
          },
        }),
      }),
    );
    const detect = async () => {
      const { StackDriftDetectionId } = await cfn.send(new DetectStackDriftCommand({ StackName }));
      return cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    };
    expect(await detect()).toMatchObject({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'IN_SYNC',
    });
    await ssm.send(
      new PutParameterCommand({ Name: '/drift/changed', Value: 'x', Type: 'String', Overwrite: true }),
    );
    await ssm.send(new DeleteParameterCommand({ Name: '/drift/gone' }));
    expect(await detect()).toMatchObject({ StackDriftStatus: 'DRIFTED', DriftedStackResourceCount: 2 });
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks?.[0];
    expect(stack?.DriftInformation?.StackDriftStatus).toBe('DRIFTED');
    expect(stack?.DriftInformation?.LastCheckTimestamp).toBeInstanceOf(Date);
    const all = await cfn.send(new DescribeStackResourceDriftsCommand({ StackName }));
    const byId = Object.fromEntries(
      (all.StackResourceDrifts ?? []).map((d) => [d.LogicalResourceId, d.StackResourceDriftStatus]),
    );
    expect(byId).toEqual({ Kept: 'IN_SYNC', Changed: 'MODIFIED', Gone: 'DELETED', Q: 'NOT_CHECKED' });
    const modified = await cfn.send(
      new DescribeStackResourceDriftsCommand({ StackName, StackResourceDriftStatusFilters: ['MODIFIED'] }),
    );
    expect(modified.StackResourceDrifts?.map((d) => d.PropertyDifferences)).toEqual([
      [{ PropertyPath: '/Value', ExpectedValue: 'b', ActualValue: 'x', DifferenceType: 'NOT_EQUAL' }],
    ]);
  });
  it('lists hosted zones from a name in reversed-label order, 100 an answer at most (API_ListHostedZonesByName.html)', async () => {
    const route53 = a.route53();
    for (const name of [
      'fidelity.test',
      'b.fidelity.test',
      'a.fidelity.test',
      'x.a.fidelity.test',
      'zz.test',
      'a-fidelity.test',
    ]) {
      await route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `fidelity-${name}` }));
    }
    const page = await route53.send(
      new ListHostedZonesByNameCommand({ DNSName: 'fidelity.test.', MaxItems: 3 }),
    );
    // com.example.www. order: test.fidelity. < test.fidelity.a. < test.fidelity.a.x. < test.fidelity.b.;
    // test.a-fidelity. sorts before the name asked for and is not listed.
    expect(page.HostedZones?.map((z) => z.Name)).toEqual([
      'fidelity.test.',
      'a.fidelity.test.',
      'x.a.fidelity.test.',
    ]);
    expect(page).toMatchObject({ IsTruncated: true, NextDNSName: 'b.fidelity.test.' });
    const rest = await route53.send(
      new ListHostedZonesByNameCommand({
        DNSName: page.NextDNSName,
        HostedZoneId: page.NextHostedZoneId,
        MaxItems: 3,
      }),
    );
    expect(rest.HostedZones?.map((z) => z.Name)).toEqual(['b.fidelity.test.', 'zz.test.']);
    expect(rest.IsTruncated).toBe(false);
  });

  it('refuses a second hosted zone with a used caller reference (API_CreateHostedZone.html)', async () => {
    const route53 = a.route53();
    await route53.send(new CreateHostedZoneCommand({ Name: 'once.test', CallerReference: 'fidelity-once' }));
    await expect(
      route53.send(new CreateHostedZoneCommand({ Name: 'once.test', CallerReference: 'fidelity-once' })),
    ).rejects.toMatchObject({ name: 'HostedZoneAlreadyExists' });
    const zones = await route53.send(new ListHostedZonesByNameCommand({ DNSName: 'once.test.' }));
    expect(zones.HostedZones?.filter((z) => z.Name === 'once.test.')).toHaveLength(1);
  });

  it('refuses a CNAME beside other records of its name, and those beside a CNAME (ResourceRecordTypes.html#CNAMEFormat)', async () => {
    const route53 = a.route53();
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: 'cname.test', CallerReference: 'fidelity-cname' }),
    );
    const HostedZoneId = zone.HostedZone?.Id;
    const upsert = (Name: string, Type: 'A' | 'CNAME' | 'TXT', Value: string) =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId,
          ChangeBatch: {
            Changes: [
              { Action: 'UPSERT', ResourceRecordSet: { Name, Type, TTL: 300, ResourceRecords: [{ Value }] } },
            ],
          },
        }),
      );
    await upsert('www.cname.test', 'A', '192.0.2.1');
    await expect(upsert('WWW.cname.test.', 'CNAME', 'elsewhere.test')).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
    });
    await upsert('alias.cname.test', 'CNAME', 'elsewhere.test');
    await upsert('alias.cname.test', 'CNAME', 'other.test');
    await expect(upsert('alias.cname.test', 'TXT', '"x"')).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
    });
    const sets = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId }));
    expect(
      sets.ResourceRecordSets?.filter((r) => r.Type !== 'NS' && r.Type !== 'SOA').map((r) => [
        r.Name,
        r.Type,
        r.ResourceRecords?.map((v) => v.Value),
      ]),
    ).toEqual([
      ['alias.cname.test.', 'CNAME', ['other.test']],
      ['www.cname.test.', 'A', ['192.0.2.1']],
    ]);
  });

  it('answers the Support API as for an account on Basic support (about-support-api.html)', async () => {
    // The project has no Support SDK client: a JSON-protocol request, routed by its credential
    // scope (moto does not check the signature).
    const answer = await fetch(`${moto().server.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSSupport_20130415.DescribeSeverityLevels',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAFIDELITY/20261205/${region}/support/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: '{}',
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ __type: 'SubscriptionRequiredException' });
  });
});
