import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';
import type { ArtifactAction } from '../bootstrap.js';

/**
 * The three actions over rendered templates and bundles (src/pipeline/bootstrap.ts), each acting
 * with the management account's credentials from the environment.
 */
function artifactAction(action: ArtifactAction, description: string): PipelineAction {
  return {
    description,
    async run(context) {
      const [{ AwsClients, awsContextFromEnv }, { runArtifactAction }] = await Promise.all([
        import('../../aws/index.js'),
        import('../bootstrap.js'),
      ]);
      const config = await loadConfig(context.configDir);
      const management = new AwsClients(awsContextFromEnv(context.env));
      try {
        return await runArtifactAction(action, {
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
}

/** `run --action bootstrap` */
export const bootstrapAction = artifactAction(
  'bootstrap',
  'deploy the artifact buckets, event buses, handlers and forward rules of every account',
);
/** `run --action upload-lambdas` */
export const uploadLambdasAction = artifactAction(
  'upload-lambdas',
  'bundle every handler (esbuild) and upload it to the artifact bucket of each region',
);
/** `run --action render-templates` */
export const renderTemplatesAction = artifactAction(
  'render-templates',
  "render the CloudFormation templates with the organization's account ids and upload them",
);
