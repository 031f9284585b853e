import { describe, expect, it } from 'vitest';
import { ROLE_NAMES } from '../../../src/protocol/names.js';
import { computeTopology, REPLY_QUEUE } from '../../../src/protocol/topology.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { topologyInput } from '../../../src/templates/topology-adapter.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * `orgbridge dlq` assumes orgbridge-dlq-operator in every account: each handlers template must
 * grant it every DLQ of its account (read and redrive) and send on every queue those DLQs drain
 * back into, no more. A queue added to the topology without the role covering it fails here.
 */
const inputs = templateInputs(syntheticConfig(3), {
  organizationId: 'o-abcdefghij',
  bundleKeys: BUNDLE_KEYS,
});
const templates = renderTemplates(inputs);
const topology = computeTopology(topologyInput(inputs));

type Statement = { Sid: string; Action: string | string[]; Resource: unknown };
function operatorStatements(t: RenderedTemplate): Statement[] | undefined {
  const resources = t.template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const role = Object.values(resources).find(
    (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === ROLE_NAMES.dlqOperator,
  );
  const policies = role?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined;
  return policies?.flatMap((p) => p.PolicyDocument.Statement);
}
const queueNames = (resource: unknown): string[] =>
  [resource]
    .flat()
    .map((r) => (r as { 'Fn::Sub': string })['Fn::Sub'].split(':').at(-1) as string)
    .sort();

describe('the DLQ operator role', () => {
  for (const kind of ['management', 'cicd', 'audit', 'member'] as const) {
    it(`covers every DLQ of a ${kind} account and only their source queues`, () => {
      const account = topology.accounts.find((a) => a.kind === kind);
      if (!account) throw new Error(`no ${kind} account`);
      const template = templates.find(
        (t) => t.name === (kind === 'member' ? 'handlers-member' : `handlers-${kind}`),
      );
      if (!template) throw new Error(`no handlers template for ${kind}`);
      const statements = operatorStatements(template) ?? [];
      const read = statements.find((s) => s.Sid === 'ReadAndRedriveDeadLetterQueues');
      const send = statements.find((s) => s.Sid === 'SendBackToSourceQueues');
      expect(queueNames(read?.Resource)).toEqual(account.deadLetterQueues.map((d) => d.name).sort());
      expect(read?.Action).toEqual(
        expect.arrayContaining(['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage']),
      );
      if (kind === 'management') {
        // No operators named: nobody but EventBridge writes into the management handler queue.
        expect(send).toBeUndefined();
        return;
      }
      // Every source queue but the reply queue, whose dead letters are answers nobody waits for.
      expect(queueNames(send?.Resource)).toEqual(
        account.deadLetterQueues.flatMap((d) => (d.of && d.of !== REPLY_QUEUE ? [d.of] : [])).sort(),
      );
      expect(send?.Action).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    });
  }

  it('trusts only the named operators, and lets them redrive into the management handler queue', () => {
    const config = syntheticConfig(3);
    const operators = [
      'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*',
    ];
    const named = renderTemplates(
      templateInputs(
        { ...config, organization: { ...config.organization, operators } },
        { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS },
      ),
    );
    for (const name of ['handlers-management', 'handlers-member']) {
      const template = named.find((t) => t.name === name) as RenderedTemplate;
      const resources = template.template.Resources as Record<
        string,
        { Properties: Record<string, unknown> }
      >;
      const trust = resources.DlqOperatorRole?.Properties.AssumeRolePolicyDocument as {
        Statement: { Condition?: unknown }[];
      };
      expect(trust.Statement.map((s) => s.Condition)).toEqual([
        { ArnLike: { 'aws:PrincipalArn': operators } },
      ]);
      expect(operatorStatements(template)?.some((s) => s.Sid === 'SendBackToSourceQueues')).toBe(true);
      const deny = (
        resources.OrgbridgeHandlerPolicy?.Properties.PolicyDocument as {
          Statement: { Sid: string; Condition?: { ArnNotEquals: Record<string, unknown> } }[];
        }
      ).Statement.find((s) => s.Sid === 'DenySendExceptOrgbridgeRules');
      expect(deny?.Condition?.ArnNotEquals['aws:PrincipalArn']).toEqual([
        { 'Fn::GetAtt': ['DlqOperatorRole', 'Arn'] },
      ]);
    }
    // Without them, the role trusts the management account as a whole (no condition).
    const plain = templates.find((t) => t.name === 'handlers-member') as RenderedTemplate;
    const resources = plain.template.Resources as Record<string, { Properties: Record<string, unknown> }>;
    const trust = resources.DlqOperatorRole?.Properties.AssumeRolePolicyDocument as {
      Statement: { Condition?: unknown }[];
    };
    expect(trust.Statement[0]?.Condition).toBeUndefined();
  });
});
