import { CfnOutput, Fn, type Stack } from 'aws-cdk-lib';
import { CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnLink, CfnSink } from 'aws-cdk-lib/aws-oam';
import { METRICS_NAMESPACE, MONITORING_LINK_TAG } from '../../protocol/names.js';
import { ALARM_RULE_PREFIX, ALARMS_BUS } from './notifications.js';

/**
 * One view of every account's orgbridge metrics, in the audit account (docs/operations.md,
 * "Dashboard"). Each handler's metrics live in its own account; CloudWatch cross-account
 * observability shares them: a sink in the audit account (the monitoring account) and a link
 * from every other account (a source account), after which the audit account's search
 * expressions and dashboards see the metrics of all of them
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html).
 *
 * The link names the sink by its ARN, which AWS generates when the sink is created: the
 * bootstrap reads it from the audit handler stack's output (MONITORING_SINK_OUTPUT) and renders
 * the links once it exists (src/pipeline/bootstrap.ts).
 */
export const MONITORING_SINK_NAME = 'orgbridge-monitoring';
/** The audit handler stack's output holding the sink's ARN. */
export const MONITORING_SINK_OUTPUT = 'MonitoringSinkArn';
export const DASHBOARD_NAME = 'orgbridge';

/**
 * What a source account shares: metrics only, and only the namespaces the dashboard reads (the
 * link's metric filter, https://docs.aws.amazon.com/OAM/latest/APIReference/API_MetricConfiguration.html).
 * The audit account sees orgbridge's own metrics, queues, functions and rules of each account,
 * nothing of its workloads' namespaces.
 */
export const SHARED_NAMESPACES = [METRICS_NAMESPACE, 'AWS/SQS', 'AWS/Lambda', 'AWS/Events'] as const;

/**
 * The sink: any account of the organization may link to it, sharing metrics only
 * (https://docs.aws.amazon.com/OAM/latest/APIReference/API_PutSinkPolicy.html, "organization"
 * example; oam:ResourceTypes is multivalued, hence ForAllValues).
 */
export function addMonitoringSink(stack: Stack, organizationId: string): CfnSink {
  const sink = new CfnSink(stack, 'MonitoringSink', {
    name: MONITORING_SINK_NAME,
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'LinkFromOrganization',
          Effect: 'Allow',
          Principal: '*',
          Action: ['oam:CreateLink', 'oam:UpdateLink'],
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:PrincipalOrgID': organizationId },
            'ForAllValues:StringEquals': { 'oam:ResourceTypes': ['AWS::CloudWatch::Metric'] },
          },
        },
      ],
    },
  });
  new CfnOutput(stack, MONITORING_SINK_OUTPUT, {
    value: sink.attrArn,
    description: "orgbridge: the audit account's monitoring sink (every other account links to it)",
  });
  return sink;
}

/** The link of a source account to the audit account's sink (the event bus template). */
export function addMonitoringLink(stack: Stack, sinkArn: string): CfnLink {
  return new CfnLink(stack, 'MonitoringLink', {
    sinkIdentifier: sinkArn,
    resourceTypes: ['AWS::CloudWatch::Metric'],
    labelTemplate: '$AccountName',
    linkConfiguration: {
      metricConfiguration: {
        filter: `Namespace IN (${SHARED_NAMESPACES.map((n) => `'${n}'`).join(', ')})`,
      },
    },
    tags: { [MONITORING_LINK_TAG.key]: MONITORING_LINK_TAG.value },
  });
}

/** A search over every linked account and the audit account itself. */
const search = (query: string, statistic: 'Sum' | 'Maximum') => `SEARCH('${query}', '${statistic}', 300)`;
const HANDLER_SCHEMA = `{${METRICS_NAMESPACE},AccountKind,DetailType,service}`;

type Widget = Record<string, unknown>;
/** Filled in by the body's Fn::Sub. */
const REGION = `\${AWS::Region}`;

function graph(
  title: string,
  expressions: readonly (readonly [label: string, expression: string])[],
  at: { x: number; y: number; width?: number },
): Widget {
  return {
    type: 'metric',
    x: at.x,
    y: at.y,
    width: at.width ?? 12,
    height: 6,
    properties: {
      title,
      region: REGION,
      view: 'timeSeries',
      stat: 'Sum',
      period: 300,
      metrics: expressions.map(([label, expression], i) => [{ expression, label, id: `e${i + 1}` }]),
    },
  };
}

/** The widgets: totals first, then what needs a person (failures, rejections, dead letters). */
export function dashboardWidgets(): Widget[] {
  const metric = (name: string) => search(`${HANDLER_SCHEMA} MetricName="${name}"`, 'Sum');
  // Rejections carry one more dimension, the reason.
  const rejected = search(
    `{${METRICS_NAMESPACE},AccountKind,DetailType,Reason,service} MetricName="Rejected"`,
    'Sum',
  );
  return [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 3,
      properties: {
        markdown: [
          '## orgbridge: every account',
          'Metrics of every account linked to this one (CloudWatch cross-account observability). ',
          'A dead letter: `orgbridge dlq list`, then `orgbridge dlq show <account>/<queue>`; ',
          'refused events: `orgbridge events --status rejected --since 1h`; one request: `orgbridge trace <nonce>` ',
          '(docs/operations.md).',
        ].join(''),
      },
    },
    graph(
      'Requests, all accounts',
      [
        ['handled', `SUM(${metric('Handled')})`],
        ['duplicates', `SUM(${metric('Duplicate')})`],
        ['rejected', `SUM(${rejected})`],
        ['failed attempts', `SUM(${metric('Failed')})`],
      ],
      { x: 0, y: 3 },
    ),
    graph('Failed attempts by account and detail-type', [['', metric('Failed')]], { x: 12, y: 3 }),
    graph('Rejected by reason', [['', rejected]], { x: 0, y: 9 }),
    graph(
      'Dead-letter queues: visible messages',
      [
        [
          '',
          search(
            '{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" AND QueueName=orgbridge AND QueueName=dlq',
            'Maximum',
          ),
        ],
      ],
      { x: 12, y: 9 },
    ),
    graph(
      'Handler errors and throttles',
      [
        ['', search('{AWS/Lambda,FunctionName} MetricName="Errors" AND FunctionName=orgbridge', 'Sum')],
        ['', search('{AWS/Lambda,FunctionName} MetricName="Throttles" AND FunctionName=orgbridge', 'Sum')],
      ],
      { x: 0, y: 15 },
    ),
    graph(
      'Slowest batch by account kind (ms)',
      [['', search(`{${METRICS_NAMESPACE},AccountKind,service} MetricName="BatchDuration"`, 'Maximum')]],
      { x: 12, y: 15 },
    ),
    {
      type: 'metric',
      x: 0,
      y: 21,
      width: 24,
      height: 6,
      properties: {
        title: 'Alarm state changes, all accounts (to the alarms topic)',
        region: REGION,
        view: 'timeSeries',
        stat: 'Sum',
        period: 300,
        metrics: [
          [
            'AWS/Events',
            'MatchedEvents',
            'EventBusName',
            ALARMS_BUS,
            'RuleName',
            `${ALARM_RULE_PREFIX}-to-topic`,
          ],
        ],
      },
    },
  ];
}

/** The dashboard, in the audit account. */
export function addDashboard(stack: Stack): CfnDashboard {
  return new CfnDashboard(stack, 'Dashboard', {
    dashboardName: DASHBOARD_NAME,
    // Fn::Sub fills in the region; the body has no other `${`.
    dashboardBody: Fn.sub(JSON.stringify({ widgets: dashboardWidgets() })),
  });
}
