import { describe, expect, it } from 'vitest';
import { checkTemplates } from '../../../src/templates/guardrails.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import {
  auditFloodThreshold,
  dlqAgeThresholdSeconds,
  replyBacklogThreshold,
} from '../../../src/templates/stacks/alarms.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * Every dead-letter queue and handler function of the generated templates has its alarms, and
 * OB-OPS-1 fails a template from which one is taken away: a queue added without an alarm cannot
 * be deployed.
 */
const inputs = templateInputs(syntheticConfig(5), {
  organizationId: 'o-abcdefghij',
  bundleKeys: BUNDLE_KEYS,
});
const aws = renderTemplates(inputs);
const local = renderTemplates(inputs, { local: true });

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (t: RenderedTemplate) => Object.entries(t.template.Resources as Record<string, Resource>);
const alarmsOf = (t: RenderedTemplate) =>
  resourcesOf(t)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([, r]) => r.Properties);
const opsFindings = (templates: readonly RenderedTemplate[]) =>
  checkTemplates(templates).findings.filter((f) => f.rule === 'OB-OPS-1');

/** `t` without the resource `logicalId`. */
function without(t: RenderedTemplate, logicalId: string): RenderedTemplate {
  const { [logicalId]: _, ...rest } = t.template.Resources as Record<string, unknown>;
  return { ...t, template: { ...t.template, Resources: rest } };
}

/** `t` with `change` applied to the properties of `logicalId`. */
function changed(t: RenderedTemplate, logicalId: string, change: Record<string, unknown>): RenderedTemplate {
  const all = t.template.Resources as Record<string, Resource>;
  const r = all[logicalId] as Resource;
  return {
    ...t,
    template: {
      ...t.template,
      Resources: { ...all, [logicalId]: { ...r, Properties: { ...r.Properties, ...change } } },
    },
  };
}

const byName = (name: string) => aws.find((t) => t.name === name) as RenderedTemplate;

describe('alarms', () => {
  it('every DLQ has a visible-messages and an oldest-age alarm, named orgbridge-<queue>-…', () => {
    const expected: Record<string, string[]> = {
      'event-bus': ['orgbridge-events-dlq'],
      'handlers-management': ['orgbridge-handler-dlq'],
      'handlers-cicd': ['orgbridge-handler-dlq', 'orgbridge-replies-dlq'],
      'handlers-audit': ['orgbridge-handler-dlq', 'orgbridge-audit-dlq'],
      'handlers-member': ['orgbridge-handler-dlq'],
    };
    for (const [name, dlqs] of Object.entries(expected)) {
      // The reply queue's backlog alarm is the one SQS alarm that is not a DLQ's.
      const alarms = alarmsOf(byName(name)).filter(
        (a) => a.Namespace === 'AWS/SQS' && a.AlarmName !== 'orgbridge-replies-backlog',
      );
      expect(alarms.map((a) => a.AlarmName).sort(), name).toEqual(
        dlqs.flatMap((q) => [`${q}-oldest-age`, `${q}-visible`]).sort(),
      );
      for (const a of alarms) {
        expect(a.Dimensions).toEqual([
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.any(String), 'QueueName'] } },
        ]);
        expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
        expect(a.TreatMissingData).toBe('notBreaching');
      }
    }
  });

  it('the age alarm fires with two thirds of the worst-case remaining retention left', () => {
    // Handler DLQ: 14 days, fed by a 4-day queue; a message may arrive with 10 days left.
    const handler = alarmsOf(byName('handlers-member')).find(
      (a) => a.AlarmName === 'orgbridge-handler-dlq-oldest-age',
    );
    expect(handler?.Threshold).toBe(dlqAgeThresholdSeconds(14 * 86_400, 4 * 86_400));
    expect(handler?.Threshold).toBe(288_000);
    const events = alarmsOf(byName('event-bus')).find(
      (a) => a.AlarmName === 'orgbridge-events-dlq-oldest-age',
    );
    expect(events?.Threshold).toBe(Math.floor((14 * 86_400) / 3));
  });

  it('every handler function alarms on Errors and Throttles', () => {
    const functions = aws.flatMap((t) =>
      resourcesOf(t)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id, r]) => ({ t, id, name: r.Properties.FunctionName as string })),
    );
    expect(functions).toHaveLength(7);
    for (const { t, id, name } of functions) {
      const alarms = alarmsOf(t).filter((a) => a.Namespace === 'AWS/Lambda');
      expect(alarms.map((a) => [a.AlarmName, a.MetricName, a.Dimensions])).toEqual([
        [`${name}-errors`, 'Errors', [{ Name: 'FunctionName', Value: { Ref: id } }]],
        [`${name}-throttles`, 'Throttles', [{ Name: 'FunctionName', Value: { Ref: id } }]],
      ]);
    }
  });

  it('the descriptions give the command that answers the alarm, for this account', () => {
    const visible = alarmsOf(byName('handlers-member')).find(
      (a) => a.AlarmName === 'orgbridge-handler-dlq-visible',
    );
    const text = JSON.stringify(visible?.AlarmDescription);
    expect(text).toContain(`orgbridge dlq show \${AWS::AccountId}/orgbridge-handler-dlq`);
    expect(text).toContain(`orgbridge dlq redrive \${AWS::AccountId}/orgbridge-handler-dlq --execute`);
    const events = alarmsOf(byName('event-bus')).find((a) => a.AlarmName === 'orgbridge-events-dlq-visible');
    expect(JSON.stringify(events?.AlarmDescription)).not.toContain('orgbridge dlq redrive');
  });

  it('OB-OPS-1 passes on every rendered template, AWS and local', () => {
    expect(opsFindings([...aws, ...local])).toEqual([]);
  });

  it('OB-OPS-1 fails when any one alarm is removed from a rendered template', () => {
    let removed = 0;
    for (const t of aws) {
      for (const [id, r] of resourcesOf(t)) {
        // The audit flood and reply backlog alarms are not a DLQ's or a function's (OB-OPS-1 does
        // not ask for them).
        if (
          r.Type !== 'AWS::CloudWatch::Alarm' ||
          r.Properties.Namespace === 'AWS/Events' ||
          id === 'ReplyBacklogAlarm'
        )
          continue;
        removed++;
        const findings = opsFindings([without(t, id)]);
        expect(findings, `${t.name} without ${id}`).toHaveLength(1);
        expect(findings[0]?.template).toBe(t.name);
      }
    }
    // 2 per DLQ (event bus + 9 handler DLQs) and 2 per function (7).
    expect(removed).toBe(2 * 10 + 2 * 7);
  });

  it('OB-OPS-1 fails a DLQ added without alarms, and an age threshold too close to expiry', () => {
    const member = byName('handlers-member');
    const all = member.template.Resources as Record<string, Resource>;
    const added: RenderedTemplate = {
      ...member,
      template: {
        ...member.template,
        Resources: {
          ...all,
          ExtraDlq: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } },
          ExtraQueue: {
            Type: 'AWS::SQS::Queue',
            Properties: {
              SqsManagedSseEnabled: true,
              RedrivePolicy: {
                deadLetterTargetArn: { 'Fn::GetAtt': ['ExtraDlq', 'Arn'] },
                maxReceiveCount: 3,
              },
            },
          },
        },
      },
    };
    expect(opsFindings([added]).map((f) => [f.resource, f.message.split(' ').slice(0, 4).join(' ')])).toEqual(
      [
        ['ExtraDlq', 'no alarm on ApproximateNumberOfMessagesVisible'],
        ['ExtraDlq', 'no alarm on ApproximateAgeOfOldestMessage'],
      ],
    );
    const [ageId] = resourcesOf(member).find(
      ([, r]) => r.Properties.AlarmName === 'orgbridge-handler-dlq-oldest-age',
    ) as [string, Resource];
    // 6 days: past half of the 10 days a dead-lettered message may have left.
    expect(opsFindings([changed(member, ageId, { Threshold: 6 * 86_400 })])).toHaveLength(1);
    const [visibleId] = resourcesOf(member).find(
      ([, r]) => r.Properties.AlarmName === 'orgbridge-handler-dlq-visible',
    ) as [string, Resource];
    expect(opsFindings([changed(member, visibleId, { AlarmName: 'handler-dlq-visible' })])).toEqual([
      expect.objectContaining({ resource: visibleId, message: 'alarm name does not start with orgbridge-' }),
    ]);
  });
});

describe('the audit flood alarm', () => {
  it('watches the audit store rule on its bus, sustained over 15 minutes, scaled by the organization', () => {
    const alarm = alarmsOf(byName('handlers-audit')).find((a) => a.AlarmName === 'orgbridge-audit-flood');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Dimensions: [
        { Name: 'EventBusName', Value: 'orgbridge-bus' },
        { Name: 'RuleName', Value: 'orgbridge-audit-store' },
      ],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: auditFloodThreshold(inputs.config.accounts.length),
    });
    // The rule it names is the audit store's, in the same template.
    const rule = resourcesOf(byName('handlers-audit')).find(
      ([, r]) => r.Properties.Name === 'orgbridge-audit-store',
    );
    expect(JSON.stringify(rule?.[1].Properties.Targets)).toContain('OrgbridgeAuditQueue');
    expect(auditFloodThreshold(11)).toBe(1_000);
    expect(auditFloodThreshold(5_000)).toBe(50_000);
    for (const t of aws.filter((x) => x.name !== 'handlers-audit'))
      expect(alarmsOf(t).map((a) => a.AlarmName)).not.toContain('orgbridge-audit-flood');
  });
});

describe('the reply backlog alarm', () => {
  it("watches the cicd account's reply queue, sustained over 15 minutes, scaled by the organization", () => {
    const name = 'orgbridge-replies-backlog';
    const alarm = alarmsOf(byName('handlers-cicd')).find((a) => a.AlarmName === name);
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['OrgbridgeRepliesQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      EvaluationPeriods: 3,
      Threshold: replyBacklogThreshold(inputs.config.accounts.length),
    });
    expect(replyBacklogThreshold(11)).toBe(1_000);
    expect(replyBacklogThreshold(5_000)).toBe(5_000);
    for (const t of aws.filter((x) => x.name !== 'handlers-cicd'))
      expect(alarmsOf(t).map((a) => a.AlarmName)).not.toContain(name);
  });
});
