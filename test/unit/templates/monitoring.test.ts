import { describe, expect, it } from 'vitest';
import { checkTemplates } from '../../../src/templates/guardrails.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { SHARED_NAMESPACES } from '../../../src/templates/stacks/monitoring.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * The organization dashboard: a CloudWatch cross-account observability sink in the audit account,
 * a link from every other account once the sink's ARN is known, and the dashboard reading them.
 */
const config = syntheticConfig(3);
const SINK = 'arn:aws:oam:eu-west-1:100000000006:sink/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const before = templateInputs(config, { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS });
const linked = { ...before, monitoringSinkArn: SINK };

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
const byName = (list: readonly RenderedTemplate[], name: string) =>
  list.find((t) => t.name === name) as RenderedTemplate;
const ofType = (t: RenderedTemplate, type: string) =>
  Object.values(t.template.Resources as Record<string, Resource>).filter((r) => r.Type === type);

describe('organization dashboard', () => {
  const aws = renderTemplates(linked);
  const audit = byName(aws, 'handlers-audit');
  const bus = byName(aws, 'event-bus');

  it('the audit account holds a sink only the organization may link to, sharing metrics only', () => {
    const [sink] = ofType(audit, 'AWS::Oam::Sink') as [Resource];
    expect(sink.Properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'LinkFromOrganization',
          Effect: 'Allow',
          Principal: '*',
          Action: ['oam:CreateLink', 'oam:UpdateLink'],
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' },
            'ForAllValues:StringEquals': { 'oam:ResourceTypes': ['AWS::CloudWatch::Metric'] },
          },
        },
      ],
    });
    expect((audit.template.Outputs as Record<string, unknown>).MonitoringSinkArn).toEqual({
      Description: expect.any(String),
      Value: { 'Fn::GetAtt': ['MonitoringSink', 'Arn'] },
    });
    // No other template has a sink or a dashboard.
    for (const t of aws.filter((x) => x.name !== 'handlers-audit')) {
      expect(
        ofType(t, 'AWS::Oam::Sink').length + ofType(t, 'AWS::CloudWatch::Dashboard').length,
        t.name,
      ).toBe(0);
    }
  });

  it('every other account links to the sink, metrics of orgbridge namespaces only, tagged; none before the ARN is known', () => {
    const [link] = ofType(bus, 'AWS::Oam::Link') as [Resource];
    expect(link.Condition).toBe('IsNotAuditAccount');
    expect(link.Properties).toEqual({
      SinkIdentifier: SINK,
      ResourceTypes: ['AWS::CloudWatch::Metric'],
      LabelTemplate: '$AccountName',
      LinkConfiguration: {
        MetricConfiguration: { Filter: "Namespace IN ('orgbridge', 'AWS/SQS', 'AWS/Lambda', 'AWS/Events')" },
      },
      // What the customization boundary knows it by (a link has no name).
      Tags: { 'orgbridge:component': 'monitoring-link' },
    });
    expect(ofType(byName(renderTemplates(before), 'event-bus'), 'AWS::Oam::Link')).toEqual([]);
    // The emulator has no cross-account observability: nothing of it in local mode.
    for (const t of renderTemplates(linked, { local: true })) {
      for (const type of ['AWS::Oam::Sink', 'AWS::Oam::Link', 'AWS::CloudWatch::Dashboard'])
        expect(ofType(t, type), `${t.name} ${type}`).toEqual([]);
    }
  });

  it('the dashboard reads only what the links share: handler metrics, DLQ depths, errors, alarms', () => {
    const [dashboard] = ofType(audit, 'AWS::CloudWatch::Dashboard') as [Resource];
    expect(dashboard.Properties.DashboardName).toBe('orgbridge');
    const sub = (dashboard.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    // Fn::Sub substitutes the region only; the body is JSON once it has.
    expect(new Set([...sub.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))).toEqual(new Set(['AWS::Region']));
    const body = JSON.parse(sub.replaceAll(`\${AWS::Region}`, 'eu-west-1')) as {
      widgets: { type: string; properties: { title?: string; metrics?: unknown[] } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Requests, all accounts',
      'Failed attempts by account and detail-type',
      'Rejected by reason',
      'Dead-letter queues: visible messages',
      'Handler errors and throttles',
      'Slowest batch by account kind (ms)',
      'Alarm state changes, all accounts (to the alarms topic)',
    ]);
    const text = JSON.stringify(body);
    const namespaces = [...text.matchAll(/SEARCH\('\{([^,}]+)/g)].map((m) => m[1]);
    expect(namespaces.length).toBeGreaterThan(5);
    for (const n of namespaces) expect(SHARED_NAMESPACES as readonly string[]).toContain(n);
    expect(text).toContain('QueueName=dlq');
    expect(text).toContain('orgbridge dlq list');
  });

  it('passes every guardrail and cfn-lint', { timeout: 120_000 }, async () => {
    expect(checkTemplates([audit, bus]).findings).toEqual([]);
    const result = await cfnLint({
      templates: [audit, bus].map((t) => ({ name: `monitoring-${t.name}.template.json`, body: t.body })),
    });
    expect(result.findings).toEqual([]);
  });
});
