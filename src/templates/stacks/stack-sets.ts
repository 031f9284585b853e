import { CfnParameter, Fn, type Stack } from 'aws-cdk-lib';
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
  /** The id of a stack set (of the same list, earlier) whose instances this one's need first. */
  readonly dependsOn?: string;
}

/**
 * The management account's stack sets (real AWS only; moto skips AWS::CloudFormation::StackSet).
 * Service-managed with automatic deployment: an account created in any OU under the targets gets
 * its bus and handlers without a pipeline step. Service-managed stack sets never deploy to the
 * management account itself: the bootstrap deploys its bus as a plain stack.
 *
 * A stack set that needs another's resources (the member handlers put rules on the bus of the
 * event bus stack set) waits for it twice: its `AutoDeployment.DependsOn` names the other's ARN by
 * `Fn::GetAtt`, so CloudFormation creates it (and its first instances) only once the other is
 * done, and an account that joins later gets its bus before its handlers ("operations will be
 * sequenced to ensure all dependencies complete successfully before this StackSet's operation
 * begins",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudformation-stackset-autodeployment.html).
 *
 * The bootstrap deploys this stack before any stack that puts rules on those buses, relying on
 * the StackSet resource reporting CREATE_COMPLETE only once its first stack instances are
 * created: its create handler runs CreateStackSet, then the instances' operation to the end
 * (aws-cloudformation/aws-cloudformation-resource-providers-cloudformation,
 * aws-cloudformation-stackset CreateHandler: createStackInstances before the success event).
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
  const created = new Map<string, CfnStackSet>();
  for (const spec of specs) {
    const dependency = spec.dependsOn ? created.get(spec.dependsOn) : undefined;
    if (spec.dependsOn && !dependency)
      throw new Error(`stack set ${spec.id} depends on ${spec.dependsOn}, which is not listed before it`);
    const set = new CfnStackSet(stack, spec.id, {
      stackSetName: spec.stackSetName,
      description: spec.description,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: {
        enabled: true,
        retainStacksOnAccountRemoval: false,
        ...(dependency
          ? {
              dependsOn: [
                Fn.sub(
                  `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stackset/\${Id}`,
                  {
                    Id: dependency.attrStackSetId,
                  },
                ),
              ],
            }
          : {}),
      },
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
    created.set(spec.id, set);
  }
}
