import { join } from 'node:path';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { loadConfig } from '../../config/index.js';
import { AwsOperationError } from '../../errors.js';
import type { PipelineAction } from '../actions.js';
import { type CompletionStore, fileCompletionStore } from '../dag.js';
import { provision } from '../provision.js';
import { directProvisioningGateway } from '../provision-gateway.js';
import { PIPELINE_STATE_KEY, s3CompletionStore } from '../state-stores.js';

/**
 * `run --action pipeline [--execute]`: provisions every new or changed account (docs/provisioning.md).
 * Runs with the management account's credentials and reaches the other accounts through
 * OrganizationAccountAccessRole until the requests go over EventBridge.
 *
 * State: ORGBRIDGE_PIPELINE_STATE=file keeps it in `<config>/.orgbridge/pipeline-state.json`
 * (the default against an emulator, AWS_ENDPOINT_URL set; ORGBRIDGE_STATE_DIR moves the folder,
 * which `orgbridge local` does so a fresh emulator never meets an old run's state); otherwise it
 * is an object in the cicd account's artifact bucket.
 */
export const pipelineAction: PipelineAction = {
  description:
    'provision new and changed accounts: SSM parameters, access roles, identity mapping, VPC, logs',
  async run(context) {
    const config = await loadConfig(context.configDir);
    const { AwsClients, awsContextFromEnv } = await import('../../aws/index.js');
    const { organizationsPort } = await import('../../handlers/accounts/ports.js');
    const { observeOrganization } = await import('../../handlers/accounts/observe.js');
    const { resolveAccountIds, homeRegionOf } = await import('../../templates/inputs.js');
    const { artifactBucketName } = await import('../../templates/names.js');
    const { SPECIAL_ACCOUNT_KINDS } = await import('../../config/model.js');
    const management = new AwsClients(awsContextFromEnv(context.env));
    try {
      const observed = await observeOrganization(organizationsPort(management.organizations()));
      let organizationId: string;
      try {
        const org = await management.organizations().send(new DescribeOrganizationCommand({}));
        organizationId = org.Organization?.Id ?? '';
      } catch (e) {
        throw new AwsOperationError('reading the organization id (organizations:DescribeOrganization)', e);
      }
      const ids = resolveAccountIds(config, observed.accounts);
      const home = homeRegionOf(config);
      const special = Object.fromEntries(
        SPECIAL_ACCOUNT_KINDS.map((k) => [k, ids[config.organization.accounts[k]] ?? '']),
      ) as Record<(typeof SPECIAL_ACCOUNT_KINDS)[number], string>;
      const local =
        (context.env.ORGBRIDGE_PIPELINE_STATE ?? (context.env.AWS_ENDPOINT_URL ? 'file' : 's3')) === 'file';
      const store: CompletionStore = local
        ? fileCompletionStore(
            join(
              context.env.ORGBRIDGE_STATE_DIR ?? join(context.configDir, '.orgbridge'),
              'pipeline-state.json',
            ),
          )
        : s3CompletionStore(
            management.forAccount(special.cicd).s3(home),
            artifactBucketName(special.cicd, home),
            PIPELINE_STATE_KEY,
          );
      const result = await provision({
        config,
        observed,
        organizationId,
        gateway: directProvisioningGateway({
          management,
          config,
          accountIds: ids,
          specialIds: special,
          homeRegion: home,
        }),
        store,
        execute: context.execute,
        output: context.output,
      });
      return result.exitCode;
    } finally {
      management.destroy();
    }
  },
};
