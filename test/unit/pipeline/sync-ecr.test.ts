import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../../src/aws/clients.js';
import { memoryIo } from '../../../src/cli/io.js';
import type { EcrRepository, ResolvedConfig } from '../../../src/config/model.js';
import { OrgbridgeError } from '../../../src/errors.js';
import { ecrDeployerRoleArn, syncEcr } from '../../../src/pipeline/sync-ecr.js';

/**
 * What sync-ecr asks CloudFormation for, seen at the client: the emulator neither checks nor
 * assumes a service role (test/integration/ecr.test.ts reads it back from DescribeStacks), so the
 * refusal AWS gives for a role that does not exist yet is played here.
 */

const CICD = '222222222222';
const repositories: EcrRepository[] = [{ name: 'ledger', lifecycle: [], pull: [] }];
const inputs = { repositories, accounts: [], accountIds: {}, organizationId: 'o-abcdefghij', orgPaths: {} };

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** A CloudFormation client of a cicd account without the ECR stack; `create` answers CreateStack. */
function cloudFormation(create: (input: Record<string, unknown>) => void) {
  const requests: { command: string; input: Record<string, unknown> }[] = [];
  let created = false;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      requests.push({ command: name, input: command.input });
      if (name === 'CreateStackCommand') {
        create(command.input);
        created = true;
        return {};
      }
      if (name === 'DescribeStacksCommand' && created) {
        return { Stacks: [{ StackStatus: 'CREATE_COMPLETE' }] };
      }
      if (name === 'GetTemplateCommand' || name === 'DescribeStacksCommand') {
        throw awsError('ValidationError', 'Stack with id orgbridge-ecr does not exist');
      }
      throw new Error(`unexpected call ${name}`);
    },
  };
  return { client: client as unknown as CloudFormationClient, requests };
}

const run = (client: Client<CloudFormationClient>) =>
  syncEcr({
    config: { ecr: repositories } as unknown as ResolvedConfig,
    organizations: {} as OrganizationsClient,
    cloudFormation: client,
    ecr: {} as ECRClient,
    serviceRoleArn: ecrDeployerRoleArn('us-east-1', CICD),
    execute: true,
    output: memoryIo(),
    local: false,
    inputs,
  });

describe('sync-ecr deploys with the ECR service role', () => {
  it('passes orgbridge-ecr-deployer of the cicd account as RoleARN', async () => {
    const { client, requests } = cloudFormation(() => undefined);
    expect((await run(client)).outcome).toBe('done');
    const create = requests.find((r) => r.command === 'CreateStackCommand');
    expect(create?.input).toMatchObject({
      StackName: 'orgbridge-ecr',
      RoleARN: `arn:aws:iam::${CICD}:role/orgbridge-ecr-deployer`,
    });
  });

  it('names the bootstrap when CloudFormation cannot assume the role', async () => {
    const { client } = cloudFormation(() => {
      throw awsError(
        'ValidationError',
        `Role arn:aws:iam::${CICD}:role/orgbridge-ecr-deployer is invalid or cannot be assumed`,
      );
    });
    const error = await run(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrgbridgeError);
    expect(error).toMatchObject({ code: 'ECR_SERVICE_ROLE_MISSING' });
    expect((error as OrgbridgeError).hint).toContain('--action bootstrap');
  });

  it('passes any other failure on as it is', async () => {
    const { client } = cloudFormation(() => {
      throw awsError('LimitExceededException', 'too many stacks');
    });
    await expect(run(client)).rejects.toMatchObject({ code: 'AWS_OPERATION_FAILED' });
  });
});
