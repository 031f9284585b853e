import { CfnParameter, type Stack } from 'aws-cdk-lib';
import { CfnStackSet } from 'aws-cdk-lib/aws-cloudformation';
import type { SpecialAccountIds } from '../inputs.js';

export interface StackSetSpec {
  readonly id: string;
  readonly stackSetName: string;
  readonly description: string;
  /** https URL of the template in the home region's artifact bucket. */
  readonly templateUrl: string;
  /** Exclude the special accounts (they get bespoke stacks instead). */
  readonly excludeSpecialAccounts: boolean;
}

/**
 * The management account's stack sets (real AWS only; moto skips AWS::CloudFormation::StackSet).
 * Service-managed with automatic deployment: an account created in any OU under the targets gets
 * its bus and handlers without a pipeline step. Service-managed stack sets never deploy to the
 * management account itself: the bootstrap deploys its bus as a plain stack.
 */
export function addStackSets(
  stack: Stack,
  specs: readonly StackSetSpec[],
  special: SpecialAccountIds,
  region: string,
): void {
  const targets = new CfnParameter(stack, 'TargetOrganizationalUnitIds', {
    type: 'CommaDelimitedList',
    description: 'OUs (or the root r-xxxx) whose accounts get the orgbridge stack sets',
  });
  const specialIds = [...new Set(Object.values(special))].filter((id) => id !== special.management).sort();
  for (const spec of specs) {
    new CfnStackSet(stack, spec.id, {
      stackSetName: spec.stackSetName,
      description: spec.description,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      templateUrl: spec.templateUrl,
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 50,
        failureTolerancePercentage: 10,
      },
      stackInstancesGroup: [
        {
          regions: [region],
          deploymentTargets: {
            organizationalUnitIds: targets.valueAsList,
            ...(spec.excludeSpecialAccounts ? { accounts: specialIds, accountFilterType: 'DIFFERENCE' } : {}),
          },
        },
      ],
    });
  }
}
