import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../aws/clients.js';
import { type RequestClient, RequestFailedError } from '../../bus/requests.js';
import type { ResolvedConfig, SpecialAccountKind } from '../../config/model.js';
import { specialAccountIds } from '../../config/special-accounts.js';
import { AwsOperationError } from '../../errors.js';
import { handleCustomization } from '../../handlers/customizations/deploy-customization.js';
import {
  customizationCloudFormationPort,
  customizationDriftPort,
} from '../../handlers/customizations/ports.js';
import { artifactReadPort } from '../../handlers/policies/ports.js';
import { roleArn } from '../../partitions.js';
import {
  artifactBucketName,
  artifactObjectUrl,
  customizationObjectKey,
  ROLE_NAMES,
} from '../../protocol/names.js';
import { HANDLER_WAIT_SECONDS } from '../../protocol/topology.js';
import type { CustomizationGateway } from '../customizations.js';
import type { ManagementConnection } from './accounts-gateway.js';

/**
 * The two ways `run --action customizations` reaches the accounts, as for provisioning
 * (src/pipeline/gateways/provision-gateway.ts): over EventBridge from the cicd account, or
 * in-process with the management account's credentials and the role it assumes in each account.
 * Both upload the templates to the cicd artifact bucket themselves, content-addressed.
 */

async function upload(cicd: AwsClients, cicdId: string, name: string, body: string, region: string) {
  const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const key = customizationObjectKey(name, sha256);
  const bucket = artifactBucketName(cicdId, region);
  try {
    // The key is the content's hash: writing it again writes the same bytes.
    await cicd.s3(region).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } catch (e) {
    throw new AwsOperationError(`uploading the template of ${name} to s3://${bucket}`, e);
  }
  return artifactObjectUrl(cicdId, region, key);
}

export interface DirectCustomizationOptions {
  readonly management: AwsClients;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
  /** Waits of the stack operations (tests shorten them). */
  readonly deploy?: { maxWaitMs?: number; pollMs?: number; sleep?: (ms: number) => Promise<void> };
}

/** Each request's handler runs in-process with the target account's clients. */
export function directCustomizationGateway(options: DirectCustomizationOptions): CustomizationGateway {
  const { management, specialIds } = options;
  const inAccount = (id: string) => (id === specialIds.management ? management : management.forAccount(id));
  return {
    uploadTemplate: (name, body, region) =>
      upload(inAccount(specialIds.cicd), specialIds.cicd, name, body, region),
    request: (id, request) =>
      handleCustomization(
        {
          cfn: customizationCloudFormationPort(
            inAccount(id).cloudFormation(request.region),
            `account ${id} ${request.region}`,
          ),
          cfnIn: (region) =>
            customizationCloudFormationPort(inAccount(id).cloudFormation(region), `account ${id} ${region}`),
          templates: artifactReadPort(inAccount(id).s3(request.region)),
          // In-process the account's access role starts drift detection: it can read everything.
          driftIn: (region) =>
            customizationDriftPort(inAccount(id).cloudFormation(region), `account ${id} ${region}`),
        },
        request,
        {
          cicdAccountId: specialIds.cicd,
          roleArn: roleArn(request.region, id, ROLE_NAMES.customizationDeployer),
          maxWaitMs: options.deploy?.maxWaitMs ?? (HANDLER_WAIT_SECONDS.DEPLOY_CUSTOMIZATION ?? 0) * 1000,
          ...(options.deploy?.pollMs !== undefined ? { pollMs: options.deploy.pollMs } : {}),
          ...(options.deploy?.sleep ? { sleep: options.deploy.sleep } : {}),
        },
      ),
  };
}

export interface EventBridgeCustomizationOptions {
  readonly client: RequestClient;
  /** Clients acting in the cicd account (the uploads). */
  readonly cicd: AwsClients;
  readonly cicdAccountId: string;
  /** Wait for an answer (default 16 min: the handler waits up to 14 for its stack). */
  readonly timeoutMs?: number;
}

/** Every request is DEPLOY_CUSTOMIZATION over EventBridge; REQUEST_FAILED fails with the remote code. */
export function eventBridgeCustomizationGateway(
  options: EventBridgeCustomizationOptions,
): CustomizationGateway {
  const timeoutMs = options.timeoutMs ?? 16 * 60_000;
  return {
    uploadTemplate: (name, body, region) => upload(options.cicd, options.cicdAccountId, name, body, region),
    async request(id, request) {
      try {
        return await options.client.request('DEPLOY_CUSTOMIZATION', id, request, { timeoutMs });
      } catch (e) {
        throw e instanceof RequestFailedError ? e.asRemoteError() : e;
      }
    },
  };
}

/**
 * The gateway of a management connection (docs/plan.md, "Gateways"): direct with the management
 * account's credentials, over EventBridge with the cicd account's.
 */
export function customizationGatewayOver(
  connection: ManagementConnection,
  config: ResolvedConfig,
  accountIds: Readonly<Record<string, string>>,
): CustomizationGateway {
  const special = specialAccountIds(config, accountIds, 'the customizations');
  return connection.kind === 'direct'
    ? directCustomizationGateway({ management: connection.clients, specialIds: special })
    : eventBridgeCustomizationGateway({
        client: connection.client,
        cicd: connection.clients,
        cicdAccountId: special.cicd,
      });
}
