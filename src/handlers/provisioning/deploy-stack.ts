import { OrgbridgeError } from '../../errors.js';
import type { CloudFormationPort, StackRequest, StackSummary } from './ports.js';

export type DeployOutcome = 'created' | 'updated' | 'unchanged' | 'recreated';

export interface DeployOptions {
  /**
   * How long to wait for a stack operation (default 10 minutes). Handlers pass what their
   * invocation has left (handlerWaitMs): a Lambda cut off mid-wait would leave no answer.
   */
  readonly maxWaitMs?: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const FAILED_RESULT = /(_FAILED|ROLLBACK_COMPLETE)$/;

/**
 * Creates or updates a stack, idempotently: "No updates are to be performed" is success
 * (`unchanged`), a stack left in ROLLBACK_COMPLETE by a failed creation is deleted and created
 * again, and a stack still in progress (a retried request) is waited for first. Without change
 * sets, so no ChangeSetType to get wrong.
 */
export async function deployStack(
  cfn: CloudFormationPort,
  request: StackRequest,
  options: DeployOptions = {},
): Promise<DeployOutcome> {
  let existing = await cfn.describeStack(request.name);
  if (existing?.status.endsWith('_IN_PROGRESS')) existing = await waitForStack(cfn, request.name, options);
  if (!existing || existing.status === 'DELETE_COMPLETE') {
    await cfn.createStack(request);
    await settle(cfn, request.name, 'creating', options);
    return 'created';
  }
  if (existing.status === 'ROLLBACK_COMPLETE' || existing.status === 'ROLLBACK_FAILED') {
    await cfn.deleteStack(request.name);
    await waitForStack(cfn, request.name, options);
    await cfn.createStack(request);
    await settle(cfn, request.name, 'creating', options);
    return 'recreated';
  }
  const changed = await cfn.updateStack(request);
  if (!changed) return 'unchanged';
  await settle(cfn, request.name, 'updating', options);
  return 'updated';
}

async function settle(
  cfn: CloudFormationPort,
  name: string,
  doing: string,
  options: DeployOptions,
): Promise<void> {
  const final = await waitForStack(cfn, name, options);
  if (!final) {
    throw new OrgbridgeError('PROVISION_STACK_FAILED', `stack ${name} disappeared while ${doing} it`, {
      source: 'aws',
    });
  }
  if (FAILED_RESULT.test(final.status)) {
    throw new OrgbridgeError(
      'PROVISION_STACK_FAILED',
      `${doing} stack ${name} ended in ${final.status}${final.reason ? `: ${final.reason}` : ''}`,
      {
        source: 'aws',
        hint: `read the stack events of ${name}; the next run retries (a failed creation is re-created)`,
      },
    );
  }
}

export async function waitForStack(
  cfn: Pick<CloudFormationPort, 'describeStack'>,
  name: string,
  options: DeployOptions,
): Promise<StackSummary | undefined> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.maxWaitMs ?? 600_000);
  let poll = options.pollMs ?? 2_000;
  while (true) {
    const stack = await cfn.describeStack(name);
    if (!stack?.status.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) {
      throw new OrgbridgeError('PROVISION_STACK_TIMEOUT', `stack ${name} is still ${stack.status}`, {
        source: 'aws',
        hint: 'CloudFormation is still working on it: the request is delivered again and waits for it, as does the next run',
      });
    }
    await sleep(poll);
    poll = Math.min(poll * 1.5, 15_000);
  }
}
