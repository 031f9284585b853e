import { roleArn } from '../../partitions.js';
import { ROLE_NAMES } from '../../protocol/names.js';
import { handlerWaitMs } from '../../protocol/topology.js';
import { artifactReadPort } from '../policies/ports.js';
import type { HandlerRegistration } from '../types.js';
import { handleCustomization } from './deploy-customization.js';
import { customizationCloudFormationPort, customizationDriftPort } from './ports.js';

/**
 * DEPLOY_CUSTOMIZATION, any account: CloudFormation and the artifact bucket of the request's
 * region; the stack's service role is the account's customization deployer. `list` and
 * `observe` are reads, but a read answered twice is harmless and a deploy must not run twice, so
 * the request stays deduplicated by nonce like every change.
 */
export const deployCustomizationHandler: HandlerRegistration<'DEPLOY_CUSTOMIZATION'> = {
  async handle(detail, ctx) {
    const { nonce: _n, dryrun: _d, target_account: _t, reply_to: _r, ...request } = detail;
    const { region } = request;
    const where = `account ${ctx.account.id} ${region}`;
    return handleCustomization(
      {
        cfn: customizationCloudFormationPort(ctx.clients.cloudFormation(region), where),
        cfnIn: (other) =>
          customizationCloudFormationPort(
            ctx.clients.cloudFormation(other),
            `account ${ctx.account.id} ${other}`,
          ),
        templates: artifactReadPort(ctx.clients.s3(region)),
        // Drift detection reads every resource with the caller's credentials: the handler starts
        // it as the account's read-only drift role, never with its own (docs/customizations.md).
        driftIn: (other) =>
          customizationDriftPort(
            ctx.clients.forAccount(ctx.account.id, ROLE_NAMES.customizationDrift).cloudFormation(other),
            `account ${ctx.account.id} ${other} as ${ROLE_NAMES.customizationDrift}`,
          ),
      },
      request,
      {
        cicdAccountId: ctx.sender.id,
        roleArn: roleArn(region, ctx.account.id, ROLE_NAMES.customizationDeployer),
        maxWaitMs: handlerWaitMs('DEPLOY_CUSTOMIZATION', ctx.remainingTimeMs),
      },
    );
  },
};
