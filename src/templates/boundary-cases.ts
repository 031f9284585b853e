import { CUSTOMIZATION_BOUNDARY_POLICY } from '../config/customization-iam.js';
import { evaluateScps, FULL_AWS_ACCESS_CONTENT } from '../config/scp-evaluation.js';
import { MONITORING_LINK_TAG } from '../protocol/names.js';
import { resolve } from './references.js';

/**
 * What the customization deployer's permissions boundary must stop, and what it must still let
 * a customization do: each case one request of the deployer (AdministratorAccess inside the
 * boundary), or of anything it creates, with the context IAM gives it. Guardrail OB-SEC-10 runs
 * them on the rendered boundary of every template, so an edit of
 * CUSTOMIZATION_BOUNDARY_STATEMENTS that reopens an escape fails synth; IAM itself is not
 * emulated (docs/customizations.md, "The role that deploys").
 */
export interface BoundaryCase {
  readonly what: string;
  readonly expect: 'deny' | 'allow';
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

const ACCOUNT = '111122223333';
const iam = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;
const inRegion = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT}:${resource}`;
/** `iam:PermissionsBoundary` as IAM sets it: the boundary a request sets, or the target's. */
const bounded = { 'iam:PermissionsBoundary': iam(`policy/${CUSTOMIZATION_BOUNDARY_POLICY}`) };
/** A role a customization stack creates: CloudFormation names it after the stack. */
const OWN_ROLE = iam('role/custom-app-FunctionRole-1A2B3C');
/** A user and a group a customization stack creates. */
const OWN_USER = iam('user/custom-app-DeployUser-1A2B3C');
const OWN_GROUP = iam('group/custom-app-Deployers-1A2B3C');
/** A user the account had before: no boundary, policies of its own (a legacy CI user). */
const LEGACY_USER = iam('user/ci-deploy');
/** A group the account had before whose policy denies its members most actions without MFA. */
const MFA_GROUP = iam('group/RequireMFA');

export const BOUNDARY_CASES: readonly BoundaryCase[] = [
  {
    what: 'create a role without the boundary',
    expect: 'deny',
    action: 'iam:CreateRole',
    resource: OWN_ROLE,
  },
  {
    what: 'create a role under a boundary of its own',
    expect: 'deny',
    action: 'iam:CreateRole',
    resource: OWN_ROLE,
    context: { 'iam:PermissionsBoundary': iam('policy/custom-app-Open-1A2B3C') },
  },
  {
    what: 'create a user without the boundary',
    expect: 'deny',
    action: 'iam:CreateUser',
    resource: iam('user/custom-app-U-1'),
  },
  {
    what: 'swap the boundary of its own role',
    expect: 'deny',
    action: 'iam:PutRolePermissionsBoundary',
    resource: OWN_ROLE,
    context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' },
  },
  {
    what: 'take the boundary off its own role',
    expect: 'deny',
    action: 'iam:DeleteRolePermissionsBoundary',
    resource: OWN_ROLE,
    context: bounded,
  },
  {
    what: 'attach a policy to a role that exists without the boundary',
    expect: 'deny',
    action: 'iam:AttachRolePolicy',
    resource: iam('role/OrganizationAccountAccessRole'),
  },
  {
    what: 'write a policy into an access role',
    expect: 'deny',
    action: 'iam:PutRolePolicy',
    resource: iam('role/DeveloperRole'),
  },
  {
    what: 'make an unbounded role trust something of its own',
    expect: 'deny',
    action: 'iam:UpdateAssumeRolePolicy',
    resource: iam('role/OrganizationAccountAccessRole'),
  },
  {
    what: 'pass an unbounded role to a function',
    expect: 'deny',
    action: 'iam:PassRole',
    resource: iam('role/DeveloperRole'),
  },
  {
    what: 'create access keys for a user it did not create',
    expect: 'deny',
    action: 'iam:CreateAccessKey',
    resource: iam('user/orgbridge/automation'),
  },
  {
    what: 'rewrite a managed policy other principals hold',
    expect: 'deny',
    action: 'iam:CreatePolicyVersion',
    resource: iam('policy/DeveloperPolicy'),
  },
  {
    what: 'attach a policy to a group of users it did not create',
    expect: 'deny',
    action: 'iam:AttachGroupPolicy',
    resource: iam('group/orgbridge/developers'),
  },
  // A group has no boundary and AddUserToGroup names the group only: the user added may be one
  // without the boundary, and the group, even the stack's own, may hold AdministratorAccess.
  {
    what: 'add a user to an admin group it did not create',
    expect: 'deny',
    action: 'iam:AddUserToGroup',
    resource: iam('group/Administrators'),
  },
  {
    what: 'add a user to a group of its own (the user may be one without the boundary)',
    expect: 'deny',
    action: 'iam:AddUserToGroup',
    resource: OWN_GROUP,
  },
  {
    what: 'take a user out of a group whose Deny holds it',
    expect: 'deny',
    action: 'iam:RemoveUserFromGroup',
    resource: MFA_GROUP,
  },
  {
    what: 'detach the policy of a group it did not create',
    expect: 'deny',
    action: 'iam:DetachGroupPolicy',
    resource: MFA_GROUP,
  },
  {
    what: 'delete the inline policy of a group it did not create',
    expect: 'deny',
    action: 'iam:DeleteGroupPolicy',
    resource: MFA_GROUP,
  },
  {
    what: 'rename a group it did not create to custom-*, then give it policies',
    expect: 'deny',
    action: 'iam:UpdateGroup',
    resource: iam('group/Developers'),
  },
  {
    what: 'rename a user it did not create to custom-*, then give it access keys',
    expect: 'deny',
    action: 'iam:UpdateUser',
    resource: LEGACY_USER,
  },
  {
    what: 'make a revoked service-specific credential of a user it did not create active again',
    expect: 'deny',
    action: 'iam:UpdateServiceSpecificCredential',
    resource: LEGACY_USER,
  },
  {
    what: 'make a revoked SSH key of a user it did not create active again',
    expect: 'deny',
    action: 'iam:UpdateSSHPublicKey',
    resource: LEGACY_USER,
  },
  {
    what: 'make a revoked signing certificate of a user it did not create active again',
    expect: 'deny',
    action: 'iam:UpdateSigningCertificate',
    resource: LEGACY_USER,
  },
  {
    what: 'enable an MFA device of its own for a user it did not create',
    expect: 'deny',
    action: 'iam:EnableMFADevice',
    resource: LEGACY_USER,
  },
  {
    what: 'deactivate the MFA device of a user it did not create',
    expect: 'deny',
    action: 'iam:DeactivateMFADevice',
    resource: LEGACY_USER,
  },
  {
    what: 'rewrite its own boundary',
    expect: 'deny',
    action: 'iam:CreatePolicyVersion',
    resource: iam(`policy/${CUSTOMIZATION_BOUNDARY_POLICY}`),
  },
  {
    what: "widen orgbridge's handler role",
    expect: 'deny',
    action: 'iam:PutRolePolicy',
    resource: iam('role/orgbridge-handler-member'),
    context: bounded,
  },
  {
    what: "send a request into a handler's queue",
    expect: 'deny',
    action: 'sqs:SendMessage',
    resource: inRegion('sqs', 'orgbridge-member-handler'),
  },
  {
    what: "delete orgbridge's alarms",
    expect: 'deny',
    action: 'cloudwatch:DeleteAlarms',
    resource: inRegion('cloudwatch', 'alarm:orgbridge-member-handler-errors'),
  },
  {
    what: "schedule the deletion of orgbridge's key",
    expect: 'deny',
    action: 'kms:ScheduleKeyDeletion',
    resource: inRegion('kms', 'key/0f1e2d3c-0000-4000-8000-000000000000'),
    context: { 'kms:ResourceAliases': ['alias/orgbridge-alarms'] },
  },
  {
    what: "assume orgbridge's group role in the identity account (it trusts the account)",
    expect: 'deny',
    action: 'sts:AssumeRole',
    resource: iam('role/orgbridge-group-admins'),
  },
  {
    what: 'assume a role in another account',
    expect: 'deny',
    action: 'sts:AssumeRole',
    resource: 'arn:aws:iam::999988887777:role/AdminRole',
  },
  { what: 'assume its own role', expect: 'allow', action: 'sts:AssumeRole', resource: OWN_ROLE },
  {
    what: 'create a role with the boundary',
    expect: 'allow',
    action: 'iam:CreateRole',
    resource: OWN_ROLE,
    context: bounded,
  },
  {
    what: 'attach a policy to its own role',
    expect: 'allow',
    action: 'iam:AttachRolePolicy',
    resource: OWN_ROLE,
    context: bounded,
  },
  { what: 'pass its own role to a function', expect: 'allow', action: 'iam:PassRole', resource: OWN_ROLE },
  {
    what: "change its own role's trust",
    expect: 'allow',
    action: 'iam:UpdateAssumeRolePolicy',
    resource: OWN_ROLE,
  },
  { what: 'delete its own role', expect: 'allow', action: 'iam:DeleteRole', resource: OWN_ROLE },
  {
    what: 'create a user with the boundary',
    expect: 'allow',
    action: 'iam:CreateUser',
    resource: OWN_USER,
    context: bounded,
  },
  // Its users get their policies directly, not through a group.
  {
    what: 'attach a policy to its own user',
    expect: 'allow',
    action: 'iam:AttachUserPolicy',
    resource: OWN_USER,
    context: bounded,
  },
  {
    what: 'give its own user a password',
    expect: 'allow',
    action: 'iam:CreateLoginProfile',
    resource: OWN_USER,
  },
  {
    what: 'enable an MFA device for its own user',
    expect: 'allow',
    action: 'iam:EnableMFADevice',
    resource: OWN_USER,
  },
  { what: 'create a group', expect: 'allow', action: 'iam:CreateGroup', resource: OWN_GROUP },
  {
    what: 'attach a policy to its own group',
    expect: 'allow',
    action: 'iam:AttachGroupPolicy',
    resource: OWN_GROUP,
  },
  {
    what: 'rename its own group (to another custom-* name)',
    expect: 'allow',
    action: 'iam:UpdateGroup',
    resource: OWN_GROUP,
  },
  // Deleting a stack that added a user to its group before takes the user out.
  {
    what: 'take a user out of its own group',
    expect: 'allow',
    action: 'iam:RemoveUserFromGroup',
    resource: OWN_GROUP,
  },
  {
    what: 'pass a service-linked role to its service',
    expect: 'allow',
    action: 'iam:PassRole',
    resource: iam('role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig'),
  },
  {
    what: "delete orgbridge's link to the monitoring sink (known by its tag)",
    expect: 'deny',
    action: 'oam:DeleteLink',
    resource: inRegion('oam', 'link/0a1b2c3d-0000-4000-8000-000000000000'),
    context: { [`aws:ResourceTag/${MONITORING_LINK_TAG.key}`]: MONITORING_LINK_TAG.value },
  },
  {
    what: 'take the tag off that link',
    expect: 'deny',
    action: 'oam:UntagResource',
    resource: inRegion('oam', 'link/0a1b2c3d-0000-4000-8000-000000000000'),
    context: {
      [`aws:ResourceTag/${MONITORING_LINK_TAG.key}`]: MONITORING_LINK_TAG.value,
      'aws:TagKeys': [MONITORING_LINK_TAG.key],
    },
  },
  {
    what: 'delete a link of its own',
    expect: 'allow',
    action: 'oam:DeleteLink',
    resource: inRegion('oam', 'link/9f8e7d6c-0000-4000-8000-000000000000'),
  },
  {
    what: 'create an account behind the plan (deployed to the management account)',
    expect: 'deny',
    action: 'organizations:CreateAccount',
    resource: '*',
  },
  {
    what: "take an account's orgbridge:protect marker off",
    expect: 'deny',
    action: 'organizations:UntagResource',
    resource: 'arn:aws:organizations::111122223333:account/o-abcdefghij/444455556666',
  },
  {
    what: 'detach an SCP',
    expect: 'deny',
    action: 'organizations:DetachPolicy',
    resource: 'arn:aws:organizations::111122223333:policy/o-abcdefghij/service_control_policy/p-abcdefgh',
  },
  {
    what: 'move an account to another OU',
    expect: 'deny',
    action: 'organizations:MoveAccount',
    resource: 'arn:aws:organizations::111122223333:account/o-abcdefghij/444455556666',
  },
  {
    what: 'register a delegated administrator (a landing-zone stack in the management account)',
    expect: 'allow',
    action: 'organizations:RegisterDelegatedAdministrator',
    resource: 'arn:aws:organizations::111122223333:account/o-abcdefghij/444455556666',
  },
  {
    what: "enable an AWS service's access to the organization",
    expect: 'allow',
    action: 'organizations:EnableAWSServiceAccess',
    resource: '*',
  },
  { what: 'create a bucket', expect: 'allow', action: 's3:CreateBucket', resource: 'arn:aws:s3:::acme-data' },
  {
    what: 'write a parameter outside /orgbridge/',
    expect: 'allow',
    action: 'ssm:PutParameter',
    resource: inRegion('ssm', 'parameter/acme/service'),
  },
  {
    what: 'schedule the deletion of a key of its own',
    expect: 'allow',
    action: 'kms:ScheduleKeyDeletion',
    resource: inRegion('kms', 'key/1a2b3c4d-0000-4000-8000-000000000000'),
    context: { 'kms:ResourceAliases': ['alias/acme-data'] },
  },
];

const PLACED = { accountId: ACCOUNT, region: 'eu-west-1' };

/** The document as CloudFormation renders it in ACCOUNT: every `Fn::Sub` (and `Ref`) resolved. */
function inAccount(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inAccount);
  if (typeof value !== 'object' || value === null) return value;
  if ('Fn::Sub' in value || 'Ref' in value) return resolve(value, PLACED) ?? value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inAccount(v)]));
}

/**
 * The cases a boundary policy document (as rendered, with `Fn::Sub`) decides otherwise than
 * expected, each with the decision it got and why.
 */
export function boundaryMisses(policyDocument: unknown): string[] {
  const levels = [
    {
      target: CUSTOMIZATION_BOUNDARY_POLICY,
      policies: [{ name: CUSTOMIZATION_BOUNDARY_POLICY, content: JSON.stringify(inAccount(policyDocument)) }],
    },
    {
      target: 'AdministratorAccess',
      policies: [{ name: 'AdministratorAccess', content: FULL_AWS_ACCESS_CONTENT }],
    },
  ];
  return BOUNDARY_CASES.flatMap((c) => {
    const result = evaluateScps(levels, { action: c.action, resource: c.resource, context: c.context ?? {} });
    return result.decision === c.expect
      ? []
      : [
          `must ${c.expect} "${c.what}" (${c.action} on ${c.resource}), got ${result.decision}: ${result.reason}`,
        ];
  });
}
