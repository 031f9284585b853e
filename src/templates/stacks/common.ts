import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import {
  App,
  Aws,
  CfnDeletionPolicy,
  CfnResource,
  CfnWaitConditionHandle,
  Fn,
  LegacyStackSynthesizer,
  Stack,
} from 'aws-cdk-lib';
import { CfnEventBusPolicy } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { PolicyStatement } from '../permissions.js';

/**
 * Stacks are built from CloudFormation-level (L1) constructs: the generated templates are then
 * exactly what this code says, which matters because moto's CloudFormation has gaps (it returns
 * garbage for `Ref` of an EventBus, so rules name their bus literally) and because the templates
 * are snapshot-tested and read by people.
 *
 * LegacyStackSynthesizer: no CDK bootstrap stack, no BootstrapVersion parameter; assets are never
 * used (Lambda code comes from the artifact buckets by key).
 */
export function newApp(outdir?: string): App {
  return new App({
    analyticsReporting: false,
    // cfn-lint checks every template in the tests; the in-process validator would print to the
    // terminal from library code and triples synth time.
    builtinCloudFormationValidation: false,
    ...(outdir ? { outdir } : {}),
    context: { '@aws-cdk/core:stackRelativeExports': true },
  });
}

export interface OrgbridgeStackProps {
  readonly description: string;
  readonly stackName: string;
}

export function newStack(app: Construct, id: string, props: OrgbridgeStackProps): Stack {
  return new Stack(app, id, {
    stackName: props.stackName,
    description: props.description,
    synthesizer: new LegacyStackSynthesizer(),
    analyticsReporting: false,
  });
}

/** One stack synthesized: its template, the pretty JSON uploaded or deployed, and its hash. */
export interface SynthesizedStack {
  readonly template: Record<string, unknown>;
  readonly body: string;
  readonly sha256: string;
}

/**
 * Synthesizes the one stack of `app` and removes CDK's output folder. A stack that holds nothing
 * gets a resource that creates nothing first: CloudFormation refuses a template without resources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html: the
 * Resources section "must declare at least one resource"). A stack the config has nothing for (the
 * identity mapping without access groups, ecr.yml without repositories) stays deployed, empty, so
 * that going from some resources to none is an update that deletes them.
 */
export function synthesizeStack(app: App, stack: Stack): SynthesizedStack {
  if (!stack.node.findAll().some((c) => CfnResource.isCfnResource(c)))
    new CfnWaitConditionHandle(stack, 'Empty');
  const assembly = app.synth();
  let template: Record<string, unknown>;
  try {
    template = assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>;
  } finally {
    rmSync(assembly.directory, { recursive: true, force: true });
  }
  const body = `${JSON.stringify(template, null, 1)}\n`;
  return { template, body, sha256: createHash('sha256').update(body).digest('hex') };
}

/**
 * Says what CloudFormation does by default (Delete) for a stateful resource that goes with its
 * stack: when the stack is deleted and when an update replaces the resource
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html,
 * .../aws-attribute-updatereplacepolicy.html). For orgbridge's queues, idempotency tables, handler
 * log groups and the alarms key: each but the key has a fixed name, so a retained copy would make
 * the stack's next creation in that account fail on the name, and nothing in them outlives the
 * handler they serve. What must outlive the stack (the audit and logs buckets, the backup vault)
 * is Retain where it is created.
 */
export function deletedWithStack<T extends CfnResource>(resource: T): T {
  resource.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
  resource.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.DELETE;
  return resource;
}

/** A bus in the deploying account, without `Ref` of the bus (moto returns garbage for it). */
export function localBusArn(busName: string): string {
  return Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${busName}`);
}

/** The root principal of `accountId`, in the partition the stack is deployed to. */
export function accountRootPrincipal(accountId: string): string {
  return Fn.sub(`arn:\${AWS::Partition}:iam::${accountId}:root`);
}

/** Lets one account put events on a bus of the deploying account (statement `allow-from-<id>`). */
export function allowPutEventsFrom(
  stack: Stack,
  id: string,
  busName: string,
  accountId: string,
): CfnEventBusPolicy {
  return new CfnEventBusPolicy(stack, id, {
    eventBusName: busName,
    statementId: `allow-from-${accountId}`,
    statement: {
      Sid: `allow-from-${accountId}`,
      Effect: 'Allow',
      Principal: { AWS: accountRootPrincipal(accountId) },
      Action: 'events:PutEvents',
      Resource: localBusArn(busName),
    },
  });
}

/**
 * The trust policy of a role only `service` assumes in this account (Lambda's execution role,
 * CloudFormation's service roles, EventBridge's target roles). `aws:SourceAccount` guards against
 * a confused deputy, but "the aws:SourceAccount condition key is only available when the call to
 * your resource is made directly by an AWS service principal", and the Lambda, CloudFormation
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html) and
 * EventBridge (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html)
 * pages document their trust policies without it. With a plain StringEquals a missing key is a
 * refusal, and the role could never be assumed; the IfExists form checks the key where the
 * service sends it and passes where it does not, as the IAM reference advises for keys "available
 * only in some circumstances"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). What
 * really keeps other accounts out is that a role can only be passed (iam:PassRole) within its
 * own account.
 */
/**
 * A trust policy that lets one AWS principal (an account's root, a role ARN) assume the role,
 * under `condition` when given (e.g. which principals of that account).
 */
export function principalTrust(
  principal: unknown,
  condition?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: 'sts:AssumeRole',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  };
}

export function serviceTrust(service: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEqualsIfExists: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      },
    ],
  };
}

/** Policy statements as an IAM policy document; resources are `Fn::Sub` strings. */
export function policyDocument(
  statements: readonly PolicyStatement[],
  variables: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const sub = (s: string) => {
    if (!s.includes(`\${`)) return s;
    const used = Object.fromEntries(Object.entries(variables).filter(([name]) => s.includes(`\${${name}}`)));
    return Object.keys(used).length > 0 ? Fn.sub(s, used) : Fn.sub(s);
  };
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: s.effect ?? 'Allow',
      Action: s.actions.length === 1 ? s.actions[0] : [...s.actions],
      ...(s.notResources
        ? { NotResource: s.notResources.map(sub) }
        : { Resource: s.resources.length === 1 ? sub(s.resources[0] as string) : s.resources.map(sub) }),
      ...(s.conditions ? { Condition: subConditions(s.conditions, sub) } : {}),
    })),
  };
}

/** Condition values may name this account's resources too (`${AWS::AccountId}`). */
function subConditions(
  conditions: NonNullable<PolicyStatement['conditions']>,
  sub: (s: string) => unknown,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(conditions).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys).map(([key, v]) => [key, typeof v === 'string' ? sub(v) : v.map(sub)]),
      ),
    ]),
  );
}

/** Deny plain-HTTP access (AWS Foundational Security Best Practices S3.5 / SQS encryption in transit). */
export function denyInsecureTransport(
  resources: readonly unknown[],
  action: string,
): Record<string, unknown> {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: action,
    Resource: resources.length === 1 ? resources[0] : [...resources],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * The RedriveAllowPolicy of a queue no other queue may name as its dead-letter queue. SQS's
 * default, `allowAll`, lets any queue of the same account and Region name it
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html,
 * RedriveAllowPolicy): a principal allowed to use a queue of its own could then have SQS move
 * that queue's messages into a handler's queue, which SQS does itself rather than as that
 * principal's sqs:SendMessage (the queue policy's deny names senders; orgbridge's own DLQs, which
 * deny every sender, are filled the same way), and the handler would take a message written by
 * hand for a request EventBridge delivered. Guardrail OB-SEC-9.
 */
export const NOT_A_DEAD_LETTER_QUEUE = { redrivePermission: 'denyAll' } as const;

/** A CDK-safe logical id from any name (alphanumerics only). */
export function logicalId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** A JSON value with every string that names a pseudo parameter (`${AWS::AccountId}`) wrapped in Fn::Sub. */
export function cfnJson<T>(value: T): T {
  if (value === `\${AWS::AccountId}`) return Aws.ACCOUNT_ID as T;
  if (typeof value === 'string') return (value.includes('${AWS::') ? Fn.sub(value) : value) as T;
  if (Array.isArray(value)) return value.map(cfnJson) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cfnJson(v)])) as T;
  }
  return value;
}
