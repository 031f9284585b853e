import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackInstanceCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateAccountAliasCommand,
  GetAccountPasswordPolicyCommand,
  type IAMClient,
  ListAccountAliasesCommand,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteParametersCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';
import { awsErrorName } from '../accounts/ports.js';
import type { IamSettingsPort, PasswordPolicy } from './iam-settings.js';

/**
 * The narrow ports of the provisioning handlers: only the calls they make, in plain data, so the
 * handlers are tested against the emulator through the real clients and their logic reads
 * without SDK noise.
 */

export interface StackSummary {
  readonly name: string;
  readonly status: string;
  readonly reason?: string;
}

/** What CreateStack/UpdateStack take: a body (at most 51,200 bytes) or an S3 URL. */
export type TemplateSource = { readonly body: string } | { readonly url: string };

export interface StackRequest {
  readonly name: string;
  readonly template: TemplateSource;
  /** CloudFormation service role (the logs account's updater role, ...). */
  readonly roleArn?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface CloudFormationPort {
  describeStack(name: string): Promise<StackSummary | undefined>;
  createStack(request: StackRequest): Promise<void>;
  /** Resolves `false` when CloudFormation says "No updates are to be performed". */
  updateStack(request: StackRequest): Promise<boolean>;
  deleteStack(name: string): Promise<void>;
}

export interface StackInstancesPort {
  /** undefined: the stack set or the instance does not exist. */
  stackInstanceStatus(
    stackSetName: string,
    accountId: string,
    region: string,
  ): Promise<{ status: string; reason?: string } | undefined>;
}

export interface SsmPort {
  /** Every parameter under `path` (recursive), decrypted values. */
  parametersByPath(path: string): Promise<{ name: string; value: string }[]>;
  put(name: string, value: string): Promise<void>;
  /** Deletes up to 10 names per call (the API's limit), ignoring missing ones. */
  delete(names: readonly string[]): Promise<void>;
}

const CAPABILITIES = ['CAPABILITY_NAMED_IAM'] as const;

function templateParams(source: TemplateSource): { TemplateBody?: string; TemplateURL?: string } {
  return 'body' in source ? { TemplateBody: source.body } : { TemplateURL: source.url };
}

function tagList(tags: Readonly<Record<string, string>> | undefined) {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

function isNoUpdates(e: unknown): boolean {
  return e instanceof Error && /No updates are to be performed/i.test(e.message);
}

function isMissingStack(e: unknown): boolean {
  return e instanceof Error && /does not exist/i.test(e.message);
}

export function cloudFormationPort(client: Client<CloudFormationClient>, where = ''): CloudFormationPort {
  const at = where ? ` in ${where}` : '';
  return {
    async describeStack(name) {
      try {
        const out = await client.send(new DescribeStacksCommand({ StackName: name }));
        const stack = out.Stacks?.[0];
        if (!stack) return undefined;
        return {
          name,
          status: stack.StackStatus ?? 'UNKNOWN',
          ...(stack.StackStatusReason ? { reason: stack.StackStatusReason } : {}),
        };
      } catch (e) {
        if (isMissingStack(e)) return undefined;
        throw new AwsOperationError(`describing stack ${name}${at}`, e);
      }
    },
    async createStack(request) {
      try {
        await client.send(
          new CreateStackCommand({
            StackName: request.name,
            ...templateParams(request.template),
            Capabilities: [...CAPABILITIES],
            ...(request.roleArn ? { RoleARN: request.roleArn } : {}),
            Tags: tagList(request.tags),
            // A failed creation rolls back, and the next attempt deletes and re-creates.
            OnFailure: 'ROLLBACK',
          }),
        );
      } catch (e) {
        throw new AwsOperationError(`creating stack ${request.name}${at}`, e);
      }
    },
    async updateStack(request) {
      try {
        await client.send(
          new UpdateStackCommand({
            StackName: request.name,
            ...templateParams(request.template),
            Capabilities: [...CAPABILITIES],
            ...(request.roleArn ? { RoleARN: request.roleArn } : {}),
            Tags: tagList(request.tags),
          }),
        );
        return true;
      } catch (e) {
        if (isNoUpdates(e)) return false;
        throw new AwsOperationError(`updating stack ${request.name}${at}`, e);
      }
    },
    async deleteStack(name) {
      try {
        await client.send(new DeleteStackCommand({ StackName: name }));
      } catch (e) {
        throw new AwsOperationError(`deleting stack ${name}${at}`, e);
      }
    },
  };
}

export function stackInstancesPort(client: Client<CloudFormationClient>): StackInstancesPort {
  return {
    async stackInstanceStatus(stackSetName, accountId, region) {
      try {
        const out = await client.send(
          new DescribeStackInstanceCommand({
            StackSetName: stackSetName,
            StackInstanceAccount: accountId,
            StackInstanceRegion: region,
          }),
        );
        const instance = out.StackInstance;
        if (!instance) return undefined;
        const detailed = instance.StackInstanceStatus?.DetailedStatus;
        return {
          status: instance.Status ?? 'UNKNOWN',
          ...(instance.StatusReason || detailed ? { reason: instance.StatusReason ?? detailed } : {}),
        };
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        if (name === 'StackInstanceNotFoundException' || name === 'StackSetNotFoundException')
          return undefined;
        if (e instanceof Error && /not found|does not exist/i.test(e.message)) return undefined;
        throw new AwsOperationError(`describing stack instance ${stackSetName} ${accountId}/${region}`, e);
      }
    },
  };
}

export function ssmPort(client: Client<SSMClient>, where = ''): SsmPort {
  const at = where ? ` in ${where}` : '';
  return {
    async parametersByPath(path) {
      const out: { name: string; value: string }[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new GetParametersByPathCommand({
              Path: path,
              Recursive: true,
              WithDecryption: true,
              NextToken: token,
            }),
          );
          for (const p of page.Parameters ?? []) if (p.Name) out.push({ name: p.Name, value: p.Value ?? '' });
          token = page.NextToken;
        } while (token);
      } catch (e) {
        throw new AwsOperationError(`reading SSM parameters under ${path}${at}`, e);
      }
      return out;
    },
    async put(name, value) {
      try {
        await client.send(
          new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
        );
      } catch (e) {
        throw new AwsOperationError(`writing SSM parameter ${name}${at}`, e);
      }
    },
    async delete(names) {
      for (let i = 0; i < names.length; i += 10) {
        try {
          await client.send(new DeleteParametersCommand({ Names: names.slice(i, i + 10) }));
        } catch (e) {
          throw new AwsOperationError(`deleting SSM parameters ${names.slice(i, i + 10).join(', ')}${at}`, e);
        }
      }
    },
  };
}

/** The IAM account settings of the account `client` acts in (IAM is global: any region). */
export function iamSettingsPort(client: Client<IAMClient>, where = ''): IamSettingsPort {
  const at = where ? ` in ${where}` : '';
  return {
    async alias() {
      try {
        const page = await client.send(new ListAccountAliasesCommand({}));
        return page.AccountAliases?.[0];
      } catch (e) {
        throw new AwsOperationError(`reading the account alias${at}`, e);
      }
    },
    async setAlias(alias) {
      try {
        await client.send(new CreateAccountAliasCommand({ AccountAlias: alias }));
      } catch (e) {
        // Aliases are unique across AWS: another account may hold this one.
        throw new AwsOperationError(`setting the account alias '${alias}'${at}`, e);
      }
    },
    async passwordPolicy() {
      try {
        const { PasswordPolicy: p } = await client.send(new GetAccountPasswordPolicyCommand({}));
        if (!p) return undefined;
        const policy: Record<string, number | boolean> = {};
        for (const [k, v] of Object.entries(p)) {
          // ExpirePasswords is derived from MaxPasswordAge; it is not an update field.
          if (k !== 'ExpirePasswords' && (typeof v === 'number' || typeof v === 'boolean')) policy[k] = v;
        }
        return policy as PasswordPolicy;
      } catch (e) {
        if (awsErrorName(e) === 'NoSuchEntityException' || awsErrorName(e) === 'NoSuchEntity')
          return undefined;
        throw new AwsOperationError(`reading the password policy${at}`, e);
      }
    },
    async setPasswordPolicy(policy) {
      try {
        await client.send(new UpdateAccountPasswordPolicyCommand(policy));
      } catch (e) {
        throw new AwsOperationError(`updating the password policy${at}`, e);
      }
    },
  };
}
