import type { PipelineAction } from '../actions.js';
import { ecrDeployerRoleArn, ecrTemplateInputs, syncEcr } from '../sync-ecr.js';

/** The ECR repositories of ecr.yml, deployed as one stack in the cicd account. */
export const syncEcrAction: PipelineAction = {
  async run(context) {
    const { loadConfig } = await import('../../config/index.js');
    const { AwsClients, awsContextFromEnv } = await import('../../aws/index.js');
    const { homeRegionOf } = await import('../../templates/inputs.js');
    const config = await loadConfig(context.configDir);
    const aws = awsContextFromEnv(context.env);
    const clients = new AwsClients(aws);
    try {
      // The pipeline runs with the management account's credentials (like sync-accounts) and
      // deploys into the cicd account through its access role.
      // The stack is in the home region, where the cicd handler stack and its service role are.
      const { requireSpecialAccounts } = await import('../../config/special-accounts.js');
      const cicdKey = requireSpecialAccounts(config, 'sync-ecr (the repositories live in the cicd account)', [
        'cicd',
      ]).cicd;
      const inputs = await ecrTemplateInputs(config, clients.organizations());
      const cicdId = inputs.accountIds[cicdKey];
      const caller = await clients.callerAccountId();
      const target = cicdId && cicdId !== caller ? clients.forAccount(cicdId) : clients;
      const home = homeRegionOf(config);
      const result = await syncEcr({
        config,
        organizations: clients.organizations(),
        cloudFormation: target.cloudFormation(home),
        ecr: target.ecr(home),
        serviceRoleArn: ecrDeployerRoleArn(home, cicdId ?? caller),
        execute: context.execute,
        output: context.output,
        local: aws.endpoint !== undefined,
        inputs,
      });
      return result.outcome;
    } finally {
      clients.destroy();
    }
  },
};
