import type { StackInstancesPort } from './ports.js';

export type StackInstanceState = 'CURRENT' | 'OUTDATED' | 'INOPERABLE' | 'MISSING';

export interface StackInstanceStatusRequest {
  readonly stack_set_name: string;
  readonly account_id: string;
  readonly region: string;
}

export interface StackInstanceStatusReply extends StackInstanceStatusRequest {
  readonly status: StackInstanceState;
  readonly reason?: string;
}

/** STACK_INSTANCE_STATUS (management account): where a stack set instance stands in an account. */
export async function stackInstanceStatus(
  port: StackInstancesPort,
  request: StackInstanceStatusRequest,
): Promise<StackInstanceStatusReply> {
  const found = await port.stackInstanceStatus(request.stack_set_name, request.account_id, request.region);
  if (!found) return { ...request, status: 'MISSING' };
  const status: StackInstanceState =
    found.status === 'CURRENT' || found.status === 'OUTDATED' || found.status === 'INOPERABLE'
      ? found.status
      : 'OUTDATED';
  return { ...request, status, ...(found.reason ? { reason: found.reason.slice(0, 1024) } : {}) };
}
