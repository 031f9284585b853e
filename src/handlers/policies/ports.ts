import {
  AttachPolicyCommand,
  type PolicyType as AwsPolicyType,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  type OrganizationsClient,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '../../aws/clients.js';
import { sdk } from '../../aws/sdk.js';
import type { PolicyType } from '../../config/model.js';
import { AwsOperationError } from '../../errors.js';
import { AWS_POLICY_TYPE } from '../../plan/policies.js';
import { allPages, PAGE, type Page } from '../accounts/ports.js';

/** The Organizations calls policy sync makes, in plain data. */
export interface PolicySummary {
  readonly id: string;
  readonly name: string;
  readonly awsManaged: boolean;
  readonly description?: string;
}

export interface OrganizationsPolicyPort {
  root(): Promise<{ id: string; enabledTypes: PolicyType[] }>;
  listOrganizationalUnits(parentId: string, nextToken?: string): Promise<Page<{ id: string; name: string }>>;
  /** The parent of an OU, and the OU's name. */
  describeOrganizationalUnit(id: string): Promise<{ name: string; parentId: string }>;
  listPolicies(type: PolicyType, nextToken?: string): Promise<Page<PolicySummary>>;
  listPoliciesForTarget(targetId: string, type: PolicyType, nextToken?: string): Promise<Page<PolicySummary>>;
  listTargetsForPolicy(policyId: string, nextToken?: string): Promise<Page<{ id: string; type: string }>>;
  policyContent(policyId: string): Promise<string>;
  policyTags(policyId: string): Promise<Record<string, string>>;
  enablePolicyType(rootId: string, type: PolicyType): Promise<void>;
  createPolicy(input: {
    type: PolicyType;
    name: string;
    description: string;
    content: string;
    tags: Record<string, string>;
  }): Promise<string>;
  updatePolicy(policyId: string, content: string, description: string): Promise<void>;
  attachPolicy(policyId: string, targetId: string): Promise<void>;
  detachPolicy(policyId: string, targetId: string): Promise<void>;
  deletePolicy(policyId: string): Promise<void>;
}

async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new AwsOperationError(doing, e);
  }
}

const TYPE_BY_AWS = Object.fromEntries(Object.entries(AWS_POLICY_TYPE).map(([k, v]) => [v, k])) as Record<
  string,
  PolicyType
>;
const page = <T>(items: T[], nextToken: string | undefined): Page<T> => ({
  items,
  ...(nextToken ? { nextToken } : {}),
});

export function organizationsPolicyPort(client: Client<OrganizationsClient>): OrganizationsPolicyPort {
  const summary = (p: {
    Id?: string;
    Name?: string;
    AwsManaged?: boolean;
    Description?: string;
  }): PolicySummary => ({
    id: p.Id ?? '',
    name: p.Name ?? '',
    awsManaged: p.AwsManaged ?? false,
    ...(p.Description ? { description: p.Description } : {}),
  });
  return {
    async root() {
      const out = await call('listing the organization root', () => client.send(new ListRootsCommand({})));
      const root = out.Roots?.[0];
      if (!root?.Id)
        throw new AwsOperationError('listing the organization root', new Error('no root returned'));
      const enabledTypes = (root.PolicyTypes ?? [])
        .filter((t) => t.Status === 'ENABLED' && t.Type && TYPE_BY_AWS[t.Type])
        .map((t) => TYPE_BY_AWS[t.Type as string] as PolicyType);
      return { id: root.Id, enabledTypes };
    },
    async listOrganizationalUnits(parentId, nextToken) {
      const out = await call(`listing the OUs under ${parentId}`, () =>
        client.send(
          new ListOrganizationalUnitsForParentCommand({
            ParentId: parentId,
            MaxResults: PAGE,
            NextToken: nextToken,
          }),
        ),
      );
      return page(
        (out.OrganizationalUnits ?? []).map((o) => ({ id: o.Id ?? '', name: o.Name ?? '' })),
        out.NextToken,
      );
    },
    async describeOrganizationalUnit(id) {
      const ou = await call(`describing OU ${id}`, () =>
        client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id })),
      );
      const parents = await call(`finding the parent of ${id}`, () =>
        client.send(new ListParentsCommand({ ChildId: id })),
      );
      return { name: ou.OrganizationalUnit?.Name ?? id, parentId: parents.Parents?.[0]?.Id ?? '' };
    },
    async listPolicies(type, nextToken) {
      const out = await call(`listing ${AWS_POLICY_TYPE[type]} policies`, () =>
        client.send(
          new ListPoliciesCommand({ Filter: AWS_POLICY_TYPE[type] as AwsPolicyType, NextToken: nextToken }),
        ),
      );
      return page((out.Policies ?? []).map(summary), out.NextToken);
    },
    async listPoliciesForTarget(targetId, type, nextToken) {
      const out = await call(`listing the ${AWS_POLICY_TYPE[type]} policies of ${targetId}`, () =>
        client.send(
          new ListPoliciesForTargetCommand({
            TargetId: targetId,
            Filter: AWS_POLICY_TYPE[type] as AwsPolicyType,
            NextToken: nextToken,
          }),
        ),
      );
      return page((out.Policies ?? []).map(summary), out.NextToken);
    },
    async listTargetsForPolicy(policyId, nextToken) {
      const out = await call(`listing the targets of policy ${policyId}`, () =>
        client.send(new ListTargetsForPolicyCommand({ PolicyId: policyId, NextToken: nextToken })),
      );
      return page(
        (out.Targets ?? []).map((t) => ({ id: t.TargetId ?? '', type: t.Type ?? '' })),
        out.NextToken,
      );
    },
    async policyContent(policyId) {
      const out = await call(`reading policy ${policyId}`, () =>
        client.send(new DescribePolicyCommand({ PolicyId: policyId })),
      );
      return out.Policy?.Content ?? '';
    },
    async policyTags(policyId) {
      const tags = await allPages(async (token) => {
        const out = await call(`reading the tags of policy ${policyId}`, () =>
          client.send(new ListTagsForResourceCommand({ ResourceId: policyId, NextToken: token })),
        );
        return page(out.Tags ?? [], out.NextToken);
      });
      return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
    },
    async enablePolicyType(rootId, type) {
      await call(`enabling ${AWS_POLICY_TYPE[type]} on ${rootId}`, () =>
        client.send(
          new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: AWS_POLICY_TYPE[type] as AwsPolicyType }),
        ),
      );
    },
    async createPolicy(input) {
      const out = await call(`creating ${AWS_POLICY_TYPE[input.type]} ${input.name}`, () =>
        client.send(
          new CreatePolicyCommand({
            Name: input.name,
            Description: input.description,
            Content: input.content,
            Type: AWS_POLICY_TYPE[input.type] as AwsPolicyType,
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      const id = out.Policy?.PolicySummary?.Id;
      if (!id)
        throw new AwsOperationError(`creating ${input.name}`, new Error('CreatePolicy returned no id'));
      return id;
    },
    async updatePolicy(policyId, content, description) {
      await call(`updating policy ${policyId}`, () =>
        client.send(
          new UpdatePolicyCommand({ PolicyId: policyId, Content: content, Description: description }),
        ),
      );
    },
    async attachPolicy(policyId, targetId) {
      await call(`attaching policy ${policyId} to ${targetId}`, () =>
        client.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: targetId })),
      );
    },
    async detachPolicy(policyId, targetId) {
      await call(`detaching policy ${policyId} from ${targetId}`, () =>
        client.send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: targetId })),
      );
    },
    async deletePolicy(policyId) {
      await call(`deleting policy ${policyId}`, () =>
        client.send(new DeletePolicyCommand({ PolicyId: policyId })),
      );
    },
  };
}

/** What reading one artifact object gives: its bytes, or why not (nothing larger is read). */
export type ArtifactRead =
  | { readonly status: 'ok'; readonly body: Uint8Array }
  | { readonly status: 'missing' }
  | { readonly status: 'too-large'; readonly bytes: number };

/** The one S3 call SYNC_SCPS makes: GetObject of the bundle the event refers to. */
export interface ArtifactReadPort {
  getObject(bucket: string, key: string, maxBytes: number): Promise<ArtifactRead>;
}

export function artifactReadPort(client: Client<S3Client>): ArtifactReadPort {
  return {
    async getObject(bucket, key, maxBytes) {
      const doing = `reading s3://${bucket}/${key}`;
      try {
        const { GetObjectCommand } = await sdk.s3();
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const declared = out.ContentLength ?? 0;
        if (declared > maxBytes) {
          // Close the connection instead of downloading what will be refused anyway.
          (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
          return { status: 'too-large', bytes: declared };
        }
        const body = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
        return body.length > maxBytes ? { status: 'too-large', bytes: body.length } : { status: 'ok', body };
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchKey') return { status: 'missing' };
        throw new AwsOperationError(doing, e);
      }
    },
  };
}
