import type { Stack } from 'aws-cdk-lib';
import { CfnGroup, CfnRole, CfnUser } from 'aws-cdk-lib/aws-iam';
import {
  AUTOMATION_ROLE_NAME,
  automationTrustPolicy,
  groupRolePolicy,
  IAM_PATH,
  type IdentityMapping,
  type MemberAccess,
  memberRoleTrustPolicy,
} from '../plan/access.js';
import { logicalId } from './stacks/common.js';

/**
 * The access roles of one account (src/plan/access.ts computes them): one role per access role
 * name, trusting only the identity account's group roles granted it here, and AutomationRole
 * trusting only the cicd account or the configured OIDC provider.
 */
export function addMemberAccess(stack: Stack, access: MemberAccess, identityAccountId: string): void {
  for (const role of access.roles) {
    new CfnRole(stack, `AccessRole${logicalId(role.name)}`, {
      roleName: role.name,
      description: `orgbridge: ${role.name} for group(s) ${role.groups.join(', ')} of the identity account`,
      assumeRolePolicyDocument: memberRoleTrustPolicy(role, identityAccountId, access.partition),
      managedPolicyArns: [...role.managedPolicyArns],
      // No longer session than IAM's default hour: these roles are reached from a group role of
      // the identity account, which is role chaining, and "role chaining limits your session to
      // a maximum of one hour" whatever the role allows
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining).
      tags: [{ key: 'orgbridge:groups', value: role.groups.join(' ') }],
    });
  }
  new CfnRole(stack, 'AutomationRole', {
    roleName: AUTOMATION_ROLE_NAME,
    description: 'orgbridge: deployments by automation (cicd account or OIDC), never by people',
    assumeRolePolicyDocument: automationTrustPolicy(access),
    managedPolicyArns: [...access.automation.managedPolicyArns],
  });
}

/**
 * The identity account's mapping (the EventBridge design: "the stack in 'identity' account to allow
 * access to this new account via assume role"): one role per group. People reach a group role
 * through SSO (a SAML provider, when configured) or as principals of the identity account; with
 * `iam_users`, the Pulumi approach's developers group and automation user are added too.
 */
export function addIdentityMapping(stack: Stack, mapping: IdentityMapping, identityAccountId: string): void {
  const saml = mapping.settings?.saml_provider_arn;
  const trust = saml
    ? {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: saml },
            Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
            Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
          },
        ],
      }
    : {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:${mapping.partition}:iam::${identityAccountId}:root` },
            Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          },
        ],
      };
  for (const group of mapping.groups) {
    new CfnRole(stack, `GroupRole${logicalId(group.group)}`, {
      roleName: group.roleName,
      description: `orgbridge: group '${group.group}', assumes ${[...new Set(group.grants.flatMap((g) => g.roles))].join(', ')}`,
      assumeRolePolicyDocument: trust,
      maxSessionDuration: 3600 * 4,
      policies: [
        { policyName: 'assume-granted-roles', policyDocument: groupRolePolicy(group, mapping.partition) },
      ],
    });
  }
  const users = mapping.settings?.iam_users;
  if (users) {
    const granted = mapping.groups.find((g) => g.group === users.developers_access_group);
    new CfnGroup(stack, 'DevelopersGroup', {
      groupName: users.developers_group_name ?? 'developers',
      // Under orgbridge's path: the stack deployer may manage no other group or user.
      path: IAM_PATH,
      policies: [
        {
          policyName: 'assume-group-role',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: `arn:${mapping.partition}:iam::${identityAccountId}:role/${granted?.roleName ?? `orgbridge-group-${users.developers_access_group}`}`,
              },
            ],
          },
        },
      ],
    });
    new CfnUser(stack, 'AutomationUser', {
      userName: users.automation_user_name ?? 'cicd-automation',
      path: IAM_PATH,
      policies: [
        {
          policyName: 'assume-automation-role',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: `arn:${mapping.partition}:iam::*:role/${AUTOMATION_ROLE_NAME}`,
              },
            ],
          },
        },
      ],
    });
  }
}
