import type {
  AccountKind,
  ResolvedAccount,
  ResolvedConfig,
  SpecialAccountKind,
} from '../../../src/config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../../../src/config/model.js';
import type { RenderedTemplate } from '../../../src/templates/synth.js';

/**
 * A resolved config built directly (not through the DSL loader): the templates' input contract
 * is ResolvedConfig, and building it here keeps these tests independent of YAML parsing.
 */
export function accountId(n: number): string {
  return String(100_000_000_000 + n);
}

function account(key: string, kind: AccountKind, n: number, withId: boolean): ResolvedAccount {
  return {
    key,
    name: `${key}-prod-ap-southeast-2`,
    email: `aws+${key}@example.com`,
    ...(withId ? { id: accountId(n) } : {}),
    kind,
    scope: kind === 'member' ? 'dev' : 'infra',
    organization_unit: kind === 'member' ? 'Internal/Dev' : 'Internal/Infra',
    region: 'ap-southeast-2',
    environment: 'prod',
    service: key,
    tags: {},
    protect: kind !== 'member',
    allowed_dns_domains: [],
    access: {},
    settings: {},
    provenance: {},
  };
}

export function syntheticConfig(members: number, options: { withIds?: boolean } = {}): ResolvedConfig {
  const withIds = options.withIds ?? true;
  const accounts: ResolvedAccount[] = SPECIAL_ACCOUNT_KINDS.map((kind, i) =>
    account(kind, kind, i + 1, true),
  );
  for (let i = 0; i < members; i++) {
    accounts.push(account(`member-${String(i).padStart(5, '0')}`, 'member', 1000 + i, withIds));
  }
  accounts.sort((a, b) => a.key.localeCompare(b.key));
  return {
    directory: '/config',
    organization: {
      accounts: Object.fromEntries(SPECIAL_ACCOUNT_KINDS.map((k) => [k, k])) as Record<
        SpecialAccountKind,
        string
      >,
      root_ou: 'Internal',
      morgue_ou: 'Morgue',
      event_bus: 'orgbridge-bus',
      event_source: 'app.infra',
      name_template: '{key}-{environment}-{region}',
      email_template: 'aws+{name}@example.com',
      access_role_name: 'OrganizationAccountAccessRole',
      standard_tags: true,
      authoritative: false,
      close_retired_accounts: false,
      limits: {
        scp_max_chars: 5120,
        tag_policy_max_chars: 10000,
        backup_policy_max_chars: 10000,
        scp_per_target: 5,
        tag_policies_per_target: 10,
        backup_policies_per_target: 10,
        tags_per_account: 50,
        ou_depth: 5,
      },
    },
    defaults: { region: 'ap-southeast-2', regions: ['ap-southeast-2', 'us-east-1'] },
    scopes: {},
    accounts,
    ecr: [],
    policies: [],
    account_policies: [],
    unmanaged: { accounts: [], organization_units: [], policies: [] },
  };
}

export const BUNDLE_KEYS: Readonly<Record<AccountKind, string>> = {
  management: 'lambdas/management-0123456789abcdef.zip',
  cicd: 'lambdas/cicd-0123456789abcdef.zip',
  identity: 'lambdas/identity-0123456789abcdef.zip',
  dns: 'lambdas/dns-0123456789abcdef.zip',
  logs: 'lambdas/logs-0123456789abcdef.zip',
  audit: 'lambdas/audit-0123456789abcdef.zip',
  member: 'lambdas/member-0123456789abcdef.zip',
};

/** A template made of `resources`, placed in one account, for guardrail tests. */
export function fakeTemplate(resources: Record<string, unknown>): RenderedTemplate {
  return {
    name: 'fake',
    placement: { type: 'account', accountKey: 'x', region: 'us-east-1', stackName: 'x' },
    template: { Resources: resources },
    body: '',
    sha256: '',
  };
}

/**
 * The alarms guardrail OB-OPS-1 asks of a fake template's dead-letter queues and functions (by
 * logical id), so a test of another rule sees only that rule's findings.
 */
export function opsAlarms(ids: {
  dlqs?: readonly string[];
  functions?: readonly string[];
}): Record<string, unknown> {
  const alarm = (name: string, namespace: string, metric: string, dimension: unknown, threshold: number) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `orgbridge-${name}`,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [dimension],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  });
  const out: Record<string, unknown> = {};
  for (const id of ids.dlqs ?? []) {
    const dimension = { Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } };
    out[`${id}VisibleAlarm`] = alarm(
      `${id}-visible`,
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      dimension,
      0,
    );
    out[`${id}AgeAlarm`] = alarm(`${id}-age`, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', dimension, 3600);
  }
  for (const id of ids.functions ?? []) {
    const dimension = { Name: 'FunctionName', Value: { Ref: id } };
    out[`${id}ErrorsAlarm`] = alarm(`${id}-errors`, 'AWS/Lambda', 'Errors', dimension, 0);
    out[`${id}ThrottlesAlarm`] = alarm(`${id}-throttles`, 'AWS/Lambda', 'Throttles', dimension, 0);
  }
  return out;
}
