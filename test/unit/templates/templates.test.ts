import { describe, expect, it } from 'vitest';
import { orgPathResolver, planLogDelivery } from '../../../src/plan/access.js';
import { MARKERS } from '../../../src/plan/markers.js';
import type { ObservedOrganization } from '../../../src/plan/observed.js';
import {
  computeTopology,
  denyConsumeExceptStatement,
  denySendExceptRulesStatement,
} from '../../../src/protocol/topology.js';
import { checkTemplates, GUARDRAILS, SUPPRESSIONS } from '../../../src/templates/guardrails.js';
import { resolveAccountIds, templateInputs } from '../../../src/templates/inputs.js';
import { HANDLER_PERMISSIONS, STACK_DEPLOYMENTS, statementsFor } from '../../../src/templates/permissions.js';
import { renderLogBuckets } from '../../../src/templates/provisioning.js';
import { ALARM_RULE_PREFIX } from '../../../src/templates/stacks/notifications.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { kindViewOf, renderTopology, topologyInput } from '../../../src/templates/topology-adapter.js';
import { accountId, BUNDLE_KEYS, fakeTemplate, opsAlarms, syntheticConfig } from './fixtures.js';

const ORG = 'o-abcdefghij';
const config = syntheticConfig(20);
const inputs = templateInputs(config, { organizationId: ORG, bundleKeys: BUNDLE_KEYS });
const templates = renderTemplates(inputs);
const local = renderTemplates(inputs, { local: true });

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
const byName = (list: readonly RenderedTemplate[], name: string) => {
  const t = list.find((x) => x.name === name);
  if (!t) throw new Error(`no template ${name}`);
  return t;
};
const resourcesOf = (t: RenderedTemplate, type?: string): [string, Resource][] =>
  Object.entries(t.template.Resources as Record<string, Resource>).filter(
    ([, r]) => !type || r.Type === type,
  );

/** Every action a role grants, across its inline policies. */
function roleActions(t: RenderedTemplate, logicalId: string): string[] {
  const role = (t.template.Resources as Record<string, Resource>)[logicalId];
  const policies = (role?.Properties.Policies ?? []) as {
    PolicyDocument: { Statement: { Action: unknown }[] };
  }[];
  return policies
    .flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat() as string[]))
    .sort();
}

describe('rendered templates', () => {
  it('put every ARN in the organization’s partition (China: arn:aws-cn:, or the stack’s partition)', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: the partition is part
    // of every ARN, so a literal `arn:aws:` breaks in China and GovCloud.
    const base = syntheticConfig(3);
    const china = {
      ...base,
      defaults: { region: 'cn-north-1', regions: ['cn-north-1', 'cn-northwest-1'] },
      accounts: base.accounts.map((a) => ({ ...a, region: 'cn-north-1', regions: ['cn-north-1'] })),
    };
    const cn = templateInputs(china, { organizationId: ORG, bundleKeys: BUNDLE_KEYS });
    for (const t of [...renderTemplates(cn), ...renderTemplates(cn, { local: true })]) {
      // `arn:${AWS::Partition}:` does not match: CloudFormation fills it in at deploy time.
      const partitions = new Set([...JSON.stringify(t.template).matchAll(/arn:[\w-]*:/g)].map((m) => m[0]));
      expect({ name: t.name, partitions: [...partitions] }).toEqual({
        name: t.name,
        partitions: partitions.size === 0 ? [] : ['arn:aws-cn:'],
      });
    }
  });

  it('render one template per stack, the stack sets last, and no stack sets template in local mode', () => {
    expect(templates.map((t) => t.name)).toEqual([
      'artifacts-ap-southeast-2',
      'artifacts-us-east-1',
      'event-bus',
      'handlers-management',
      'handlers-cicd',
      'handlers-identity',
      'handlers-dns',
      'handlers-logs',
      'handlers-audit',
      'handlers-member',
      'log-buckets',
      'forward-00',
      'stack-sets',
    ]);
    expect(local.map((t) => t.name)).not.toContain('stack-sets');
  });

  it('are deterministic (same inputs, same bytes)', () => {
    const again = renderTemplates(inputs);
    expect(again.map((t) => t.sha256)).toEqual(templates.map((t) => t.sha256));
  });

  it('pass every guardrail with only the documented suppressions', () => {
    const report = checkTemplates([...templates, ...local]);
    expect(report.findings).toEqual([]);
    // Only the queues read by operators and the pipeline (their principal is not orgbridge's)
    // are waived from the consume deny, in both variants, and the customization boundary's
    // Allow of `*` (a boundary grants nothing) in every handler template; every suppression is used.
    const boundaries = report.suppressed
      .filter((f) => f.rule === 'OB-SEC-2')
      .map((f) => `${f.template} ${f.resource}`);
    expect([...new Set(boundaries)].sort()).toEqual(
      ['audit', 'cicd', 'dns', 'identity', 'logs', 'management', 'member'].map(
        (k) => `handlers-${k} CustomizationBoundary`,
      ),
    );
    const waived = report.suppressed
      .filter((f) => f.rule !== 'OB-SEC-2')
      .map((f) => `${f.rule} ${f.template} ${f.resource}`);
    const expected = [
      'OB-SEC-7 event-bus EventTargetDeadLetterQueue',
      'OB-SEC-7 handlers-cicd OrgbridgeRepliesDlq',
      'OB-SEC-7 handlers-cicd OrgbridgeRepliesQueue',
    ];
    expect([...new Set(waived)].sort()).toEqual(expected);
    expect(SUPPRESSIONS.map((s) => `${s.rule} ${s.template} ${s.resource}`).sort()).toEqual([
      'OB-SEC-2 * CustomizationBoundary',
      ...expected,
    ]);
  });

  it('let only the rules send to a handler queue and only the handler role consume it, the role created first', () => {
    for (const kind of ['management', 'cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      for (const t of [byName(templates, `handlers-${kind}`), byName(local, `handlers-${kind}`)]) {
        const policies = Object.fromEntries(resourcesOf(t, 'AWS::SQS::QueuePolicy'));
        const statementsOf = (id: string) =>
          (policies[id]?.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
        for (const id of ['OrgbridgeHandlerPolicy', 'OrgbridgeHandlerDlqPolicy']) {
          const statements = statementsOf(id);
          const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
          expect(bySid.DenySendExceptOrgbridgeRules?.Effect).toBe('Deny');
          // GetAtt of the roles: CloudFormation creates them before the policy naming them. The
          // DLQ operator reads the DLQ and sends back to the source queue (orgbridge dlq redrive).
          const consumers = [
            { 'Fn::GetAtt': ['HandlerRole', 'Arn'] },
            { 'Fn::GetAtt': ['DlqOperatorRole', 'Arn'] },
          ];
          expect(bySid.DenyConsumeExceptConsumers?.Condition).toEqual({
            ArnNotEquals: { 'aws:PrincipalArn': consumers },
          });
        }
        const sourceDeny = statementsOf('OrgbridgeHandlerPolicy').find(
          (s) => s.Sid === 'DenySendExceptOrgbridgeRules',
        ) as { Condition: { ArnNotEquals: Record<string, unknown> } };
        // The DLQ operator sends back (redrive), except into the management handler queue when
        // the config names no operators: there a forged envelope would act on Organizations.
        expect(sourceDeny.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual(
          kind === 'management' ? undefined : [{ 'Fn::GetAtt': ['DlqOperatorRole', 'Arn'] }],
        );
        expect(sourceDeny.Condition.ArnNotEquals['aws:SourceArn']).toBeDefined();
        const dlqDeny = statementsOf('OrgbridgeHandlerDlqPolicy').find(
          (s) => s.Sid === 'DenySendExceptOrgbridgeRules',
        );
        // Nobody sends to a DLQ: SQS moves failed messages there itself.
        expect(dlqDeny?.Condition).toBeUndefined();
      }
    }
  });

  it('give every handler a Lambda fed by its queue with partial batch failures, except in local mode', () => {
    for (const kind of ['management', 'cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      const t = byName(templates, `handlers-${kind}`);
      const [[, fn] = []] = resourcesOf(t, 'AWS::Lambda::Function');
      expect(fn?.Properties.Code).toEqual({
        S3Bucket: { 'Fn::Sub': `orgbridge-artifacts-${accountId(2)}-\${AWS::Region}` },
        S3Key: BUNDLE_KEYS[kind as keyof typeof BUNDLE_KEYS],
      });
      const [[, esm] = []] = resourcesOf(t, 'AWS::Lambda::EventSourceMapping');
      expect(esm?.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      // Only the DNS handler gathers its requests for a second: they share their Route 53 calls.
      expect(esm?.Properties.MaximumBatchingWindowInSeconds, kind).toBe(kind === 'dns' ? 1 : undefined);
      const l = byName(local, `handlers-${kind}`);
      expect(resourcesOf(l, 'AWS::Lambda::Function')).toEqual([]);
      expect(resourcesOf(l, 'AWS::Lambda::EventSourceMapping')).toEqual([]);
      // The local variant keeps the queues the in-process poller consumes.
      expect(resourcesOf(l, 'AWS::SQS::Queue').length).toBe(resourcesOf(t, 'AWS::SQS::Queue').length);
    }
  });

  it('give the management function the placement OUs its runtime refuses to start without, and no other function', () => {
    const environmentOf = (kind: string): Record<string, string> => {
      const [[, fn] = []] = resourcesOf(byName(templates, `handlers-${kind}`), 'AWS::Lambda::Function');
      const environment = fn?.Properties.Environment as { Variables: Record<string, string> } | undefined;
      return environment?.Variables ?? {};
    };
    expect(environmentOf('management')).toMatchObject({
      ORGBRIDGE_ROOT_OU: config.organization.root_ou,
      ORGBRIDGE_MORGUE_OU: config.organization.morgue_ou,
    });
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      expect(environmentOf(kind)).not.toHaveProperty('ORGBRIDGE_ROOT_OU');
    }
  });

  it('let the stack deployer role deploy the account baseline where UPDATE_ACCOUNT_BASELINE is handled', () => {
    const topology = renderTopology(inputs);
    const kinds = Object.entries(topology.kinds).filter(([, view]) =>
      view.handledDetailTypes.includes('UPDATE_ACCOUNT_BASELINE'),
    );
    expect(kinds.length).toBeGreaterThan(0);
    for (const [kind] of kinds) {
      const actions = roleActions(byName(templates, `handlers-${kind}`), 'StackDeployerRole');
      const baseline = STACK_DEPLOYMENTS.find((d) => d.stack === 'accountBaseline');
      for (const action of baseline?.statements.flatMap((s) => s.actions) ?? []) {
        expect(actions, kind).toContain(action);
      }
    }
  });

  it('scope the management role to the listed Organizations actions, and no other role gets any', () => {
    const management = roleActions(byName(templates, 'handlers-management'), 'HandlerRole').filter((a) =>
      a.startsWith('organizations:'),
    );
    expect([...new Set(management)].sort()).toEqual([
      'organizations:AttachPolicy',
      'organizations:CloseAccount',
      'organizations:CreateAccount',
      'organizations:CreateOrganizationalUnit',
      'organizations:CreatePolicy',
      'organizations:DeletePolicy',
      'organizations:DescribeAccount',
      'organizations:DescribeCreateAccountStatus',
      'organizations:DescribeOrganization',
      'organizations:DescribeOrganizationalUnit',
      'organizations:DescribePolicy',
      'organizations:DetachPolicy',
      'organizations:EnablePolicyType',
      'organizations:ListAccounts',
      'organizations:ListAccountsForParent',
      'organizations:ListCreateAccountStatus',
      'organizations:ListOrganizationalUnitsForParent',
      'organizations:ListParents',
      'organizations:ListPolicies',
      'organizations:ListPoliciesForTarget',
      'organizations:ListRoots',
      'organizations:ListTagsForResource',
      'organizations:ListTargetsForPolicy',
      'organizations:MoveAccount',
      'organizations:TagResource',
      'organizations:UntagResource',
      'organizations:UpdatePolicy',
    ]);
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      expect(roleActions(byName(templates, `handlers-${kind}`), 'HandlerRole').join(' ')).not.toContain(
        'organizations:',
      );
    }
  });

  it('grant organizations:CreatePolicy on * narrowed by organizations:PolicyType (it has no resource type)', () => {
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
    const role = (byName(templates, 'handlers-management').template.Resources as Record<string, Resource>)
      .HandlerRole;
    const statements = (
      role?.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]
    )
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().includes('organizations:CreatePolicy'));
    expect(statements).toEqual([
      {
        Sid: 'CreateScps',
        Effect: 'Allow',
        Action: 'organizations:CreatePolicy',
        Resource: '*',
        Condition: { StringEquals: { 'organizations:PolicyType': 'SERVICE_CONTROL_POLICY' } },
      },
    ]);
  });

  it('use only condition keys a missing value cannot turn into a refusal: trust policies, forwarder roles', () => {
    // aws:SourceAccount "is only available when the call to your resource is made directly by an
    // AWS service principal"; with a plain StringEquals a missing key denies, and the role could
    // never be assumed (IAM reference_policies_condition-keys.html): the IfExists form only.
    // events:PutEvents documents no aws:ResourceOrgID: the forwarder roles name their buses.
    for (const t of templates) {
      for (const [id, r] of Object.entries(t.template.Resources as Record<string, Resource>)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        const trust = JSON.stringify(r.Properties.AssumeRolePolicyDocument);
        if (trust.includes('"Service"')) {
          expect(trust, `${t.name} ${id}`).not.toMatch(/"StringEquals":\{"aws:SourceAccount"/);
        }
        const policies = JSON.stringify(r.Properties.Policies ?? []);
        expect(policies, `${t.name} ${id}`).not.toContain('aws:ResourceOrgID');
        if (policies.includes('events:PutEvents') && id !== 'HandlerRole') {
          const resources = (
            r.Properties.Policies as { PolicyDocument: { Statement: { Resource: unknown }[] } }[]
          )
            .flatMap((p) => p.PolicyDocument.Statement)
            .flatMap((st) => [st.Resource].flat());
          for (const arn of resources)
            expect(JSON.stringify(arn), `${t.name} ${id}`).not.toMatch(/events:\*:\*:event-bus/);
        }
      }
    }
  });

  it('derive each handler role from the detail-types its kind handles in the topology', () => {
    const topology = renderTopology(inputs);
    for (const [kind, view] of Object.entries(topology.kinds)) {
      const expected = statementsFor(view.handledDetailTypes).flatMap((s) => s.actions);
      const actual = roleActions(byName(templates, `handlers-${kind}`), 'HandlerRole');
      for (const action of expected) expect(actual, `${kind} lacks ${action}`).toContain(action);
    }
    expect(() => statementsFor(['NOT_A_TYPE'])).toThrow(/HANDLER_PERMISSIONS/);
  });

  it('declare permissions for every detail-type of the routing table', () => {
    const topology = renderTopology(inputs);
    const handled = Object.values(topology.kinds).flatMap((k) => k.handledDetailTypes);
    for (const type of handled) expect(HANDLER_PERMISSIONS, type).toHaveProperty(type);
  });

  it('render the rules of the topology with the one InputTransformer on every queue target but the audit store', () => {
    const topology = renderTopology(inputs);
    for (const [kind, view] of Object.entries(topology.kinds)) {
      // The alarm rules route CloudWatch's events, not requests: not part of the topology.
      const rules = resourcesOf(byName(templates, `handlers-${kind}`), 'AWS::Events::Rule').filter(
        ([, r]) => !String(r.Properties.Name).startsWith(ALARM_RULE_PREFIX),
      );
      expect(rules.map(([, r]) => r.Properties.Name).sort()).toEqual(view.rules.map((r) => r.name).sort());
      for (const [, rule] of rules) {
        // By name: moto resolves Ref of an EventBus to garbage.
        expect(['orgbridge-bus', 'orgbridge-bus-outbox']).toContain(rule.Properties.EventBusName);
        for (const target of rule.Properties.Targets as { Arn: unknown; InputTransformer?: unknown }[]) {
          if (!JSON.stringify(target.Arn).includes('Fn::GetAtt')) continue;
          if (rule.Properties.Name === 'orgbridge-audit-store')
            expect(target.InputTransformer).toBeUndefined();
          else expect(target.InputTransformer).toBeDefined();
        }
      }
    }
  });

  it('give each handler role every queue its function consumes and the bus it publishes on', () => {
    // An event source mapping reads with the function's execution role
    // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), and the audit
    // handler replies on its outbox, not on the bus it receives on.
    for (const t of templates.filter((x) => x.name.startsWith('handlers-'))) {
      const resources = t.template.Resources as Record<string, Resource>;
      const runtime = (
        resources.HandlerRole?.Properties.Policies as {
          PolicyName: string;
          PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] };
        }[]
      ).find((p) => p.PolicyName === 'runtime')?.PolicyDocument.Statement;
      const granted = (sid: string) => JSON.stringify(runtime?.find((st) => st.Sid === sid)?.Resource);
      const mappings = resourcesOf(t, 'AWS::Lambda::EventSourceMapping');
      expect(mappings.length, t.name).toBeGreaterThan(0);
      for (const [, mapping] of mappings) {
        const queueId = (mapping.Properties.EventSourceArn as { 'Fn::GetAtt': [string, string] })[
          'Fn::GetAtt'
        ][0];
        const queueName = resources[queueId]?.Properties.QueueName as string;
        expect(granted('ConsumeOwnQueue'), `${t.name} consumes ${queueName}`).toContain(`:${queueName}`);
      }
      const env = (resources.HandlerFunction?.Properties.Environment as { Variables: Record<string, string> })
        .Variables;
      expect(granted('PublishToOwnBus'), t.name).toContain(`event-bus/${env.ORGBRIDGE_PUBLISH_BUS}`);
    }
  });

  it('let only the cicd account send to member buses, and the organization to the DNS bus', () => {
    const bus = byName(templates, 'event-bus');
    const policies = resourcesOf(bus, 'AWS::Events::EventBusPolicy');
    const cicd = policies.find(([, p]) => p.Properties.StatementId === `allow-from-${accountId(2)}`);
    expect(cicd?.[1].Properties.Statement).toMatchObject({
      Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${accountId(2)}:root` } },
      Action: 'events:PutEvents',
    });
    const org = policies.find(([, p]) => p.Properties.StatementId === 'allow-from-organization');
    expect(org?.[1].Properties.Statement).toMatchObject({
      Principal: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
    const conditions = bus.template.Conditions as Record<string, unknown>;
    // The organization-wide statement applies to the cicd, dns and audit accounts only.
    expect(conditions[org?.[1].Condition as string]).toEqual({
      'Fn::Or': [
        { Condition: 'IsCicdAccount' },
        { Condition: 'IsDnsAccount' },
        { Condition: 'IsAuditAccount' },
      ],
    });
    expect(conditions[cicd?.[1].Condition as string]).toBeDefined();
    // Every bus but the audit account's copies what its account publishes to the audit bus.
    const [[, forward] = []] = resourcesOf(bus, 'AWS::Events::Rule');
    expect(forward?.Condition).toBe('IsNotAuditAccount');
    expect(JSON.stringify(forward?.Properties.Targets)).toContain(`${accountId(6)}:event-bus/orgbridge-bus`);
  });

  it("protect the audit store from deletion and keep the seed's deny-modification on the logs bucket", () => {
    const audit = byName(templates, 'handlers-audit');
    const [[, bucket] = []] = resourcesOf(audit, 'AWS::S3::Bucket');
    expect(bucket?.Properties.ObjectLockEnabled).toBe(true);
    expect(JSON.stringify(resourcesOf(audit, 'AWS::S3::BucketPolicy'))).toContain('s3:DeleteObject');
    expect(resourcesOf(audit, 'AWS::Events::Archive')).toHaveLength(1);
    const logs = byName(templates, 'log-buckets');
    const [[, policy] = []] = resourcesOf(logs, 'AWS::S3::BucketPolicy');
    const deny = (
      policy?.Properties.PolicyDocument as { Statement: { Sid: string }[] } | undefined
    )?.Statement.find((s) => s.Sid === 'deny-modification');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Condition: {
        ArnNotLike: {
          'aws:PrincipalArn': {
            'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/update-s3-stacks-role`,
          },
        },
      },
      Action: ['s3:Delete*', 's3:PutBucket*'],
    });
  });

  it('render the logs bucket with the provisioning pipeline’s grant: whole OUs, not the whole organization', () => {
    const OUS = { '': 'r-ab12', Internal: 'ou-ab12-00000001', 'Internal/Dev': 'ou-ab12-00000002' };
    const cfr = {
      ...config,
      accounts: config.accounts.map((a) =>
        a.kind === 'member' ? { ...a, settings: { ...a.settings, use_cfr: true } } : a,
      ),
    };
    const observed: ObservedOrganization = {
      rootId: 'r-ab12',
      managementAccountId: accountId(1),
      ous: OUS,
      accounts: cfr.accounts.map((a) => ({
        id: a.id as string,
        name: a.name,
        email: a.email,
        status: 'ACTIVE',
        ou: a.organization_unit,
        tags: {},
        joined: '2026-01-01T00:00:00.000Z',
      })),
    };
    const withOus = templateInputs(cfr, { observed, organizationId: ORG, bundleKeys: BUNDLE_KEYS });
    const logs = byName(renderTemplates(withOus, { local: true }), 'log-buckets');
    const grant = planLogDelivery(cfr, withOus.accountIds, orgPathResolver(ORG, OUS));
    // Byte-identical to what `run --action pipeline` deploys to the same stack: no flip-flop.
    expect(logs.body).toBe(renderLogBuckets(accountId(5), 'ap-southeast-2', ORG, grant).body);
    expect(logs.placement).toMatchObject({
      stackName: 'orgbridge-log-buckets',
      serviceRoleName: 'update-s3-stacks-role',
    });
    const text = JSON.stringify(logs.template);
    expect(text).toContain(`${ORG}/r-ab12/ou-ab12-00000001/ou-ab12-00000002/`);
    expect(text).not.toContain('aws:SourceOrgID');
    // Offline (no OU map, no use_cfr): nothing is granted, and never the whole organization.
    const offline = JSON.stringify(byName(templates, 'log-buckets').template);
    expect(offline).not.toContain('aws:SourceOrgID');
    expect(offline).not.toContain('LogDeliveryWrite');
  });

  it('learn ids the way the account sync does: the management account and orgbridge:key need no `id:`', () => {
    const bare = syntheticConfig(2, { withIds: false });
    const noIds = { ...bare, accounts: bare.accounts.map(({ id: _id, ...a }) => a) };
    const observed: ObservedOrganization = {
      rootId: 'r-ab12',
      managementAccountId: '999999999999',
      ous: { '': 'r-ab12' },
      accounts: [
        {
          id: '999999999999',
          name: 'Main',
          email: 'root@example.org',
          status: 'ACTIVE',
          ou: '',
          tags: {},
          joined: '',
        },
        {
          id: '888888888888',
          name: 'renamed',
          email: 'changed@example.org',
          status: 'ACTIVE',
          ou: '',
          tags: { [MARKERS.key]: 'cicd' },
          joined: '',
        },
      ],
    };
    const ids = resolveAccountIds(noIds, observed);
    expect(ids).toEqual({ management: '999999999999', cicd: '888888888888' });
    const partial = templateInputs(noIds, { observed, organizationId: ORG });
    expect(partial.accountIds.management).toBe('999999999999');
    // The four special accounts still missing get placeholders (synth works, bootstrap refuses).
    expect(partial.placeholders).toHaveLength(4);
    expect(templateInputs(noIds).placeholders).toHaveLength(7);
  });

  it('forward to each existing account exactly once, and not to accounts without an id yet', () => {
    const partial = syntheticConfig(20, { withIds: false });
    const rendered = renderTemplates(
      templateInputs(partial, { organizationId: ORG, bundleKeys: BUNDLE_KEYS }),
    );
    const rules = resourcesOf(byName(rendered, 'forward-00'), 'AWS::Events::Rule');
    // Only the five special accounts other than cicd have ids.
    expect(rules).toHaveLength(5);
    const full = resourcesOf(byName(templates, 'forward-00'), 'AWS::Events::Rule');
    expect(full).toHaveLength(25);
    expect(new Set(full.map(([, r]) => JSON.stringify(r.Properties.EventPattern))).size).toBe(25);
  });

  it('serve every member account with one template: their topologies differ only by their own id', () => {
    const topology = computeTopology(topologyInput(inputs));
    const members = topology.accounts.filter((a) => a.kind === 'member');
    expect(members).toHaveLength(20);
    const first = JSON.stringify(kindViewOf(members[0] as (typeof members)[number]));
    for (const m of members) expect(JSON.stringify(kindViewOf(m)), m.accountId).toBe(first);
    expect(first).not.toContain(members[0]?.accountId);
  });

  it('snapshot: the event bus stack set and the member handlers stack set', async () => {
    await expect(byName(templates, 'event-bus').body).toMatchFileSnapshot(
      '__snapshots__/event-bus.template.json',
    );
    await expect(byName(templates, 'handlers-member').body).toMatchFileSnapshot(
      '__snapshots__/handlers-member.template.json',
    );
  });
  it("lets only the account's handler start drift detection, as a read-only role without data reads", () => {
    for (const t of templates.filter((x) => x.name.startsWith('handlers-'))) {
      const resources = t.template.Resources as Record<string, Resource>;
      const drift = resources.CustomizationDriftRole;
      expect(drift, t.name).toBeDefined();
      const trust = drift?.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] };
      expect(trust.Statement.map((st) => st.Principal)).toEqual([
        { AWS: { 'Fn::GetAtt': ['HandlerRole', 'Arn'] } },
      ]);
      expect(JSON.stringify(drift?.Properties.ManagedPolicyArns)).toContain('iam::aws:policy/ReadOnlyAccess');
      const statements = (
        drift?.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]
      ).flatMap((p) => p.PolicyDocument.Statement);
      const deny = statements.find((st) => st.Effect === 'Deny');
      expect(deny?.Action).toEqual(
        expect.arrayContaining(['s3:GetObject*', 'secretsmanager:GetSecretValue', 'kms:Decrypt']),
      );
      const detect = statements.find((st) => st.Sid === 'DetectCustomizationDrift');
      expect(JSON.stringify(detect?.Resource)).toContain(':stack/custom-*/*');
      // The handler may assume this role and no other.
      const handler = resources.HandlerRole?.Properties.Policies as {
        PolicyDocument: { Statement: Record<string, unknown>[] };
      }[];
      const assumes = handler
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => [st.Action].flat().includes('sts:AssumeRole'));
      expect(assumes.map((st) => JSON.stringify(st.Resource))).toEqual([
        expect.stringMatching(/:role\/orgbridge-customization-drift"\}$/),
      ]);
    }
  });
});

describe('guardrails catch what they are for', () => {
  const fake = fakeTemplate;
  const run = (resources: Record<string, unknown>) =>
    checkTemplates([fake(resources)]).findings.map((f) => f.rule);
  /** The policy the product gives a queue: send only from its rules, consume only by its role. */
  const queuePolicy = (queue: string, condition?: Record<string, unknown>, id = 'P') => ({
    [id]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: [
            denySendExceptRulesStatement('arn', { ruleArns: ['arn:aws:events:us-east-1:1:rule/b/r'] }),
            denyConsumeExceptStatement('arn', ['arn:aws:iam::1:role/handler']),
          ].map((s) => (condition ? { ...s, Condition: condition } : s)),
        },
      },
    },
  });
  const role = (statement: Record<string, unknown>) => ({
    R: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [] },
        Policies: [
          {
            PolicyName: 'p',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Resource: '*', ...statement }] },
          },
        ],
      },
    },
  });

  it('flag a wildcard principal without an organization condition, not with one', () => {
    const bucketPolicy = (condition?: unknown) => ({
      P: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          PolicyDocument: {
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Condition: condition }],
          },
        },
      },
    });
    expect(run(bucketPolicy())).toEqual(['OB-SEC-1']);
    expect(run(bucketPolicy({ StringEquals: { 'aws:PrincipalOrgID': 'o-x' } }))).toEqual([]);
  });

  it('flag `*` and organizations:* actions, and Organizations outside management', () => {
    expect(run(role({ Action: '*' }))).toEqual(['OB-SEC-2']);
    expect(run(role({ Action: 'organizations:*' }))).toEqual(['OB-SEC-2', 'OB-SEC-3']);
    expect(run(role({ Action: 'organizations:ListAccounts' }))).toEqual(['OB-SEC-3']);
  });

  it('flag oversized templates, policies and buses', () => {
    const many = Object.fromEntries(
      Array.from({ length: 501 }, (_, i) => [`Q${i}`, { Type: 'AWS::SSM::Parameter', Properties: {} }]),
    );
    expect(run(many)).toEqual(['OB-LIM-1']);
    const big = role({ Action: Array.from({ length: 600 }, (_, i) => `s3:GetObject${i}`) });
    expect(run(big)).toEqual(['OB-LIM-2']);
    const rules = Object.fromEntries(
      Array.from({ length: 301 }, (_, i) => [
        `R${i}`,
        { Type: 'AWS::Events::Rule', Properties: { EventBusName: 'b' } },
      ]),
    );
    expect(run(rules)).toEqual(['OB-LIM-3']);
    expect(GUARDRAILS.map((g) => g.id)).toHaveLength(new Set(GUARDRAILS.map((g) => g.id)).size);
  });

  /** A queue no queue may name as its dead-letter queue (OB-SEC-9), so only the rule under test fires. */
  const CLOSED = { RedriveAllowPolicy: { redrivePermission: 'denyAll' } };

  it('flag an unencrypted queue without DLQ', () => {
    expect(run({ Q: { Type: 'AWS::SQS::Queue', Properties: { ...CLOSED } }, ...queuePolicy('Q') })).toEqual([
      'OB-SEC-4',
      'OB-SEC-4',
    ]);
  });

  it('flag a queue that any principal of its account may send to or consume from', () => {
    const queue = { Q: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, ...CLOSED } } };
    const dlq = { RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:111111111111:d' } };
    queue.Q.Properties = { ...queue.Q.Properties, ...dlq };
    // The policy the queues had before: EventBridge allowed, nobody else denied.
    const allowOnly = {
      P: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Q' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Condition: { ArnEquals: { 'aws:SourceArn': ['arn:aws:events:us-east-1:1:rule/b/r'] } },
              },
            ],
          },
        },
      },
    };
    expect(run({ ...queue, ...allowOnly })).toEqual(['OB-SEC-6', 'OB-SEC-7']);
    expect(run(queue)).toEqual(['OB-SEC-6', 'OB-SEC-7']);
    expect(run({ ...queue, ...queuePolicy('Q') })).toEqual([]);
    // A deny with any other condition may not apply to the forger: it does not count.
    const weak = queuePolicy('Q', { StringEquals: { 'aws:PrincipalAccount': '222222222222' } });
    expect(run({ ...queue, ...weak })).toEqual(['OB-SEC-6', 'OB-SEC-7']);
    // The send deny may also except a role the template creates (the DLQ operator's redrive),
    // never a principal from elsewhere.
    const exceptingSender = (sender: unknown) => ({
      P: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Q' }],
          PolicyDocument: {
            Statement: [
              denySendExceptRulesStatement('arn', { ruleArns: ['arn:aws:events:us-east-1:1:rule/b/r'] }, [
                sender,
              ]),
              denyConsumeExceptStatement('arn', ['arn:aws:iam::1:role/handler']),
            ],
          },
        },
      },
    });
    const operator = {
      Op: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
    };
    expect(run({ ...queue, ...operator, ...exceptingSender({ 'Fn::GetAtt': ['Op', 'Arn'] }) })).toEqual([]);
    expect(run({ ...queue, ...exceptingSender('arn:aws:iam::999999999999:role/outsider') })).toEqual([
      'OB-SEC-6',
    ]);
  });

  it('flag a Lambda fed by a queue whose visibility is under 6x its timeout (plus batching window)', () => {
    const mapped = (visibility: number | undefined, timeout: number, window?: number) => ({
      Q: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          SqsManagedSseEnabled: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['D', 'Arn'] } },
          ...CLOSED,
          ...(visibility === undefined ? {} : { VisibilityTimeout: visibility }),
        },
      },
      D: {
        Type: 'AWS::SQS::Queue',
        Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
      },
      ...queuePolicy('Q', undefined, 'QP'),
      ...queuePolicy('D', undefined, 'DP'),
      F: { Type: 'AWS::Lambda::Function', Properties: { Timeout: timeout } },
      ...opsAlarms({ dlqs: ['D'], functions: ['F'] }),
      M: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] },
          FunctionName: { Ref: 'F' },
          ...(window === undefined ? {} : { MaximumBatchingWindowInSeconds: window }),
        },
      },
    });
    expect(run(mapped(1800, 300))).toEqual([]);
    expect(run(mapped(300, 300))).toEqual(['OB-REL-1']);
    expect(run(mapped(1800, 300, 10))).toEqual(['OB-REL-1']);
    // SQS's default visibility (30 s) against a 10 s function.
    expect(run(mapped(undefined, 10))).toEqual(['OB-REL-1']);
    expect(run(mapped(undefined, 5))).toEqual([]);
    const unresolved = mapped(1800, 300);
    unresolved.M.Properties.FunctionName = { Ref: 'Elsewhere' };
    expect(run(unresolved)).toEqual(['OB-REL-1']);
  });
});
