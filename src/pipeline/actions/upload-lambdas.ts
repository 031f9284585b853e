import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';

/** `run --action upload-lambdas`: bundle every handler (esbuild) and upload it to the artifact bucket of each region. */
export const uploadLambdasAction: PipelineAction = {
  description: 'bundle every handler (esbuild) and upload it to the artifact bucket of each region',
  async run(context) {
    const [{ AwsClients, awsContextFromEnv }, { runArtifactAction }] = await Promise.all([
      import('../../aws/index.js'),
      import('../bootstrap.js'),
    ]);
    const config = await loadConfig(context.configDir);
    const management = new AwsClients(awsContextFromEnv(context.env));
    try {
      return await runArtifactAction('upload-lambdas', {
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
