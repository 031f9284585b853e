import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';

/** `run --action bootstrap`: deploy the artifact buckets, event buses, handlers and forward rules of every account. */
export const bootstrapAction: PipelineAction = {
  description: 'deploy the artifact buckets, event buses, handlers and forward rules of every account',
  async run(context) {
    const [{ AwsClients, awsContextFromEnv }, { runArtifactAction }] = await Promise.all([
      import('../../aws/index.js'),
      import('../bootstrap.js'),
    ]);
    const config = await loadConfig(context.configDir);
    const management = new AwsClients(awsContextFromEnv(context.env));
    try {
      return await runArtifactAction('bootstrap', {
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
