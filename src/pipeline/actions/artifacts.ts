import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';
import type { ArtifactAction } from '../bootstrap.js';

/**
 * The three actions over rendered templates and bundles (src/pipeline/bootstrap.ts), each acting
 * with the management account's credentials from the environment.
 */
function artifactAction(action: ArtifactAction): PipelineAction {
  return {
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
export const bootstrapAction = artifactAction('bootstrap');
/** `run --action upload-lambdas` */
export const uploadLambdasAction = artifactAction('upload-lambdas');
/** `run --action render-templates` */
export const renderTemplatesAction = artifactAction('render-templates');
