import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';

/** `run --action render-templates`: render the CloudFormation templates with the organization's account ids and upload them. */
export const renderTemplatesAction: PipelineAction = {
  description: "render the CloudFormation templates with the organization's account ids and upload them",
  async run(context) {
    const [{ AwsClients, awsContextFromEnv }, { runArtifactAction }] = await Promise.all([
      import('../../aws/index.js'),
      import('../bootstrap.js'),
    ]);
    const config = await loadConfig(context.configDir);
    const management = new AwsClients(awsContextFromEnv(context.env));
    try {
      return await runArtifactAction('render-templates', {
        config,
        management,
        execute: context.execute,
        output: context.output,
      });
    } finally {
      management.destroy();
    }
  },
};
