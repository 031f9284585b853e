import { CUSTOMIZATION_BOUNDARY_POLICY } from '../config/customization-iam.js';
import type { AccountKind } from '../config/model.js';
import { OrgbridgeError } from '../errors.js';
import { ACCOUNT_KINDS, handledRequestTypes } from '../protocol/routing.js';
import {
  HANDLER_REPLY_MARGIN_SECONDS,
  HANDLER_WAIT_SECONDS,
  QUEUE_CONSUMER_ACTIONS,
} from '../protocol/topology.js';
import { boundaryMisses } from './boundary-cases.js';
import type { DeploymentInput } from './deployment.js';
import { checkDeploymentReferences } from './references.js';
import { ALARM_PREFIX } from './stacks/alarms.js';
import type { RenderedTemplate } from './synth.js';

/**
 * Guardrails over the generated templates, in the manner of cdk-nag rules: each rule is a pure
 * function of one template returning findings, with an id and a severity; a finding is waived
 * only by a suppression that names the rule, the resource and a reason. The security review and
 * the size limits of docs/architecture.md are these rules; the tests run them on every template,
 * at 5,000 accounts too.
 */
export type Severity = 'error' | 'warning';

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly template: string;
  /** Logical id, or `*` for the template as a whole. */
  readonly resource: string;
  readonly message: string;
}

export interface Suppression {
  readonly rule: string;
  readonly template: string | '*';
  readonly resource: string | '*';
  /** Why this is acceptable: required, shown in reports. */
  readonly reason: string;
}

export interface Guardrail {
  readonly id: string;
  readonly severity: Severity;
  readonly description: string;
  check(template: RenderedTemplate): Omit<Finding, 'rule' | 'severity' | 'template'>[];
}

/** Findings as the CLI prints them: rule id, severity, template, resource and what is wrong. */
export function formatFinding(f: Finding): string {
  return `${f.rule} ${f.severity}: ${f.template} ${f.resource}: ${f.message}`;
}

/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
export const LIMITS = {
  resourcesPerTemplate: 500,
  templateBytes: 1_048_576,
  /** Inline role policies, summed per role, whitespace not counted. */
  roleInlinePolicyChars: 10_240,
  /** A customer managed policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
  managedPolicyChars: 6_144,
  trustPolicyChars: 2_048,
  /** All statements of one bus together. */
  busPolicyChars: 10_240,
  bucketPolicyBytes: 20_480,
  ecrPolicyChars: 10_240,
  rulesPerBus: 300,
  eventPatternChars: 2_048,
} as const;

/**
 * "Set the source queue's visibility timeout to at least six times the timeout that you
 * configure on your function", plus the batching window
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). Below 1x,
 * CreateEventSourceMapping is refused; between 1x and 6x, throttled retries inside one
 * invocation can outlive the visibility and the message runs twice.
 */
export const LAMBDA_VISIBILITY_FACTOR = 6;
const SQS_DEFAULT_VISIBILITY_SECONDS = 30;
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

type Resource = { Type: string; Properties?: Record<string, unknown>; Condition?: string };
type Statement = {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type RuleTarget = {
  Id?: string;
  Arn?: unknown;
  RoleArn?: unknown;
  DeadLetterConfig?: { Arn?: unknown };
  RetryPolicy?: { MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown };
};

const targetsOf = (r: Resource): RuleTarget[] => (r.Properties?.Targets ?? []) as RuleTarget[];
/** The logical id behind `{"Fn::GetAtt": [id, attr]}`, if that is what `value` is. */
const getAttId = (value: unknown): string | undefined =>
  (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
/** A target that is an event bus: by ARN string, `Fn::Sub` of one, or GetAtt of a bus here. */
function isBusTarget(target: RuleTarget, all: ReadonlyMap<string, Resource>): boolean {
  const id = getAttId(target.Arn);
  if (id) return all.get(id)?.Type === 'AWS::Events::EventBus';
  return JSON.stringify(target.Arn ?? '').includes(':event-bus/');
}

function resources(t: RenderedTemplate): [string, Resource][] {
  return Object.entries((t.template.Resources ?? {}) as Record<string, Resource>);
}

/** Policy documents in a resource, by the property that holds them. */
function policyDocuments(resource: Resource): { where: string; statements: Statement[] }[] {
  const p = resource.Properties ?? {};
  const docs: { where: string; statements: Statement[] }[] = [];
  const push = (where: string, doc: unknown) => {
    const st = (doc as { Statement?: unknown } | undefined)?.Statement;
    if (st) docs.push({ where, statements: (Array.isArray(st) ? st : [st]) as Statement[] });
  };
  push('AssumeRolePolicyDocument', p.AssumeRolePolicyDocument);
  push('PolicyDocument', p.PolicyDocument);
  for (const [i, policy] of ((p.Policies ?? []) as { PolicyDocument?: unknown }[]).entries()) {
    push(`Policies[${i}]`, policy.PolicyDocument);
  }
  if (resource.Type === 'AWS::Events::EventBusPolicy' && p.Statement)
    push('Statement', { Statement: p.Statement });
  if (resource.Type === 'AWS::ECR::Repository') push('RepositoryPolicyText', p.RepositoryPolicyText);
  if (resource.Type === 'AWS::KMS::Key') push('KeyPolicy', p.KeyPolicy);
  return docs;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    return asList((principal as { AWS?: unknown }).AWS).includes('*');
  }
  return false;
}

/** Conditions that confine a wildcard principal to this organization or account. */
const CONFINING_KEYS = [
  'aws:PrincipalOrgID',
  'aws:PrincipalOrgPaths',
  'aws:SourceOrgID',
  'aws:PrincipalAccount',
];

function hasConfiningCondition(condition: Statement['Condition']): boolean {
  if (!condition) return false;
  return Object.values(condition).some((block) => Object.keys(block).some((k) => CONFINING_KEYS.includes(k)));
}

const compact = (value: unknown) => JSON.stringify(value ?? null).replace(/\s+/g, '').length;

/**
 * Whether `value` names the account the template is deployed in: `Ref AWS::AccountId` (a stack
 * set template), or the literal id of a template placed in one account (the forward shards).
 */
function isThisAccount(value: unknown, t: RenderedTemplate): boolean {
  if ((value as { Ref?: unknown } | null)?.Ref === 'AWS::AccountId') return true;
  return typeof value === 'string' && /^\d{12}$/.test(value) && t.placement.type === 'account';
}

/**
 * Whether `s` denies all of `actions` to every principal, except (if at all) through negated ARN
 * conditions on `exceptKeys` only: a deny with any other condition may not apply.
 */
function denies(s: Statement, actions: readonly string[], exceptKeys: readonly string[]): boolean {
  if (s.Effect !== 'Deny' || !isWildcardPrincipal(s.Principal)) return false;
  const listed = asList(s.Action);
  if (!actions.every((a) => listed.includes(a) || listed.includes('sqs:*'))) return false;
  return Object.entries(s.Condition ?? {}).every(
    ([operator, block]) =>
      ['ArnNotEquals', 'ArnNotLike'].includes(operator) &&
      Object.keys(block).every((key) => exceptKeys.includes(key)),
  );
}

/** Logical ids of the queues of `t` that no AWS::SQS::QueuePolicy statement satisfying `ok` covers. */
function queuesLacking(t: RenderedTemplate, ok: (s: Statement) => boolean): string[] {
  const covered = new Set<string>();
  for (const [, r] of resources(t)) {
    if (r.Type !== 'AWS::SQS::QueuePolicy') continue;
    const statements = policyDocuments(r).flatMap((d) => d.statements);
    if (!statements.some(ok)) continue;
    for (const queue of asList(r.Properties?.Queues)) {
      const id = (queue as { Ref?: unknown } | null)?.Ref;
      if (typeof id === 'string') covered.add(id);
    }
  }
  return resources(t)
    .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && !covered.has(id))
    .map(([id]) => id);
}

/**
 * The dead-letter queues of a template, by logical id: the redrive target of a queue, or the
 * dead-letter queue of a rule target. Each maps to the retention of the queue that dead-letters
 * into it (SQS's default when unset), or 0 for a rule target's, whose messages start there.
 */
function deadLetterQueues(all: readonly [string, Resource][]): Map<string, number> {
  const dlqs = new Map<string, number>();
  for (const [, r] of all) {
    const target = redriveTargetOf(r);
    if (target) dlqs.set(target, retentionOf(r));
    if (r.Type !== 'AWS::Events::Rule') continue;
    for (const t of targetsOf(r)) {
      const dlq = getAttId(t.DeadLetterConfig?.Arn);
      if (dlq && !dlqs.has(dlq)) dlqs.set(dlq, 0);
    }
  }
  return dlqs;
}

/** The logical id of the queue a queue's RedrivePolicy dead-letters into (`GetAtt`), if any. */
const redriveTargetOf = (queue: Resource): string | undefined =>
  getAttId(
    (queue.Properties?.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn,
  );

/** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html */
const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
const retentionOf = (queue: Resource) =>
  Number(queue.Properties?.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION_SECONDS);

interface AlarmView {
  readonly id: string;
  readonly name: unknown;
  readonly metric: string;
  readonly threshold: number;
}

/**
 * The alarms of a template by the logical id of the queue or function their one dimension names:
 * `GetAtt` / `Ref` of it, or its literal QueueName / FunctionName. Only alarms that fire on any
 * value above their threshold count (GreaterThan..., no math expression).
 */
function alarmsByResource(all: readonly [string, Resource][]): Map<string, AlarmView[]> {
  const byName = new Map<string, string>();
  for (const [id, r] of all) {
    const name = r.Properties?.QueueName ?? r.Properties?.FunctionName;
    if (typeof name === 'string') byName.set(name, id);
  }
  const out = new Map<string, AlarmView[]>();
  for (const [id, r] of all) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties ?? {};
    if (!String(p.ComparisonOperator ?? '').startsWith('GreaterThan')) continue;
    for (const d of asList(p.Dimensions) as { Name?: unknown; Value?: unknown }[]) {
      const value = d.Value;
      const target =
        getAttId(value) ??
        ((value as { Ref?: unknown } | null)?.Ref as string | undefined) ??
        (typeof value === 'string' ? byName.get(value) : undefined);
      if (!target) continue;
      const list = out.get(target) ?? [];
      list.push({
        id,
        name: p.AlarmName,
        metric: `${String(p.Namespace)}/${String(p.MetricName)}`,
        threshold: Number(p.Threshold),
      });
      out.set(target, list);
    }
  }
  return out;
}

/** What OB-OPS-1 finds missing for one DLQ, given its alarms. */
function missingDlqAlarms(
  alarms: readonly AlarmView[],
  retention: number,
  sourceRetention: number,
): string[] {
  const out: string[] = [];
  if (!alarms.some((a) => a.metric === 'AWS/SQS/ApproximateNumberOfMessagesVisible' && a.threshold === 0))
    out.push('no alarm on ApproximateNumberOfMessagesVisible > 0');
  // A dead-lettered message expires by its original enqueue time, the age metric counts from
  // its move (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html):
  // at worst it has the difference of the retentions left, and the alarm must leave half of it.
  const limit = (retention - sourceRetention) / 2;
  if (
    !alarms.some(
      (a) => a.metric === 'AWS/SQS/ApproximateAgeOfOldestMessage' && a.threshold > 0 && a.threshold <= limit,
    )
  )
    out.push(
      `no alarm on ApproximateAgeOfOldestMessage at most ${Math.max(0, Math.floor(limit))} s (half of the ${retention} s retention less the source queue's ${sourceRetention} s): its messages could expire unseen`,
    );
  return out;
}

/** Whether a statement is confined to named sources: an ARN condition on aws:SourceArn. */
function confinedBySourceArn(condition: Statement['Condition']): boolean {
  return ['ArnEquals', 'ArnLike'].some((operator) => condition?.[operator]?.['aws:SourceArn'] !== undefined);
}

/**
 * OB-SEC-8 for one template: each topic's key must be a rotated KMS key of the template, and the
 * topic policies covering it must allow publishing only under an aws:SourceArn condition.
 */
function topicFindings(all: ReadonlyMap<string, Resource>): { resource: string; message: string }[] {
  const confined = new Set<string>();
  const open = new Set<string>();
  for (const [, r] of all) {
    if (r.Type !== 'AWS::SNS::TopicPolicy') continue;
    const allows = policyDocuments(r)
      .flatMap((d) => d.statements)
      .filter((s) => s.Effect === 'Allow');
    const ok = allows.length > 0 && allows.every((s) => confinedBySourceArn(s.Condition));
    for (const topic of asList(r.Properties?.Topics)) {
      const id = (topic as { Ref?: unknown } | null)?.Ref;
      if (typeof id === 'string') (ok ? confined : open).add(id);
    }
  }
  const out = [];
  for (const [id, r] of all) {
    if (r.Type !== 'AWS::SNS::Topic') continue;
    const keyRef = r.Properties?.KmsMasterKeyId;
    const keyId = getAttId(keyRef) ?? (keyRef as { Ref?: string } | undefined)?.Ref;
    const key = keyId ? all.get(keyId) : undefined;
    if (key?.Type !== 'AWS::KMS::Key')
      out.push({
        resource: id,
        message:
          'topic is not encrypted with a KMS key of this template (with aws/sns or none, EventBridge cannot publish or the messages are plain)',
      });
    else if (key.Properties?.EnableKeyRotation !== true)
      out.push({ resource: id, message: `the topic's key ${keyId} does not rotate (EnableKeyRotation)` });
    if (open.has(id) || !confined.has(id))
      out.push({
        resource: id,
        message: 'no topic policy, or one that allows publishing without an aws:SourceArn condition',
      });
  }
  return out;
}

export const GUARDRAILS: readonly Guardrail[] = [
  {
    id: 'OB-SEC-1',
    severity: 'error',
    description: 'No Allow to a wildcard principal unless an organization condition confines it',
    check(t) {
      const out = [];
      for (const [id, r] of resources(t)) {
        for (const { where, statements } of policyDocuments(r)) {
          for (const s of statements) {
            if (
              s.Effect === 'Allow' &&
              isWildcardPrincipal(s.Principal) &&
              !hasConfiningCondition(s.Condition)
            ) {
              out.push({
                resource: id,
                message: `${where} ${s.Sid ?? ''} allows principal * without aws:PrincipalOrgID`,
              });
            }
          }
        }
      }
      return out;
    },
  },
  {
    id: 'OB-SEC-2',
    severity: 'error',
    description: 'No `*` action, no `organizations:*`, no NotAction in Allow statements',
    check(t) {
      const out = [];
      for (const [id, r] of resources(t)) {
        for (const { where, statements } of policyDocuments(r)) {
          for (const s of statements) {
            if (s.Effect !== 'Allow') continue;
            if (s.NotAction) out.push({ resource: id, message: `${where} uses NotAction` });
            for (const action of asList(s.Action)) {
              if (typeof action !== 'string') continue;
              if (action === '*' || /^organizations:.*\*/i.test(action)) {
                out.push({ resource: id, message: `${where} allows ${action}` });
              }
            }
          }
        }
      }
      return out;
    },
  },
  {
    id: 'OB-SEC-3',
    severity: 'error',
    description: 'Organizations permissions only in the management account handler',
    check(t) {
      if (t.name === 'handlers-management') return [];
      const out = [];
      for (const [id, r] of resources(t)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        for (const { where, statements } of policyDocuments(r)) {
          for (const s of statements) {
            const org = asList(s.Action).filter(
              (a) => typeof a === 'string' && a.startsWith('organizations:'),
            );
            if (s.Effect === 'Allow' && org.length > 0) {
              out.push({
                resource: id,
                message: `${where} grants ${org.join(', ')} outside the management account`,
              });
            }
          }
        }
      }
      return out;
    },
  },
  {
    id: 'OB-SEC-4',
    severity: 'error',
    description: 'Queues are encrypted and have a dead-letter queue (or are one)',
    check(t) {
      const out = [];
      const all = resources(t);
      const dlqs = deadLetterQueues(all);
      for (const [id, r] of all) {
        if (r.Type !== 'AWS::SQS::Queue') continue;
        if (!r.Properties?.SqsManagedSseEnabled && !r.Properties?.KmsMasterKeyId) {
          out.push({ resource: id, message: 'queue is not encrypted at rest' });
        }
        if (!r.Properties?.RedrivePolicy && !dlqs.has(id))
          out.push({ resource: id, message: 'queue has no DLQ' });
      }
      return out;
    },
  },
  {
    id: 'OB-SEC-5',
    severity: 'error',
    description: 'No NotPrincipal: deny everyone but named principals with aws:PrincipalArn instead',
    // "We do not recommend the use of NotPrincipal for new resource-based policies ... We
    // recommend using the aws:PrincipalArn context key with ARN condition operators instead";
    // without the account's ARN in the list, the policy may deny the very principal it exempts
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    check(t) {
      const out = [];
      for (const [id, r] of resources(t)) {
        for (const { where, statements } of policyDocuments(r)) {
          for (const s of statements) {
            if (s.NotPrincipal !== undefined)
              out.push({
                resource: id,
                message: `${where} ${s.Sid ?? ''} uses NotPrincipal; use Principal "*" with an ArnNotLike aws:PrincipalArn condition`,
              });
          }
        }
      }
      return out;
    },
  },
  {
    id: 'OB-SEC-6',
    severity: 'error',
    description:
      'Every queue denies sqs:SendMessage to every principal but EventBridge from its own rules (aws:SourceArn)',
    // Without the deny, any principal of the account with sqs:SendMessage (PowerUserAccess) can
    // write a message whose envelope names another account (docs/security.md).
    check(t) {
      // A redrive sends back as the operator's role, so the deny may also except roles this
      // template creates (GetAtt of an AWS::IAM::Role here), never an outside principal.
      const roles = new Set(resources(t).flatMap(([id, r]) => (r.Type === 'AWS::IAM::Role' ? [id] : [])));
      const ownRolesOnly = (s: Statement) => {
        const condition = s.Condition as Record<string, Record<string, unknown>> | undefined;
        return asList(condition?.ArnNotEquals?.['aws:PrincipalArn']).every((v) =>
          roles.has(getAttId(v) ?? ''),
        );
      };
      const ok = (s: Statement) =>
        denies(s, ['sqs:SendMessage'], ['aws:SourceArn', 'aws:PrincipalArn']) && ownRolesOnly(s);
      return queuesLacking(t, ok).map((id) => ({
        resource: id,
        message:
          'no queue policy statement denies sqs:SendMessage to principal * except aws:SourceArn of its rules (denySendExceptRulesStatement)',
      }));
    },
  },
  {
    id: 'OB-SEC-7',
    severity: 'error',
    description:
      "Every queue denies receive, delete and visibility changes to every principal but its consumers' roles (aws:PrincipalArn)",
    check(t) {
      return queuesLacking(t, (s) => denies(s, [...QUEUE_CONSUMER_ACTIONS], ['aws:PrincipalArn'])).map(
        (id) => ({
          resource: id,
          message:
            'no queue policy statement denies sqs:ReceiveMessage, DeleteMessage and ChangeMessageVisibility to principal * except aws:PrincipalArn of its consumers (denyConsumeExceptStatement)',
        }),
      );
    },
  },
  {
    id: 'OB-SEC-8',
    severity: 'error',
    description:
      'Every SNS topic is encrypted with a rotated KMS key of its template, and only named sources (aws:SourceArn) may publish',
    // EventBridge cannot publish to a topic encrypted with the AWS managed key
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
    // without the source condition, any rule of any account allowed by the policy could post alarms.
    check: (t) => topicFindings(new Map(resources(t))),
  },
  {
    id: 'OB-SEC-9',
    severity: 'error',
    description:
      'No queue but a redrive dead-letter queue lets another queue name it as its dead-letter queue',
    // RedriveAllowPolicy `denyAll` (NOT_A_DEAD_LETTER_QUEUE): SQS's default lets any queue of the
    // account dead-letter into it, and what SQS moves there no queue policy of orgbridge's stops.
    check(t) {
      const all = resources(t);
      const redriveTargets = new Set(all.map(([, r]) => redriveTargetOf(r)));
      return all
        .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && !redriveTargets.has(id))
        .filter(
          ([, r]) =>
            (r.Properties?.RedriveAllowPolicy as { redrivePermission?: unknown } | undefined)
              ?.redrivePermission !== 'denyAll',
        )
        .map(([id]) => ({
          resource: id,
          message:
            'RedriveAllowPolicy is not {"redrivePermission":"denyAll"}: any queue of the account may name it as its dead-letter queue and have SQS move messages into it',
        }));
    },
  },
  {
    id: 'OB-SEC-10',
    severity: 'error',
    description:
      'The customization boundary stops every escape of BOUNDARY_CASES and allows what customizations may do',
    // IAM is not emulated: the cases are evaluated on the rendered policy (src/templates/boundary-cases.ts).
    check(t) {
      return resources(t)
        .filter(
          ([, r]) =>
            r.Type === 'AWS::IAM::ManagedPolicy' &&
            r.Properties?.ManagedPolicyName === CUSTOMIZATION_BOUNDARY_POLICY,
        )
        .flatMap(([id, r]) =>
          boundaryMisses(r.Properties?.PolicyDocument).map((message) => ({ resource: id, message })),
        );
    },
  },
  {
    id: 'OB-REL-2',
    severity: 'error',
    description: 'Every rule target has a dead-letter queue and an explicit retry policy',
    // Without a DLQ, "an event that is not delivered after all retries is dropped"
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html).
    check(t) {
      const out = [];
      for (const [id, r] of resources(t)) {
        if (r.Type !== 'AWS::Events::Rule') continue;
        for (const target of targetsOf(r)) {
          if (!target.DeadLetterConfig?.Arn)
            out.push({ resource: id, message: `target ${target.Id ?? '?'} has no DeadLetterConfig` });
          if (!target.RetryPolicy)
            out.push({ resource: id, message: `target ${target.Id ?? '?'} has no explicit RetryPolicy` });
        }
      }
      return out;
    },
  },
  {
    id: 'OB-REL-3',
    severity: 'error',
    description: 'A rule that forwards to another bus forwards only what its own account published',
    // EventBridge does not send an event received from another bus on to a third bus
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html): a rule
    // forwarding received events delivers nothing. Pinning `account` to the account the rule is
    // deployed in keeps every forward a first hop.
    check(t) {
      const out = [];
      const all = new Map(resources(t));
      for (const [id, r] of all) {
        if (r.Type !== 'AWS::Events::Rule') continue;
        if (!targetsOf(r).some((target) => isBusTarget(target, all))) continue;
        const account = (r.Properties?.EventPattern as { account?: unknown } | undefined)?.account;
        const own = Array.isArray(account) && account.length === 1 && isThisAccount(account[0], t);
        if (!own)
          out.push({
            resource: id,
            message: `forwards to a bus without pinning "account" to the account it is deployed in: events it received from another bus would be dropped (EventBridge hop rule)`,
          });
      }
      return out;
    },
  },
  {
    id: 'OB-REL-4',
    severity: 'error',
    description: 'No handler waits on AWS longer than its function may run',
    check(t) {
      const out = [];
      for (const [id, r] of resources(t)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        const env = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables;
        const kind = env?.ORGBRIDGE_ACCOUNT_KIND;
        if (typeof kind !== 'string' || !(ACCOUNT_KINDS as readonly string[]).includes(kind)) continue;
        const timeout = Number(r.Properties?.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS);
        for (const type of handledRequestTypes(kind as AccountKind)) {
          const wait = HANDLER_WAIT_SECONDS[type] ?? 0;
          if (wait + HANDLER_REPLY_MARGIN_SECONDS > timeout)
            out.push({
              resource: id,
              message: `${type} may wait ${wait} s (+${HANDLER_REPLY_MARGIN_SECONDS} s to answer) but the function times out after ${timeout} s`,
            });
        }
      }
      return out;
    },
  },
  {
    id: 'OB-OPS-1',
    severity: 'error',
    description:
      'Every dead-letter queue alarms on visible messages and on the age of its oldest, every function on errors and throttles; alarm names start with orgbridge-',
    check(t) {
      const out = [];
      const all = resources(t);
      const alarms = alarmsByResource(all);
      const byId = new Map(all);
      for (const [id, sourceRetention] of deadLetterQueues(all)) {
        const queue = byId.get(id);
        if (queue?.Type !== 'AWS::SQS::Queue') continue;
        for (const message of missingDlqAlarms(alarms.get(id) ?? [], retentionOf(queue), sourceRetention))
          out.push({ resource: id, message });
      }
      for (const [id, r] of all) {
        if (r.Type === 'AWS::Lambda::Function') {
          const metrics = new Set((alarms.get(id) ?? []).map((a) => a.metric));
          for (const metric of ['Errors', 'Throttles'])
            if (!metrics.has(`AWS/Lambda/${metric}`))
              out.push({ resource: id, message: `no alarm on the function's ${metric}` });
        }
        // The notifications route alarm state changes by this prefix.
        if (r.Type === 'AWS::CloudWatch::Alarm') {
          const name = r.Properties?.AlarmName;
          if (typeof name !== 'string' || !name.startsWith(ALARM_PREFIX))
            out.push({ resource: id, message: `alarm name does not start with ${ALARM_PREFIX}` });
        }
      }
      return out;
    },
  },
  {
    id: 'OB-LIM-1',
    severity: 'error',
    description: `At least 1 and at most ${LIMITS.resourcesPerTemplate} resources and ${LIMITS.templateBytes} bytes per template`,
    check(t) {
      const out = [];
      const count = resources(t).length;
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html
      if (count === 0)
        out.push({ resource: '*', message: 'no resources: CloudFormation refuses the template' });
      if (count > LIMITS.resourcesPerTemplate) out.push({ resource: '*', message: `${count} resources` });
      const bytes = Buffer.byteLength(JSON.stringify(t.template));
      if (bytes > LIMITS.templateBytes) out.push({ resource: '*', message: `${bytes} bytes` });
      return out;
    },
  },
  {
    id: 'OB-LIM-2',
    severity: 'error',
    description: 'IAM, bus, bucket, queue and ECR policies within their size limits',
    check(t) {
      const out = [];
      const busChars = new Map<string, number>();
      for (const [id, r] of resources(t)) {
        const p = r.Properties ?? {};
        if (r.Type === 'AWS::IAM::Role') {
          const trust = compact(p.AssumeRolePolicyDocument);
          if (trust > LIMITS.trustPolicyChars)
            out.push({ resource: id, message: `trust policy ${trust} chars` });
          const inline = ((p.Policies ?? []) as { PolicyDocument: unknown }[]).reduce(
            (n, policy) => n + compact(policy.PolicyDocument),
            0,
          );
          if (inline > LIMITS.roleInlinePolicyChars)
            out.push({ resource: id, message: `inline policies ${inline} chars` });
        }
        if (r.Type === 'AWS::IAM::ManagedPolicy') {
          const chars = compact(p.PolicyDocument);
          if (chars > LIMITS.managedPolicyChars)
            out.push({ resource: id, message: `managed policy ${chars} chars` });
        }
        if (r.Type === 'AWS::Events::EventBusPolicy') {
          const bus = String(p.EventBusName);
          busChars.set(bus, (busChars.get(bus) ?? 0) + compact(p.Statement));
        }
        if (r.Type === 'AWS::S3::BucketPolicy') {
          const bytes = Buffer.byteLength(JSON.stringify(p.PolicyDocument));
          if (bytes > LIMITS.bucketPolicyBytes)
            out.push({ resource: id, message: `bucket policy ${bytes} bytes` });
        }
        if (r.Type === 'AWS::ECR::Repository' && p.RepositoryPolicyText) {
          const chars = compact(p.RepositoryPolicyText);
          if (chars > LIMITS.ecrPolicyChars)
            out.push({ resource: id, message: `repository policy ${chars} chars` });
        }
        if (r.Type === 'AWS::Events::Rule') {
          const chars = compact(p.EventPattern);
          if (chars > LIMITS.eventPatternChars)
            out.push({ resource: id, message: `event pattern ${chars} chars` });
        }
      }
      for (const [bus, chars] of busChars) {
        if (chars > LIMITS.busPolicyChars) out.push({ resource: bus, message: `bus policy ${chars} chars` });
      }
      return out;
    },
  },
  {
    id: 'OB-LIM-3',
    severity: 'error',
    description: `At most ${LIMITS.rulesPerBus} rules per bus`,
    check(t) {
      const perBus = new Map<string, number>();
      for (const [, r] of resources(t)) {
        if (r.Type !== 'AWS::Events::Rule') continue;
        const bus = String(r.Properties?.EventBusName ?? 'default');
        perBus.set(bus, (perBus.get(bus) ?? 0) + 1);
      }
      return [...perBus]
        .filter(([, n]) => n > LIMITS.rulesPerBus)
        .map(([bus, n]) => ({ resource: bus, message: `${n} rules on one bus` }));
    },
  },
  {
    id: 'OB-REL-1',
    severity: 'error',
    description: `A queue feeding a Lambda has a visibility timeout of at least ${LAMBDA_VISIBILITY_FACTOR}x the function timeout`,
    check(t) {
      const out = [];
      const all = new Map(resources(t));
      for (const [id, r] of all) {
        if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
        const queueId = (r.Properties?.EventSourceArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
          'Fn::GetAtt'
        ]?.[0];
        const functionId = (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
        const queue = queueId ? all.get(queueId) : undefined;
        const fn = functionId ? all.get(functionId) : undefined;
        if (queue?.Type !== 'AWS::SQS::Queue' || fn?.Type !== 'AWS::Lambda::Function') {
          // Only SQS sources are ever mapped; one that cannot be checked is a finding, not a pass.
          out.push({ resource: id, message: 'event source is not a queue and function of this template' });
          continue;
        }
        const visibility = Number(queue.Properties?.VisibilityTimeout ?? SQS_DEFAULT_VISIBILITY_SECONDS);
        const timeout = Number(fn.Properties?.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS);
        const window = Number(r.Properties?.MaximumBatchingWindowInSeconds ?? 0);
        const needed = LAMBDA_VISIBILITY_FACTOR * timeout + window;
        if (!(visibility >= needed)) {
          out.push({
            resource: id,
            message: `${queueId} visibility ${visibility} s < ${LAMBDA_VISIBILITY_FACTOR} x ${functionId} timeout ${timeout} s${window ? ` + batching window ${window} s` : ''}: a message could reappear while its invocation still runs`,
          });
        }
      }
      return out;
    },
  },
];

/**
 * Documented exceptions. Each needs a reason a reviewer accepts; an unused suppression is
 * reported by the tests so the list cannot rot.
 */
export const SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'OB-SEC-2',
    template: '*',
    resource: 'CustomizationBoundary',
    reason:
      "a permissions boundary grants nothing: its Allow of `*` only lets the deployer's own policy decide, and its Denies keep orgbridge's resources out of reach (docs/customizations.md)",
  },
  {
    rule: 'OB-SEC-7',
    template: 'handlers-cicd',
    resource: 'OrgbridgeRepliesQueue',
    reason:
      "the reply queue is polled by the pipeline, which runs as the operator's principal (docs/deploy.md); only EventBridge may send to it (OB-SEC-6)",
  },
  {
    rule: 'OB-SEC-7',
    template: 'handlers-cicd',
    resource: 'OrgbridgeRepliesDlq',
    reason:
      'read by the operator who investigates a lost reply (docs/reliability.md); nobody may send to it (OB-SEC-6)',
  },
  {
    rule: 'OB-SEC-7',
    template: 'event-bus',
    resource: 'EventTargetDeadLetterQueue',
    reason:
      'what EventBridge could not deliver, read by operators and doctor with their own principal; only the rules of the account may send to it (OB-SEC-6)',
  },
];

export interface GuardrailReport {
  readonly findings: readonly Finding[];
  readonly suppressed: readonly (Finding & { reason: string })[];
}

export function checkTemplates(
  templates: readonly RenderedTemplate[],
  suppressions: readonly Suppression[] = SUPPRESSIONS,
): GuardrailReport {
  const findings: Finding[] = [];
  for (const template of templates) {
    for (const rule of GUARDRAILS) {
      for (const f of rule.check(template))
        findings.push({ rule: rule.id, severity: rule.severity, template: template.name, ...f });
    }
  }
  return applySuppressions(findings, suppressions);
}

function applySuppressions(
  findings: readonly Finding[],
  suppressions: readonly Suppression[],
): GuardrailReport {
  const kept: Finding[] = [];
  const suppressed: (Finding & { reason: string })[] = [];
  for (const finding of findings) {
    const waiver = suppressions.find(
      (s) =>
        s.rule === finding.rule &&
        (s.template === '*' || s.template === finding.template) &&
        (s.resource === '*' || s.resource === finding.resource),
    );
    if (waiver) suppressed.push({ ...finding, reason: waiver.reason });
    else kept.push(finding);
  }
  return { findings: kept, suppressed };
}

/**
 * Every guardrail over what the bootstrap would deploy: the template rules above on each
 * template, and OB-REF-1 (./references.ts) over the deployment order. `synth`,
 * `run --action render-templates` and `run --action bootstrap` run it and refuse on errors.
 */
export function checkDeployment(
  input: DeploymentInput,
  suppressions: readonly Suppression[] = SUPPRESSIONS,
): GuardrailReport {
  const templates = checkTemplates(input.templates, suppressions);
  const references = applySuppressions(checkDeploymentReferences(input), suppressions);
  return {
    findings: [...templates.findings, ...references.findings],
    suppressed: [...templates.suppressed, ...references.suppressed],
  };
}

/** Throws GUARDRAILS_FAILED listing every error finding (rule id, template, resource). */
export function assertGuardrails(report: GuardrailReport, doing: string): void {
  const errors = report.findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  throw new OrgbridgeError(
    'GUARDRAILS_FAILED',
    `${doing}: ${errors.length} guardrail finding${errors.length === 1 ? '' : 's'}\n${errors.map((f) => `  ${formatFinding(f)}`).join('\n')}`,
    {
      hint: 'each line names the rule (docs/architecture.md, "Guardrails"), the template and the resource; nothing was written or deployed',
    },
  );
}
