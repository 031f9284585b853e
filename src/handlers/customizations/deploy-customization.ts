import { createHash } from 'node:crypto';
import { CUSTOM_STACK_PREFIX } from '../../config/customization-iam.js';
import { templateResources } from '../../config/customizations.js';
import { OrgbridgeError } from '../../errors.js';
import { CUSTOMIZATION_TAG, TEMPLATE_HASH_TAG } from '../../plan/customizations.js';
import { type Detail, MAX_REPORTED_CHANGES, type ReplyBody } from '../../protocol/catalog.js';
import {
  artifactBucketName,
  artifactObjectKey,
  artifactObjectUrl,
  CUSTOMIZATION_TEMPLATE_PREFIX,
  customizationObjectKey,
} from '../../protocol/names.js';
import type { ArtifactReadPort } from '../policies/ports.js';
import { waitForStack } from '../provisioning/deploy-stack.js';
import type { TemplateSource } from '../provisioning/ports.js';
import { RequestRejected } from '../types.js';
import { withDrift } from './drift.js';
import type {
  CustomizationCloudFormationPort,
  CustomizationDriftPort,
  CustomizationStackRequest,
  CustomizationStackState,
  ResourceChange,
} from './ports.js';

/**
 * DEPLOY_CUSTOMIZATION: the user's own stacks (docs/customizations.md), in the account and region
 * the request names. Every stack it touches is `custom-<customization>`; every template it
 * deploys is the object `customizations/<name>/<sha256>.template` of the sender's (the cicd
 * account's) artifact bucket of the stack's region, read and hashed before use; every stack is
 * deployed with the customization service role, whose permissions boundary keeps orgbridge's
 * own resources out of reach. Idempotent: a stack that already runs this template with these
 * parameters and this termination protection is left alone, with no change set and no update.
 */

export type CustomizationRequest = Omit<
  Detail<'DEPLOY_CUSTOMIZATION'>,
  'nonce' | 'dryrun' | 'target_account' | 'reply_to'
>;
export type CustomizationReport = ReplyBody<'CUSTOMIZATION_REPORTED'>;

export interface CustomizationPorts {
  /** CloudFormation in the request's region. */
  readonly cfn: CustomizationCloudFormationPort;
  /** CloudFormation in another region (a `list` of several regions). */
  readonly cfnIn?: (region: string) => CustomizationCloudFormationPort;
  /** S3 in the request's region: the cicd artifact bucket there. */
  readonly templates: ArtifactReadPort;
  /** CloudFormation in a region as the account's drift role (`list` with `detect_drift`). */
  readonly driftIn?: (region: string) => CustomizationDriftPort;
}

export interface CustomizationContext {
  /** The sender: only its artifact bucket is read. */
  readonly cicdAccountId: string;
  /** The stack's service role (the customization deployer of the receiving account). */
  readonly roleArn: string;
  readonly maxWaitMs: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * CloudFormation takes a TemplateBody up to 51,200 bytes and a TemplateURL up to 1 MB
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 * A template that fits is passed as the very bytes whose hash was checked; a larger one by its
 * content-addressed URL, whose object the pipeline never overwrites with other bytes.
 */
const TEMPLATE_BODY_LIMIT = 51_200;
const TEMPLATE_URL_LIMIT = 1_000_000;
/** Stack events quoted when a stack fails: enough to name the resource and AWS's reason. */
const FAILURE_EVENTS = 5;
/** A stack that cannot be updated in place: the next deploy deletes it and creates it again. */
const RECREATE = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'REVIEW_IN_PROGRESS', 'DELETE_FAILED']);

const reported = <S extends CustomizationStackState>(s: S): Omit<S, 'reason'> => {
  const { reason: _reason, ...rest } = s;
  return rest;
};

function stackNameOf(request: CustomizationRequest): string {
  const { customization, stack_name } = request;
  if (customization === undefined || stack_name !== `${CUSTOM_STACK_PREFIX}${customization}`) {
    throw new RequestRejected(
      'CUSTOMIZATION_STACK_NOT_ALLOWED',
      `DEPLOY_CUSTOMIZATION deploys the stack ${CUSTOM_STACK_PREFIX}<customization> only, not '${stack_name}'`,
    );
  }
  return stack_name;
}

/** The template of an observe or deploy request, checked: location, size and hash. */
async function verifiedTemplate(
  ports: CustomizationPorts,
  request: CustomizationRequest,
  context: CustomizationContext,
): Promise<{ source: TemplateSource; body: string; sha256: string }> {
  const { customization = '', template_url: url = '', template_sha256: sha256 = '', region } = request;
  const expected = customizationObjectKey(customization, sha256);
  const key = artifactObjectKey(url, context.cicdAccountId, region, CUSTOMIZATION_TEMPLATE_PREFIX);
  if (key !== expected) {
    throw new RequestRejected(
      'CUSTOMIZATION_TEMPLATE_NOT_ALLOWED',
      `DEPLOY_CUSTOMIZATION deploys ${artifactObjectUrl(context.cicdAccountId, region, expected)} only, not '${url}'`,
    );
  }
  const bucket = artifactBucketName(context.cicdAccountId, region);
  const read = await ports.templates.getObject(bucket, key, TEMPLATE_URL_LIMIT);
  if (read.status === 'missing') {
    throw new RequestRejected(
      'CUSTOMIZATION_TEMPLATE_MISSING',
      `s3://${bucket}/${key} does not exist; run the customizations again (they upload the template first)`,
    );
  }
  if (read.status === 'too-large') {
    throw new RequestRejected(
      'CUSTOMIZATION_TEMPLATE_HASH',
      `s3://${bucket}/${key} is ${read.bytes} bytes, over CloudFormation's ${TEMPLATE_URL_LIMIT}`,
    );
  }
  const actual = createHash('sha256').update(read.body).digest('hex');
  if (actual !== sha256) {
    throw new RequestRejected(
      'CUSTOMIZATION_TEMPLATE_HASH',
      `s3://${bucket}/${key} hashes to ${actual}, not ${sha256}: the object was changed after its upload`,
    );
  }
  const body = Buffer.from(read.body).toString('utf8');
  return { source: read.body.length <= TEMPLATE_BODY_LIMIT ? { body } : { url }, body, sha256 };
}

/** What differs between the stack and the request ([] when nothing does). */
function differences(existing: CustomizationStackState, request: CustomizationRequest, sha256: string) {
  const wanted = request.parameters ?? {};
  const keys = new Set([...Object.keys(wanted), ...Object.keys(existing.parameters)]);
  return {
    stack: [
      ...(existing.template_sha256 !== sha256 ? ['template'] : []),
      ...([...keys].some((k) => wanted[k] !== existing.parameters[k]) ? ['parameters'] : []),
    ],
    protection: existing.termination_protection !== (request.termination_protection ?? false),
  };
}

async function failure(
  ports: CustomizationPorts,
  name: string,
  doing: string,
  status: string,
  reason?: string,
): Promise<never> {
  const events = await ports.cfn.failureEvents(name, FAILURE_EVENTS);
  throw new OrgbridgeError(
    'CUSTOMIZATION_STACK_FAILED',
    [`${doing} ${name} ended in ${status}${reason ? `: ${reason}` : ''}`, ...events]
      .join('\n')
      .slice(0, 2000),
    {
      source: 'aws',
      hint: `read the stack events of ${name}; the next run retries (a failed creation is re-created)`,
    },
  );
}

/** The stack's status as the provisioning handlers' wait reads it. */
const statusOf = (ports: CustomizationPorts) => ({
  describeStack: async (name: string) => {
    const s = await ports.cfn.describeStack(name);
    return s && { name, status: s.status, ...(s.reason ? { reason: s.reason } : {}) };
  },
});

/** Waits for the stack and fails with its events unless it ended well. */
async function settle(ports: CustomizationPorts, name: string, doing: string, context: CustomizationContext) {
  const final = await waitForStack(statusOf(ports), name, context);
  if (doing === 'deleting') {
    if (final && final.status !== 'DELETE_COMPLETE')
      await failure(ports, name, doing, final.status, final.reason);
    return;
  }
  if (!final) return failure(ports, name, doing, 'a deleted stack');
  if (/(_FAILED|ROLLBACK_COMPLETE)$/.test(final.status)) {
    await failure(ports, name, doing, final.status, final.reason);
  }
}

async function current(ports: CustomizationPorts, name: string, context: CustomizationContext) {
  const existing = await ports.cfn.describeStack(name);
  if (!existing?.status.endsWith('_IN_PROGRESS') || existing.status === 'REVIEW_IN_PROGRESS') return existing;
  // A retried request, or a stack someone is changing: wait for it to settle first.
  await waitForStack(statusOf(ports), name, context);
  return ports.cfn.describeStack(name);
}

function checkOurs(existing: CustomizationStackState, customization: string): void {
  if (existing.customization === customization) return;
  throw new RequestRejected(
    'CUSTOMIZATION_NOT_OURS',
    `stack ${existing.stack_name} is not tagged ${CUSTOMIZATION_TAG}=${customization}${existing.customization ? ` (it says '${existing.customization}')` : ''}: orgbridge did not create it and leaves it alone`,
  );
}

async function observe(
  ports: CustomizationPorts,
  request: CustomizationRequest,
  context: CustomizationContext,
  stackRequest: CustomizationStackRequest,
  template: { body: string; sha256: string },
): Promise<CustomizationReport> {
  const base = { operation: request.operation, region: request.region };
  const existing = await ports.cfn.describeStack(stackRequest.name);
  if (!existing || RECREATE.has(existing.status)) {
    const changes = templateResources(template.body).map((r) => ({
      action: 'Add',
      logical_id: r.logicalId,
      type: r.type,
    }));
    return { ...base, result: 'create', stacks: existing ? [reported(existing)] : [], ...capped(changes) };
  }
  checkOurs(existing, request.customization ?? '');
  const diff = differences(existing, request, template.sha256);
  if (diff.stack.length === 0 && !diff.protection) {
    return { ...base, result: 'unchanged', stacks: [reported(existing)], changes: [] };
  }
  const changes = diff.stack.length
    ? await ports.cfn.changeSetChanges(stackRequest, {
        maxWaitMs: context.maxWaitMs,
        sleep: context.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      })
    : [];
  return { ...base, result: 'update', stacks: [reported(existing)], ...capped(changes) };
}

function capped(changes: readonly ResourceChange[]): { changes: ResourceChange[]; changes_omitted?: number } {
  if (changes.length <= MAX_REPORTED_CHANGES) return { changes: [...changes] };
  return {
    changes: changes.slice(0, MAX_REPORTED_CHANGES),
    changes_omitted: changes.length - MAX_REPORTED_CHANGES,
  };
}

async function deploy(
  ports: CustomizationPorts,
  request: CustomizationRequest,
  context: CustomizationContext,
  stackRequest: CustomizationStackRequest,
  sha256: string,
): Promise<CustomizationReport> {
  const { name } = stackRequest;
  const base = { operation: request.operation, region: request.region };
  let existing = await current(ports, name, context);
  if (existing && RECREATE.has(existing.status)) {
    checkOurs(existing, request.customization ?? '');
    // A failed creation (or a CREATE change set never executed) cannot be updated: start over.
    await ports.cfn.deleteStack(name);
    await settle(ports, name, 'deleting', context);
    existing = undefined;
  }
  let result: 'created' | 'updated' | 'unchanged';
  if (!existing) {
    await ports.cfn.createStack(stackRequest);
    await settle(ports, name, 'creating', context);
    result = 'created';
  } else {
    checkOurs(existing, request.customization ?? '');
    const diff = differences(existing, request, sha256);
    const updated = diff.stack.length > 0 && (await ports.cfn.updateStack(stackRequest));
    if (updated) await settle(ports, name, 'updating', context);
    if (diff.protection) await ports.cfn.setTerminationProtection(name, stackRequest.terminationProtection);
    result = updated || diff.protection ? 'updated' : 'unchanged';
  }
  const after = await ports.cfn.describeStack(name);
  return { ...base, result, stacks: after ? [reported(after)] : [] };
}

async function remove(
  ports: CustomizationPorts,
  request: CustomizationRequest,
  context: CustomizationContext,
): Promise<CustomizationReport> {
  const name = stackNameOf(request);
  const base = { operation: request.operation, region: request.region, stacks: [] };
  const existing = await current(ports, name, context);
  if (!existing) return { ...base, result: 'absent' };
  checkOurs(existing, request.customization ?? '');
  if (existing.termination_protection) {
    // CloudFormation refuses too; refusing first says why in orgbridge's words.
    throw new RequestRejected(
      'CUSTOMIZATION_PROTECTED',
      `stack ${name} has termination protection: apply termination_protection: false first, then remove it`,
    );
  }
  await ports.cfn.deleteStack(name);
  await settle(ports, name, 'deleting', context);
  return { ...base, result: 'deleted' };
}

export async function handleCustomization(
  ports: CustomizationPorts,
  request: CustomizationRequest,
  context: CustomizationContext,
): Promise<CustomizationReport> {
  if (request.operation === 'list') {
    const regions = request.regions ?? [request.region];
    const listed = await Promise.all(
      regions.map(async (region) => {
        const cfn = region === request.region ? ports.cfn : ports.cfnIn?.(region);
        if (!cfn) throw new Error(`no CloudFormation client for ${region}`);
        const found = await cfn.listStacks(CUSTOM_STACK_PREFIX);
        const stacks = request.detect_drift
          ? await withDrift(ports.driftIn?.(region), found, {
              maxAgeMinutes: request.detect_drift.max_age_minutes,
              maxWaitMs: context.maxWaitMs,
              ...(context.pollMs !== undefined ? { pollMs: context.pollMs } : {}),
              ...(context.sleep ? { sleep: context.sleep } : {}),
            })
          : found;
        return stacks.map((s) => ({ ...reported(s), region }));
      }),
    );
    return { operation: 'list', region: request.region, result: 'listed', stacks: listed.flat() };
  }
  if (request.operation === 'delete') return remove(ports, request, context);
  const name = stackNameOf(request);
  const template = await verifiedTemplate(ports, request, context);
  const stackRequest: CustomizationStackRequest = {
    name,
    template: template.source,
    parameters: request.parameters ?? {},
    tags: { [CUSTOMIZATION_TAG]: request.customization ?? '', [TEMPLATE_HASH_TAG]: template.sha256 },
    roleArn: context.roleArn,
    terminationProtection: request.termination_protection ?? false,
  };
  return request.operation === 'observe'
    ? observe(ports, request, context, stackRequest, template)
    : deploy(ports, request, context, stackRequest, template.sha256);
}
