import { describe, expect, it } from 'vitest';
import { BOUNDARY_CASES } from '../../../src/templates/boundary-cases.js';
import { deploySteps } from '../../../src/templates/deployment.js';
import { checkDeployment, checkTemplates } from '../../../src/templates/guardrails.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { checkReferences, deploymentWaves } from '../../../src/templates/references.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { accountId, BUNDLE_KEYS, fakeTemplate, opsAlarms, syntheticConfig } from './fixtures.js';

/**
 * The guardrails added for the first deployment into a real organization: each against the form
 * that would have failed there, and the rendered templates against all of them.
 */
const rules = (resources: Record<string, unknown>) =>
  checkTemplates([fakeTemplate(resources)]).findings.map((f) => f.rule);

const DLQ = { Arn: 'arn:aws:sqs:us-east-1:100000000001:orgbridge-events-dlq' };
const RETRY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 };
const bus = 'arn:aws:events:us-east-1:100000000002:event-bus/orgbridge-bus';
const rule = (pattern: Record<string, unknown>, target: Record<string, unknown>) => ({
  R: {
    Type: 'AWS::Events::Rule',
    Properties: { EventBusName: 'orgbridge-bus', EventPattern: pattern, Targets: [{ Id: 't', ...target }] },
  },
});

describe('guardrails for a real organization', () => {
  it('OB-SEC-5: flags NotPrincipal (the logs bucket deny-modification as it was)', () => {
    const policy = (statement: Record<string, unknown>) => ({
      P: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: { Bucket: 'b', PolicyDocument: { Statement: [statement] } },
      },
    });
    expect(
      rules(
        policy({
          Sid: 'deny-modification',
          Effect: 'Deny',
          NotPrincipal: { AWS: ['arn:aws:iam::100000000005:role/update-s3-stacks-role'] },
          Action: 's3:Delete*',
          Resource: 'arn:aws:s3:::b',
        }),
      ),
    ).toEqual(['OB-SEC-5']);
    expect(
      rules(
        policy({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:Delete*',
          Resource: 'arn:aws:s3:::b',
          Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::100000000005:role/x' } },
        }),
      ),
    ).toEqual([]);
  });

  it('OB-SEC-9: flags a queue any queue may name as its dead-letter queue, but not a redrive DLQ', () => {
    // Only this rule: the queues below have no policy, which other rules flag.
    const sec9 = (resources: Record<string, unknown>) => rules(resources).filter((r) => r === 'OB-SEC-9');
    const queue = (properties: Record<string, unknown>) => ({
      Type: 'AWS::SQS::Queue',
      Properties: properties,
    });
    const deny = { RedriveAllowPolicy: { redrivePermission: 'denyAll' } };
    const redrive = {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 },
    };
    expect(sec9({ Q: queue({ QueueName: 'orgbridge-handler', ...redrive }), Dlq: queue({}) })).toEqual([
      'OB-SEC-9',
    ]);
    expect(
      sec9({
        Q: queue({ ...redrive, RedriveAllowPolicy: { redrivePermission: 'allowAll' } }),
        Dlq: queue({}),
      }),
    ).toEqual(['OB-SEC-9']);
    // The redrive target itself must stay open to its source queue.
    expect(sec9({ Q: queue({ ...redrive, ...deny }), Dlq: queue({}) })).toEqual([]);
    // A rule target's DLQ is no redrive target: it is closed too.
    expect(sec9({ EventsDlq: queue({ QueueName: 'orgbridge-events-dlq' }) })).toEqual(['OB-SEC-9']);
    expect(sec9({ EventsDlq: queue({ QueueName: 'orgbridge-events-dlq', ...deny }) })).toEqual([]);
  });

  it('OB-SEC-10: flags the customization boundary as it was (no boundary required on what it creates)', () => {
    const rendered = renderTemplates(
      templateInputs(syntheticConfig(2), { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
    ).find((t) => t.name === 'handlers-member');
    const policy = (
      rendered?.template.Resources as Record<string, { Properties: { PolicyDocument: unknown } }>
    ).CustomizationBoundary?.Properties.PolicyDocument as { Statement: { Sid: string }[] };
    const misses = (keep: (sid: string) => boolean, extra: object[] = []) =>
      checkTemplates([
        fakeTemplate({
          CustomizationBoundary: {
            Type: 'AWS::IAM::ManagedPolicy',
            Properties: {
              ManagedPolicyName: 'orgbridge-customization-boundary',
              PolicyDocument: {
                ...policy,
                Statement: [...policy.Statement.filter((st) => keep(st.Sid)), ...extra],
              },
            },
          },
        }),
      ]).findings.filter((f) => f.rule === 'OB-SEC-10');
    const what = (message: string) => message.match(/"(.*)"/)?.[1];
    expect(misses(() => true)).toEqual([]);

    const added = [
      'NewPrincipalsCarryThisBoundary',
      'PoliciesOnlyOnBoundedPrincipals',
      'BoundariesStay',
      'OnlyCustomizationIdentities',
      'NoUserJoinsAGroup',
      'OrganizationIsOrgbridges',
      'AssumesItsOwnRolesOnly',
      'ProtectOrgbridgeMonitoringLink',
      'ProtectOrgbridgeKeys',
    ];
    const asItWas = misses((sid) => !added.includes(sid));
    const stillStopped = /orgbridge's handler|queue|alarms|rewrite its own/;
    expect(asItWas.map((f) => what(f.message))).toEqual(
      BOUNDARY_CASES.filter((c) => c.expect === 'deny' && !stillStopped.test(c.what)).map((c) => c.what),
    );
    expect(asItWas[0]?.message).toMatch(
      /^must deny "create a role without the boundary" \(iam:CreateRole on arn:aws:iam::\d+:role\/custom-.*\), got allow/,
    );

    // A boundary that stops everything stops what customizations must be able to do.
    const everything = { Sid: 'Nothing', Effect: 'Deny', Action: '*', Resource: '*' };
    expect(misses(() => true, [everything]).map((f) => what(f.message))).toEqual(
      BOUNDARY_CASES.filter((c) => c.expect === 'allow').map((c) => c.what),
    );
  });

  it('OB-LIM-1: flags a template without resources, which CloudFormation refuses', () => {
    expect(rules({})).toContain('OB-LIM-1');
    expect(rules({ H: { Type: 'AWS::CloudFormation::WaitConditionHandle' } })).not.toContain('OB-LIM-1');
  });

  it("OB-LIM-2: flags a managed policy over IAM's 6,144 characters (whitespace not counted)", () => {
    const policy = (n: number) => ({
      P: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          PolicyDocument: {
            Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: `arn:aws:s3:::${'b'.repeat(n)}` }],
          },
        },
      },
    });
    const lim2 = (n: number) => rules(policy(n)).filter((r) => r === 'OB-LIM-2');
    expect(lim2(6_100)).toEqual(['OB-LIM-2']);
    expect(lim2(6_000)).toEqual([]);
  });

  it('OB-REL-2: flags a rule target without a dead-letter queue or without a retry policy', () => {
    const pattern = { source: ['app.infra'], account: ['100000000001'] };
    expect(rules(rule(pattern, { Arn: bus, DeadLetterConfig: DLQ, RetryPolicy: RETRY }))).toEqual([]);
    expect(rules(rule(pattern, { Arn: bus, RetryPolicy: RETRY }))).toEqual(['OB-REL-2']);
    expect(rules(rule(pattern, { Arn: bus, DeadLetterConfig: DLQ }))).toEqual(['OB-REL-2']);
  });

  it('OB-REL-3: flags a forward to another bus that could carry received events (the old audit copy)', () => {
    const target = { Arn: bus, DeadLetterConfig: DLQ, RetryPolicy: RETRY };
    // The copy "of every event addressed to this account", taken after the forward: a second hop.
    expect(
      rules(rule({ source: ['app.infra'], detail: { target_account: [{ Ref: 'AWS::AccountId' }] } }, target)),
    ).toEqual(['OB-REL-3']);
    expect(rules(rule({ source: ['app.infra'], account: [{ Ref: 'AWS::AccountId' }] }, target))).toEqual([]);
    expect(rules(rule({ source: ['app.infra'], account: ['100000000001', '100000000002'] }, target))).toEqual(
      ['OB-REL-3'],
    );
    // A queue target is not a forward.
    expect(
      rules(
        rule(
          { source: ['app.infra'] },
          { Arn: 'arn:aws:sqs:us-east-1:1:q', DeadLetterConfig: DLQ, RetryPolicy: RETRY },
        ),
      ),
    ).toEqual([]);
  });

  it('OB-REL-4: flags a handler whose declared wait outlives its function timeout (a 300 s deployer)', () => {
    const fn = (kind: string, timeout: number) => ({
      F: {
        Type: 'AWS::Lambda::Function',
        Properties: { Timeout: timeout, Environment: { Variables: { ORGBRIDGE_ACCOUNT_KIND: kind } } },
      },
      ...opsAlarms({ functions: ['F'] }),
    });
    // Every kind deploys stacks (UPDATE_ACCOUNT_BASELINE, CREATE_VPC, DEPLOY_CUSTOMIZATION): 840 s
    // of waiting + 30 s.
    expect(rules(fn('member', 300))).toEqual(['OB-REL-4', 'OB-REL-4', 'OB-REL-4']);
    expect(rules(fn('member', 900))).toEqual([]);
    expect(new Set(rules(fn('management', 600)))).toEqual(new Set(['OB-REL-4']));
  });
});

describe('OB-REF-1: references to named resources follow the deployment order', () => {
  const inputs = templateInputs(syntheticConfig(4), {
    organizationId: 'o-abcdefghij',
    bundleKeys: BUNDLE_KEYS,
  });
  const aws = renderTemplates(inputs);
  const local = renderTemplates(inputs, { local: true });
  const placed = (template: RenderedTemplate, n: number, serviceRoleName?: string) => ({
    template,
    accountId: accountId(n),
    region: 'ap-southeast-2',
    stackName: 'x',
    ...(serviceRoleName ? { serviceRoleName } : {}),
  });
  const byName = (templates: readonly RenderedTemplate[], name: string) =>
    templates.find((t) => t.name === name) as RenderedTemplate;

  it('passes the rendered deployment, in AWS and locally, with every other guardrail', () => {
    for (const [templates, isLocal] of [
      [aws, false],
      [local, true],
    ] as const) {
      expect(checkDeployment({ inputs, templates, local: isLocal, rootId: 'r-ab12' }).findings).toEqual([]);
    }
  });

  it("flags a special account's handler stack deployed before its bus (the stack sets last)", () => {
    // cicd is special account 2: its bus comes from the event bus stack set.
    const findings = checkReferences([[placed(byName(aws, 'handlers-cicd'), 2)]]);
    expect(findings.map((f) => f.message).join('\n')).toMatch(
      /the rule’s bus, bus orgbridge-bus in 100000000002/,
    );
    expect(findings.map((f) => f.message).join('\n')).toMatch(
      /dead-letter queue, queue orgbridge-events-dlq/,
    );
    const artifacts = placed(byName(aws, 'artifacts-ap-southeast-2'), 2);
    expect(
      checkReferences([
        [artifacts, placed(byName(aws, 'event-bus'), 2)],
        [placed(byName(aws, 'handlers-cicd'), 2)],
      ]),
    ).toEqual([]);
  });

  it('flags the logs bucket deployed with a service role no earlier stack created', () => {
    const logs = placed(byName(aws, 'log-buckets'), 5, 'update-s3-stacks-role');
    expect(checkReferences([[logs]]).map((f) => f.message)).toEqual([
      expect.stringMatching(/service role, role update-s3-stacks-role/),
    ]);
    const buses = [placed(byName(aws, 'artifacts-ap-southeast-2'), 2), placed(byName(aws, 'event-bus'), 5)];
    expect(checkReferences([buses, [placed(byName(aws, 'handlers-logs'), 5)], [logs]])).toEqual([]);
  });

  it('flags member handler instances that do not wait for the event bus stack set', () => {
    const sets = byName(aws, 'stack-sets');
    const resources = JSON.parse(JSON.stringify(sets.template.Resources)) as Record<
      string,
      { Properties: { AutoDeployment: Record<string, unknown> } }
    >;
    delete resources.MemberHandlersStackSet?.Properties.AutoDeployment.DependsOn;
    const racing = { ...sets, template: { ...sets.template, Resources: resources } };
    const templates = aws.map((t) => (t === sets ? racing : t));
    const steps = deploySteps({ inputs, templates, local: false, rootId: 'r-ab12' });
    const members = Object.values(inputs.accountIds).filter((id) => Number(id) >= 100_000_000_100);
    const all = Object.values(inputs.accountIds).filter((id) => id !== accountId(1));
    const findings = checkReferences(
      deploymentWaves(steps, templates, ({ accounts }) => (accounts === 'all' ? all : members)),
    );
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.template))).toEqual(new Set(['handlers-member']));
  });
});
