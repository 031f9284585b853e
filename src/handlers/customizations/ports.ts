import { randomUUID } from 'node:crypto';
import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ListStacksCommand,
  type Stack,
  type StackStatus,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';
import { CUSTOMIZATION_TAG, TEMPLATE_HASH_TAG } from '../../plan/customizations.js';
import type { TemplateSource } from '../provisioning/ports.js';

/**
 * The CloudFormation calls of DEPLOY_CUSTOMIZATION, in plain data. Everything it deploys is
 * named `custom-*`; the handler checks names before any call reaches this port.
 */

export interface CustomizationStackState {
  readonly customization: string;
  readonly stack_name: string;
  readonly status: string;
  readonly template_sha256: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly termination_protection: boolean;
  readonly drift_status?: string;
  /** When the last drift detection ran (ISO 8601). */
  readonly drift_checked_at?: string;
  readonly reason?: string;
}

export interface CustomizationStackRequest {
  readonly name: string;
  readonly template: TemplateSource;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly roleArn: string;
  readonly terminationProtection: boolean;
}

export interface ResourceChange {
  readonly action: string;
  readonly logical_id: string;
  readonly type: string;
  readonly replacement?: string;
}

export interface CustomizationCloudFormationPort {
  /** Every stack whose name starts with `prefix` and that is not deleted. */
  listStacks(prefix: string): Promise<CustomizationStackState[]>;
  describeStack(name: string): Promise<CustomizationStackState | undefined>;
  createStack(request: CustomizationStackRequest): Promise<void>;
  /** Resolves `false` when CloudFormation says "No updates are to be performed". */
  updateStack(request: CustomizationStackRequest): Promise<boolean>;
  setTerminationProtection(name: string, enabled: boolean): Promise<void>;
  deleteStack(name: string): Promise<void>;
  /** The resource changes of an UPDATE change set, made, read and deleted. */
  changeSetChanges(
    request: CustomizationStackRequest,
    options: { maxWaitMs: number; sleep: (ms: number) => Promise<void> },
  ): Promise<ResourceChange[]>;
  /** The stack's latest events that failed, newest first: why an operation went wrong. */
  failureEvents(name: string, limit: number): Promise<string[]>;
}

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;
/** CloudFormation's status reasons for a change set without changes (AWS and moto alike). */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;
/** Every status but DELETE_COMPLETE: ListStacks otherwise also returns deleted stacks (90 days). */
const LIVE_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];

function stateOf(stack: Stack): CustomizationStackState {
  const tags = Object.fromEntries((stack.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const name = stack.StackName ?? '';
  return {
    customization: tags[CUSTOMIZATION_TAG] ?? '',
    stack_name: name,
    status: stack.StackStatus ?? 'UNKNOWN',
    template_sha256: tags[TEMPLATE_HASH_TAG] ?? '',
    parameters: Object.fromEntries(
      (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
    ),
    termination_protection: stack.EnableTerminationProtection === true,
    ...(stack.DriftInformation?.StackDriftStatus
      ? { drift_status: stack.DriftInformation.StackDriftStatus }
      : {}),
    ...(stack.DriftInformation?.LastCheckTimestamp
      ? { drift_checked_at: new Date(stack.DriftInformation.LastCheckTimestamp).toISOString() }
      : {}),
    ...(stack.StackStatusReason ? { reason: stack.StackStatusReason } : {}),
  };
}

function stackInput(request: CustomizationStackRequest) {
  return {
    StackName: request.name,
    ...('body' in request.template
      ? { TemplateBody: request.template.body }
      : { TemplateURL: request.template.url }),
    Parameters: Object.entries(request.parameters).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    })),
    Capabilities: [...CAPABILITIES],
    RoleARN: request.roleArn,
    Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

const isMissing = (e: unknown) => e instanceof Error && /does not exist/i.test(e.message);

export function customizationCloudFormationPort(
  client: Client<CloudFormationClient>,
  where: string,
): CustomizationCloudFormationPort {
  const fail = (doing: string, e: unknown): never => {
    throw new AwsOperationError(`${doing} in ${where}`, e);
  };
  const describeStack = async (name: string) => {
    try {
      const out = await client.send(new DescribeStacksCommand({ StackName: name }));
      const stack = out.Stacks?.[0];
      return stack ? stateOf(stack) : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      return fail(`describing stack ${name}`, e);
    }
  };
  return {
    async listStacks(prefix) {
      const names: string[] = [];
      try {
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListStacksCommand({ StackStatusFilter: LIVE_STATUSES, NextToken: token }),
          );
          for (const s of page.StackSummaries ?? []) {
            if (s.StackName?.startsWith(prefix) && s.StackStatus !== 'DELETE_COMPLETE')
              names.push(s.StackName);
          }
          token = page.NextToken;
        } while (token);
      } catch (e) {
        fail('listing stacks', e);
      }
      // ListStacks carries neither tags nor parameters: one DescribeStacks per customization stack.
      const states = await Promise.all([...new Set(names)].map(describeStack));
      return states.filter((s): s is CustomizationStackState => s !== undefined);
    },
    describeStack,
    async createStack(request) {
      try {
        await client.send(
          new CreateStackCommand({
            ...stackInput(request),
            EnableTerminationProtection: request.terminationProtection,
            // A failed creation rolls back; the next deploy deletes the stack and creates it again.
            OnFailure: 'ROLLBACK',
          }),
        );
      } catch (e) {
        fail(`creating stack ${request.name}`, e);
      }
    },
    async updateStack(request) {
      try {
        await client.send(new UpdateStackCommand(stackInput(request)));
        return true;
      } catch (e) {
        if (e instanceof Error && NO_CHANGES.test(e.message)) return false;
        return fail(`updating stack ${request.name}`, e);
      }
    },
    async setTerminationProtection(name, enabled) {
      try {
        await client.send(
          new UpdateTerminationProtectionCommand({ StackName: name, EnableTerminationProtection: enabled }),
        );
      } catch (e) {
        fail(`setting termination protection of ${name}`, e);
      }
    },
    async deleteStack(name) {
      try {
        await client.send(new DeleteStackCommand({ StackName: name }));
      } catch (e) {
        fail(`deleting stack ${name}`, e);
      }
    },
    async changeSetChanges(request, { maxWaitMs, sleep }) {
      const { RoleARN, Tags, ...input } = stackInput(request);
      const ChangeSetName = `orgbridge-plan-${randomUUID().slice(0, 8)}`;
      const doing = `planning ${request.name} with a change set`;
      try {
        // ChangeSetType is always given: moto defaults to CREATE without it.
        await client.send(
          new CreateChangeSetCommand({ ...input, RoleARN, Tags, ChangeSetName, ChangeSetType: 'UPDATE' }),
        );
      } catch (e) {
        if (e instanceof Error && NO_CHANGES.test(e.message)) return [];
        fail(doing, e);
      }
      const deadline = Date.now() + maxWaitMs;
      try {
        for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
          const described = await client
            .send(new DescribeChangeSetCommand({ StackName: request.name, ChangeSetName }))
            .catch((e) => fail(doing, e));
          if (described.Status === 'FAILED') {
            if (NO_CHANGES.test(described.StatusReason ?? '')) return [];
            fail(doing, new Error(described.StatusReason ?? 'the change set FAILED'));
          }
          if (described.Status === 'CREATE_COMPLETE') {
            const changes = [...(described.Changes ?? [])];
            for (let token = described.NextToken; token; ) {
              const page = await client
                .send(
                  new DescribeChangeSetCommand({ StackName: request.name, ChangeSetName, NextToken: token }),
                )
                .catch((e) => fail(doing, e));
              changes.push(...(page.Changes ?? []));
              token = page.NextToken;
            }
            return changes.flatMap((c) => {
              const r = c.ResourceChange;
              if (!r?.LogicalResourceId) return [];
              return [
                {
                  action: r.Action ?? 'Modify',
                  logical_id: r.LogicalResourceId,
                  type: r.ResourceType ?? 'unknown',
                  ...(r.Replacement ? { replacement: r.Replacement } : {}),
                },
              ];
            });
          }
          if (Date.now() > deadline) fail(doing, new Error(`the change set is still ${described.Status}`));
          await sleep(delay);
        }
      } finally {
        // A change set left behind is harmless but clutters the console: delete it, best effort.
        await client
          .send(new DeleteChangeSetCommand({ StackName: request.name, ChangeSetName }))
          .catch(() => undefined);
      }
    },
    async failureEvents(name, limit) {
      try {
        const out = await client.send(new DescribeStackEventsCommand({ StackName: name }));
        return (out.StackEvents ?? [])
          .filter((e) => /FAILED$/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason)
          .slice(0, limit)
          .map((e) => `${e.LogicalResourceId ?? name} ${e.ResourceStatus}: ${e.ResourceStatusReason}`);
      } catch {
        return []; // the events explain a failure; not having them must not hide it
      }
    },
  };
}

export interface DriftDetectionState {
  readonly status: 'DETECTION_IN_PROGRESS' | 'DETECTION_COMPLETE' | 'DETECTION_FAILED';
  /** DRIFTED, IN_SYNC, NOT_CHECKED or UNKNOWN, once known. */
  readonly drift_status?: string;
  readonly reason?: string;
}

/** Drift detection on the customization stacks, as the account's drift role. */
export interface CustomizationDriftPort {
  /** Starts a detection; resolves its id. */
  detect(name: string): Promise<string>;
  detection(id: string): Promise<DriftDetectionState>;
  /** The stack's MODIFIED and DELETED resources, each with its property differences. */
  driftedResources(name: string, limit: number): Promise<string[]>;
}

/** One drifted resource in a line: which, how, and what differs. */
function driftLine(d: {
  LogicalResourceId?: string | undefined;
  ResourceType?: string | undefined;
  StackResourceDriftStatus?: string | undefined;
  PropertyDifferences?: { PropertyPath?: string; ExpectedValue?: string; ActualValue?: string }[] | undefined;
}): string {
  const differences = (d.PropertyDifferences ?? [])
    .map((p) => `${p.PropertyPath ?? '?'} ${p.ExpectedValue ?? ''} -> ${p.ActualValue ?? ''}`)
    .join('; ');
  const line = `${d.LogicalResourceId ?? '?'} (${d.ResourceType ?? '?'}) ${d.StackResourceDriftStatus ?? 'MODIFIED'}${differences ? `: ${differences}` : ''}`;
  return line.length > 512 ? `${line.slice(0, 509)}...` : line;
}

export function customizationDriftPort(
  client: Client<CloudFormationClient>,
  where: string,
): CustomizationDriftPort {
  const fail = (doing: string, e: unknown): never => {
    throw new AwsOperationError(`${doing} in ${where}`, e);
  };
  return {
    async detect(name) {
      const out = await client
        .send(new DetectStackDriftCommand({ StackName: name }))
        .catch((e) => fail(`starting drift detection on ${name}`, e));
      if (!out.StackDriftDetectionId)
        return fail(`starting drift detection on ${name}`, new Error('no detection id'));
      return out.StackDriftDetectionId;
    },
    async detection(id) {
      const out = await client
        .send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id }))
        .catch((e) => fail(`reading drift detection ${id}`, e));
      return {
        status: out.DetectionStatus ?? 'DETECTION_IN_PROGRESS',
        ...(out.StackDriftStatus ? { drift_status: out.StackDriftStatus } : {}),
        ...(out.DetectionStatusReason ? { reason: out.DetectionStatusReason } : {}),
      };
    },
    async driftedResources(name, limit) {
      const lines: string[] = [];
      let token: string | undefined;
      do {
        const page = await client
          .send(
            new DescribeStackResourceDriftsCommand({
              StackName: name,
              StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
              NextToken: token,
            }),
          )
          .catch((e) => fail(`reading the drifted resources of ${name}`, e));
        lines.push(...(page.StackResourceDrifts ?? []).map(driftLine));
        token = page.NextToken;
      } while (token && lines.length < limit);
      return lines.slice(0, limit);
    },
  };
}
