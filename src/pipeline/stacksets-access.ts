import {
  ActivateOrganizationsAccessCommand,
  type CloudFormationClient,
  DescribeOrganizationsAccessCommand,
} from '@aws-sdk/client-cloudformation';
import type { Client } from '../aws/clients.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';

/**
 * Trusted access between CloudFormation StackSets and Organizations: a SERVICE_MANAGED stack set
 * cannot be created until it is on, and only the management account (or a delegated
 * administrator) can turn it on ("Activate trusted access for stack sets with AWS Organizations",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html;
 * API: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ActivateOrganizationsAccess.html).
 */
export type StackSetsAccess = 'ENABLED' | 'DISABLED' | 'DISABLED_PERMANENTLY';

export const TRUSTED_ACCESS_FIX =
  'with the management account: `aws cloudformation activate-organizations-access`, or the CloudFormation console, StackSets, "Activate trusted access"';

/** DescribeOrganizationsAccess, in the region the client acts in. */
export async function describeStackSetsAccess(cfn: Client<CloudFormationClient>): Promise<StackSetsAccess> {
  try {
    const out = await cfn.send(new DescribeOrganizationsAccessCommand({}));
    return (out.Status ?? 'DISABLED') as StackSetsAccess;
  } catch (e) {
    throw new AwsOperationError(
      'reading StackSets trusted access (cloudformation:DescribeOrganizationsAccess)',
      e,
    );
  }
}

/**
 * Makes sure trusted access is on before the bootstrap creates its service-managed stack sets:
 * says what it would do in a dry run, activates it with `execute`, and stops with
 * BOOTSTRAP_TRUSTED_ACCESS (naming the fix) when it cannot.
 */
export async function ensureStackSetsTrustedAccess(
  cfn: Client<CloudFormationClient>,
  execute: boolean,
  say: (text: string) => void,
): Promise<void> {
  const status = await describeStackSetsAccess(cfn);
  if (status === 'ENABLED') return;
  if (status === 'DISABLED_PERMANENTLY') {
    throw new OrgbridgeError(
      'BOOTSTRAP_TRUSTED_ACCESS',
      'StackSets trusted access with Organizations is permanently disabled for this organization',
      { source: 'aws', hint: 'AWS Support can re-enable it; the service-managed stack sets need it' },
    );
  }
  if (!execute) {
    say(
      'would activate StackSets trusted access with Organizations (cloudformation:ActivateOrganizationsAccess)',
    );
    return;
  }
  try {
    await cfn.send(new ActivateOrganizationsAccessCommand({}));
  } catch (e) {
    throw new OrgbridgeError(
      'BOOTSTRAP_TRUSTED_ACCESS',
      'StackSets trusted access with Organizations is off, and activating it failed: the stack sets cannot be created',
      { source: 'aws', hint: `activate it ${TRUSTED_ACCESS_FIX}, then run the bootstrap again`, cause: e },
    );
  }
  say('activated StackSets trusted access with Organizations');
}
