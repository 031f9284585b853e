import type { Stack } from 'aws-cdk-lib';
import type { IdentityMapping, LogDeliveryGrant, MemberAccess } from '../plan/access.js';
import type { AccountBackup } from '../plan/backup.js';
import type { VpcRequest } from '../plan/provisioning.js';
import { RUNTIME_STACKS } from '../protocol/names.js';
import { addIdentityMapping, addMemberAccess } from './access.js';
import { addBackupVault, addBackupVaults } from './backup.js';
import { addLogsBucketWithDelivery } from './logs-bucket.js';
import { newApp, newStack, synthesizeStack } from './stacks/common.js';
import { addStandardVpc } from './vpc.js';

/**
 * The templates of new-account provisioning (docs/provisioning.md), each a pure function of plain
 * data: the account baseline (access roles, AutomationRole, backup vault and role), the identity
 * mapping, the logs bucket and the standard VPC. Only the pipeline renders them (with aws-cdk-lib)
 * and uploads them to the artifact buckets; the handlers deploy them by URL, under the stack names
 * of RUNTIME_STACKS (src/protocol/names.ts), and never import this module.
 */

export interface ProvisioningTemplate {
  readonly stackName: string;
  readonly template: Readonly<Record<string, unknown>>;
  /** Pretty JSON, as uploaded. */
  readonly body: string;
  readonly sha256: string;
}

/**
 * Synthesizes one stack. CDK synth costs tens of milliseconds, and most accounts share a
 * template (same access patterns, same VPC shape), so results are memoised by input.
 */
const cache = new Map<string, ProvisioningTemplate>();
const CACHE_LIMIT = 512;

function render(
  cacheKey: string,
  stackName: string,
  description: string,
  build: (stack: Stack) => void,
): ProvisioningTemplate {
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const app = newApp();
  const stack = newStack(app, 'Stack', { stackName, description });
  build(stack);
  const rendered = { stackName, ...synthesizeStack(app, stack) };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, rendered);
  return rendered;
}

export function renderAccountBaseline(
  access: MemberAccess,
  identityAccountId: string,
  /** true: `Default` and `orgbridge-backup` only; an AccountBackup adds its policies' names. */
  options: { readonly backup?: boolean | AccountBackup } = {},
): ProvisioningTemplate {
  const backup = options.backup ?? true;
  // The account key is only a label: accounts with the same roles share one template.
  const { accountKey: _key, ...shape } = access;
  return render(
    JSON.stringify(['baseline', shape, identityAccountId, backup]),
    RUNTIME_STACKS.accountBaseline,
    'orgbridge: access roles, AutomationRole, backup vault Default and backup role of this account',
    (stack) => {
      addMemberAccess(stack, access, identityAccountId);
      if (backup) addBackupVault(stack, access.partition, backup);
    },
  );
}

/**
 * The backup vaults of one account in a region other than the home one. The template names no
 * region: accounts needing the same vaults share it, uploaded once per region.
 */
export function renderBackupVaults(vaults: readonly string[]): ProvisioningTemplate {
  return render(
    JSON.stringify(['backup-vaults', vaults]),
    RUNTIME_STACKS.backupVaults,
    'orgbridge: the backup vaults the OU backup policies run or copy to in this region',
    (stack) => addBackupVaults(stack, vaults),
  );
}

export function renderIdentityMapping(
  mapping: IdentityMapping,
  identityAccountId: string,
): ProvisioningTemplate {
  return render(
    JSON.stringify(['identity', mapping, identityAccountId]),
    RUNTIME_STACKS.iamMapping,
    'orgbridge: one role per access group, allowed into the roles its patterns grant',
    (stack) => addIdentityMapping(stack, mapping, identityAccountId),
  );
}

export function renderLogBuckets(
  logsAccountId: string,
  region: string,
  organizationId: string,
  grant: LogDeliveryGrant,
): ProvisioningTemplate {
  return render(
    JSON.stringify(['logs', logsAccountId, region, organizationId, grant]),
    RUNTIME_STACKS.logBuckets,
    'orgbridge: the logs account bucket (updated only through update-s3-stacks-role)',
    (stack) => addLogsBucketWithDelivery(stack, logsAccountId, region, organizationId, grant),
  );
}

export function renderVpc(request: VpcRequest): ProvisioningTemplate {
  return render(
    JSON.stringify(['vpc', request]),
    RUNTIME_STACKS.vpc,
    `orgbridge: the standard VPC (${request.cidr}, ${request.nat_gateway_count} NAT gateway(s))`,
    (stack) => addStandardVpc(stack, request),
  );
}
