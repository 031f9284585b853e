import { type DeployOptions, deployStack } from './deploy-stack.js';
import type { CloudFormationPort } from './ports.js';
import type { HandlerResult } from './put-ssm-parameters.js';
import { checkTemplateUrl, type TemplateOrigin } from './template-origin.js';

export interface UpdateStackRequest {
  readonly stack_name: string;
  readonly template_url: string;
  /** The account that caused the update, for the log. */
  readonly account_id?: string;
}

/**
 * UPDATE_ACCOUNT_BASELINE: without `region`, the baseline stack in the handler's (home) region;
 * with it, the stack orgbridge-backup-vaults in that other region (docs/events.md).
 */
export interface AccountBaselineRequest extends UpdateStackRequest {
  readonly region?: string;
  /** Without `region`: other regions where the vault `Default` must exist (see default-vault.ts). */
  readonly default_vault_regions?: readonly string[];
}

/**
 * UPDATE_IAM_MAPPING (identity account), UPDATE_LOG_BUCKETS (logs account) and the account
 * baseline: deploy the template the pipeline uploaded to the artifact bucket, and only from
 * there (`origin`). The handlers pass a CloudFormation service role: the logs account its updater
 * role, the only principal its bucket policy lets modify the bucket, the others the stack deployer.
 */
export async function updateStackFromUrl(
  cfn: CloudFormationPort,
  request: UpdateStackRequest,
  origin: TemplateOrigin & { readonly type: string },
  options: DeployOptions & {
    readonly roleArn?: string;
    /** Runs once the template's origin is known to be allowed, before the stack is deployed. */
    readonly prepare?: () => Promise<unknown>;
  } = {},
): Promise<HandlerResult> {
  checkTemplateUrl(origin.type, request.template_url, origin);
  await options.prepare?.();
  const outcome = await deployStack(
    cfn,
    {
      name: request.stack_name,
      template: { url: request.template_url },
      ...(options.roleArn ? { roleArn: options.roleArn } : {}),
      tags: { 'orgbridge:managed': 'true' },
    },
    options,
  );
  return {
    changed: outcome !== 'unchanged',
    summary: {
      stack: request.stack_name,
      outcome,
      ...(request.account_id ? { account: request.account_id } : {}),
    },
  };
}
