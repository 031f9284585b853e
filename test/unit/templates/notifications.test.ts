import { describe, expect, it } from 'vitest';
import { checkTemplates } from '../../../src/templates/guardrails.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { accountId, BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * The path of an alarm: the default bus of its account, the audit account's alarms bus, the
 * encrypted topic, the subscriptions of `notifications:`; and OB-SEC-8 over the topic.
 */
const config = {
  ...syntheticConfig(3),
  notifications: {
    email: ['oncall@example.com', 'platform@example.com'],
    https: ['https://hooks.example.com/x'],
    slack: [{ workspace_id: 'T0123ABCD', channel_id: 'C0123ABCDE' }],
  },
};
const inputs = templateInputs(config, { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS });
const aws = renderTemplates(inputs);
const local = renderTemplates(inputs, { local: true });
const AUDIT = accountId(SPECIAL_INDEX('audit'));

function SPECIAL_INDEX(kind: string): number {
  // syntheticConfig numbers the special accounts 1.. in SPECIAL_ACCOUNT_KINDS order.
  const account = config.accounts.find((a) => a.key === kind);
  return Number(account?.id) - 100_000_000_000;
}

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
const byName = (list: readonly RenderedTemplate[], name: string) =>
  list.find((t) => t.name === name) as RenderedTemplate;
const resources = (t: RenderedTemplate) => t.template.Resources as Record<string, Resource>;
const ofType = (t: RenderedTemplate, type: string) =>
  Object.entries(resources(t)).filter(([, r]) => r.Type === type);
const sec8 = (t: RenderedTemplate) =>
  checkTemplates([t])
    .findings.filter((f) => f.rule === 'OB-SEC-8')
    .map((f) => f.message);

function withResource(t: RenderedTemplate, id: string, resource: Resource | undefined): RenderedTemplate {
  const { [id]: _, ...rest } = resources(t);
  return { ...t, template: { ...t.template, Resources: resource ? { ...rest, [id]: resource } : rest } };
}

describe('alarm notifications', () => {
  const audit = byName(aws, 'handlers-audit');
  const bus = byName(aws, 'event-bus');

  it('every account but audit forwards its orgbridge- alarm state changes to the audit alarms bus, first hop', () => {
    const [[, rule]] = ofType(bus, 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties.Name === 'orgbridge-alarms-to-audit',
    ) as [[string, Resource]];
    expect(rule.Condition).toBe('IsNotAuditAccount');
    expect(rule.Properties.EventBusName).toBeUndefined(); // the default bus
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      account: [{ Ref: 'AWS::AccountId' }],
      detail: { alarmName: [{ prefix: 'orgbridge-' }] },
    });
    const [target] = rule.Properties.Targets as Record<string, unknown>[];
    expect(JSON.stringify(target?.Arn)).toContain(`:${AUDIT}:event-bus/orgbridge-alarms`);
    expect(target?.RoleArn).toEqual({ 'Fn::GetAtt': ['AuditForwarderRole', 'Arn'] });
    expect(target?.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': ['EventTargetDeadLetterQueue', 'Arn'] },
    });
    // The forwarder role may put on the alarms bus, and the rule may dead-letter.
    expect(JSON.stringify(resources(bus).AuditForwarderRole)).toContain(
      `:${AUDIT}:event-bus/orgbridge-alarms`,
    );
    expect(JSON.stringify(resources(bus).EventTargetDeadLetterQueuePolicy)).toContain(
      'rule/orgbridge-alarms*',
    );
  });

  it('the audit account: the alarms bus open to the organization, two rules, a topic with a rotated key of its own', () => {
    const [[, policy]] = ofType(audit, 'AWS::Events::EventBusPolicy').filter(
      ([, r]) => r.Properties.EventBusName === 'orgbridge-alarms',
    ) as [[string, Resource]];
    expect(policy.Properties.Statement).toMatchObject({
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
    });
    const rules = ofType(audit, 'AWS::Events::Rule').filter(([, r]) =>
      String(r.Properties.Name).startsWith('orgbridge-alarms'),
    );
    expect(rules.map(([, r]) => [r.Properties.Name, r.Properties.EventBusName ?? 'default'])).toEqual([
      ['orgbridge-alarms-to-topic', 'orgbridge-alarms'],
      ['orgbridge-alarms-local', 'default'],
    ]);
    const [[topicId, topic]] = ofType(audit, 'AWS::SNS::Topic') as [[string, Resource]];
    expect(topic.Properties.TopicName).toBe('orgbridge-alarms');
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlarmsTopicKey', 'Arn'] });
    expect(resources(audit).AlarmsTopicKey?.Properties.EnableKeyRotation).toBe(true);
    for (const [, rule] of rules)
      expect((rule.Properties.Targets as Record<string, unknown>[])[0]?.Arn).toEqual({ Ref: topicId });
    // Only those two rules may publish.
    const [[, topicPolicy]] = ofType(audit, 'AWS::SNS::TopicPolicy') as [[string, Resource]];
    const allow = (topicPolicy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement[0];
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: {
        ArnEquals: {
          'aws:SourceArn': rules.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
        },
      },
    });
  });

  it('renders one subscription per endpoint of notifications:, ids stable when another is removed', () => {
    const subscriptions = ofType(audit, 'AWS::SNS::Subscription');
    expect(subscriptions.map(([, r]) => [r.Properties.Protocol, r.Properties.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'platform@example.com'],
      ['https', 'https://hooks.example.com/x'],
    ]);
    const fewer = renderTemplates(
      templateInputs(
        { ...config, notifications: { email: ['platform@example.com'], https: [] } },
        { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS },
      ),
    );
    const kept = ofType(byName(fewer, 'handlers-audit'), 'AWS::SNS::Subscription').map(([id]) => id);
    expect(kept).toEqual([subscriptions[1]?.[0]]);
    const none = renderTemplates(
      templateInputs(syntheticConfig(3), { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
    );
    expect(ofType(byName(none, 'handlers-audit'), 'AWS::SNS::Subscription')).toEqual([]);
    expect(ofType(byName(none, 'handlers-audit'), 'AWS::SNS::Topic')).toHaveLength(1);
  });

  it('is not rendered in local mode (moto fails PutEvents on an SNS target)', () => {
    for (const t of local) {
      expect(ofType(t, 'AWS::SNS::Topic'), t.name).toEqual([]);
      expect(ofType(t, 'AWS::KMS::Key'), t.name).toEqual([]);
      const names = ofType(t, 'AWS::Events::Rule').map(([, r]) => String(r.Properties.Name));
      expect(
        names.filter((n) => n.startsWith('orgbridge-alarms')),
        t.name,
      ).toEqual([]);
      const buses = ofType(t, 'AWS::Events::EventBus').map(([, r]) => r.Properties.Name);
      expect(buses, t.name).not.toContain('orgbridge-alarms');
    }
  });

  it('sends the alarms to each Slack channel through a Chatbot configuration that can only read', () => {
    const [[, slack]] = ofType(audit, 'AWS::Chatbot::SlackChannelConfiguration') as [[string, Resource]];
    expect(slack.Properties).toMatchObject({
      ConfigurationName: 'orgbridge-alarms-C0123ABCDE',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCDE',
      SnsTopicArns: [{ Ref: 'AlarmsTopic' }],
      GuardrailPolicies: [{ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/CloudWatchReadOnlyAccess` }],
      UserRoleRequired: false,
    });
    const role = resources(audit).ChatbotRole as Resource;
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: 'chatbot.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    // Read-only, whatever is added later: every action the role has reads CloudWatch.
    const actions = (role.Properties.Policies as { PolicyDocument: { Statement: { Action: string[] }[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement)
      .flatMap((st) => st.Action);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^cloudwatch:(Describe|Get|List)\*?/);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // Not in local mode, and nowhere else.
    for (const t of [...local, ...aws.filter((x) => x.name !== 'handlers-audit')]) {
      expect(ofType(t, 'AWS::Chatbot::SlackChannelConfiguration'), t.name).toEqual([]);
    }
  });

  it('passes every guardrail and cfn-lint, subscriptions included', { timeout: 120_000 }, async () => {
    expect(checkTemplates([audit, bus]).findings).toEqual([]);
    const result = await cfnLint({
      templates: [audit, bus].map((t) => ({ name: `notifications-${t.name}.template.json`, body: t.body })),
    });
    expect(result.findings).toEqual([]);
  });

  it('OB-SEC-8 fails a topic without its key, with the AWS managed key, or that anyone may publish to', () => {
    expect(sec8(audit)).toEqual([]);
    const topic = resources(audit).AlarmsTopic as Resource;
    const managed = { ...topic, Properties: { ...topic.Properties, KmsMasterKeyId: 'alias/aws/sns' } };
    expect(sec8(withResource(audit, 'AlarmsTopic', managed))).toEqual([
      expect.stringContaining('not encrypted with a KMS key of this template'),
    ]);
    const key = resources(audit).AlarmsTopicKey as Resource;
    const unrotated = { ...key, Properties: { ...key.Properties, EnableKeyRotation: false } };
    expect(sec8(withResource(audit, 'AlarmsTopicKey', unrotated))).toEqual([
      expect.stringContaining('does not rotate'),
    ]);
    expect(sec8(withResource(audit, 'AlarmsTopicPolicy', undefined))).toEqual([
      expect.stringContaining('no topic policy'),
    ]);
    const policy = resources(audit).AlarmsTopicPolicy as Resource;
    const doc = policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    const [allow, ...rest] = doc.Statement;
    const { Condition: _, ...unconditioned } = allow as Record<string, unknown>;
    const openPolicy = {
      ...policy,
      Properties: { ...policy.Properties, PolicyDocument: { ...doc, Statement: [unconditioned, ...rest] } },
    };
    expect(sec8(withResource(audit, 'AlarmsTopicPolicy', openPolicy))).toEqual([
      expect.stringContaining('without an aws:SourceArn condition'),
    ]);
  });
});
