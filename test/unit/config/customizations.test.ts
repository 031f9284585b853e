import { describe, expect, it } from 'vitest';
import {
  customizationInstances,
  dependencyOrder,
  TEMPLATE_SIZE_LIMIT,
} from '../../../src/config/customizations.js';
import type { SourceFile } from '../../../src/config/source.js';
import { errorsOf, lineOf, resolveOk, warningsOf, withAccounts } from './support.js';

const ACCOUNTS = withAccounts(`  foo:
    scope: dev
    service: payments
    region: us-east-1
    tags:
      tier: gold
  bar:
    scope: dev
    tags:
      tier: bronze
`);

const SSM_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Service:
    Type: String
  Prefix:
    Type: String
    Default: /platform
Resources:
  Parameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '\${Prefix}/service'
      Type: String
      Value: !Ref Service
`;

function stack(name: string, definition: string, template = SSM_TEMPLATE): SourceFile[] {
  return [
    { path: `stacks/${name}/stack.yml`, text: definition },
    { path: `stacks/${name}/template.yml`, text: template },
  ];
}

const SSM = `targets:
  scopes: [dev]
regions: all
parameters:
  Service: '{service}-{region}-{tag:tier}'
`;

describe('customizations (stacks/<name>/)', () => {
  it('resolves definitions and expands them per selected account and region, parameters interpolated', () => {
    const config = resolveOk(ACCOUNTS, stack('ssm', SSM));
    expect(config.customizations?.map((c) => [c.name, c.stack_name, c.regions])).toEqual([
      ['ssm', 'custom-ssm', 'all'],
    ]);
    const instances = customizationInstances(config.customizations ?? [], config.accounts);
    expect(instances.map((i) => `${i.account}/${i.region}=${i.parameters.Service}`)).toEqual([
      'bar/ap-southeast-2=bar-ap-southeast-2-bronze',
      'bar/us-east-1=bar-us-east-1-bronze',
      'foo/ap-southeast-2=payments-ap-southeast-2-gold',
      'foo/us-east-1=payments-us-east-1-gold',
    ]);
  });

  it('selects by OU (sub-OUs included), account key and tags, minus exclusions; default region is the account region', () => {
    const definition = `targets:
  organization_units: [Internal]
  tags: { tier: gold }
exclude:
  accounts: [mgmt, cicd, identity]
parameters:
  Service: x
`;
    const config = resolveOk(ACCOUNTS, stack('ssm', definition));
    const instances = customizationInstances(config.customizations ?? [], config.accounts);
    // Internal holds Internal/Dev (foo, bar) and Internal/Infra (the special accounts).
    expect(instances.map((i) => `${i.account}/${i.region}`)).toEqual([
      'audit/ap-southeast-2',
      'bar/ap-southeast-2',
      'dns/ap-southeast-2',
      'foo/us-east-1',
      'logs/ap-southeast-2',
    ]);
  });

  it('orders customizations by depends_on', () => {
    const config = resolveOk(ACCOUNTS, [
      ...stack('zeta', `targets: { accounts: [foo] }\nparameters: { Service: z }\n`),
      ...stack('alpha', `targets: { accounts: [foo] }\ndepends_on: [zeta]\nparameters: { Service: a }\n`),
    ]);
    expect(dependencyOrder(config.customizations ?? []).map((c) => c.name)).toEqual(['zeta', 'alpha']);
    expect(
      customizationInstances(config.customizations ?? [], config.accounts).map((i) => i.customization),
    ).toEqual(['zeta', 'alpha']);
  });

  it('reports unknown targets with positions and a did-you-mean', () => {
    const definition = `targets:
  scopes: [dve]
  accounts: [fooo]
  organization_units: [Internal/Nope]
parameters:
  Service: x
`;
    const errors = errorsOf(ACCOUNTS, stack('ssm', definition));
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line, e.message])).toEqual([
      [
        'DSL_CUSTOMIZATION_TARGET',
        'stacks/ssm/stack.yml',
        2,
        "targets.scopes: no scope 'dve'; did you mean 'dev'?",
      ],
      [
        'DSL_CUSTOMIZATION_TARGET',
        'stacks/ssm/stack.yml',
        3,
        "targets.accounts: no account 'fooo'; did you mean 'foo'?",
      ],
      [
        'DSL_CUSTOMIZATION_TARGET',
        'stacks/ssm/stack.yml',
        4,
        expect.stringContaining("no OU 'Internal/Nope'"),
      ],
    ]);
  });

  it('reports parameters the template does not declare, required ones missing, and bad placeholders', () => {
    const definition = `targets:
  scopes: [dev]
parameters:
  Servise: '{service}'
  Prefix: '{enviroment}'
`;
    const errors = errorsOf(ACCOUNTS, stack('ssm', definition));
    expect(errors.map((e) => [e.code, e.location?.line, e.location?.column])).toEqual([
      ['DSL_CUSTOMIZATION_PARAMETER_MISSING', lineOf(definition, 'parameters:'), 1],
      ['DSL_CUSTOMIZATION_PARAMETER', lineOf(definition, 'Servise'), 3],
      ['DSL_UNKNOWN_PLACEHOLDER', lineOf(definition, 'Prefix'), 11],
    ]);
    expect(errors[1]?.message).toContain("did you mean 'Service'?");
    expect(errors[2]?.message).toContain('did you mean {environment}?');
  });

  it('reports depends_on on unknown customizations and cycles', () => {
    const errors = errorsOf(ACCOUNTS, [
      ...stack('a', `targets: { accounts: [foo] }\ndepends_on: [b]\nparameters: { Service: a }\n`),
      ...stack('b', `targets: { accounts: [foo] }\ndepends_on: [a, missing]\nparameters: { Service: b }\n`),
    ]);
    expect(errors.map((e) => [e.code, e.location?.file, e.message])).toEqual([
      ['DSL_CUSTOMIZATION_CYCLE', 'stacks/a/stack.yml', 'depends_on forms a cycle: a -> b -> a'],
      ['DSL_CUSTOMIZATION_DEPENDENCY', 'stacks/b/stack.yml', "depends_on: no customization 'missing'"],
    ]);
  });

  it('rejects templates over CloudFormation size limit, without Resources or a resource, or not parseable', () => {
    const big = `${SSM_TEMPLATE}Metadata:\n  Padding: '${'x'.repeat(TEMPLATE_SIZE_LIMIT)}'\n`;
    const none = 'Parameters: {}\nResources: {}\n';
    const errors = errorsOf(ACCOUNTS, [
      ...stack('big', SSM, big),
      ...stack('empty', SSM, 'Parameters: {}\n'),
      ...stack('none', SSM, none),
      // A macro may add the resources: CloudFormation sees them, orgbridge leaves it to it.
      ...stack(
        'macro',
        SSM,
        'Transform: MyMacro\nParameters: { Service: { Type: String } }\nResources: {}\n',
      ),
      ...stack('broken', SSM, 'Resources:\n  - : [\n'),
    ]);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_TEMPLATE_TOO_LARGE', 'stacks/big/template.yml', 1],
      ['DSL_TEMPLATE_SYNTAX', 'stacks/broken/template.yml', 1],
      ['DSL_TEMPLATE_INVALID', 'stacks/empty/template.yml', 1],
      ['DSL_TEMPLATE_INVALID', 'stacks/none/template.yml', 2],
    ]);
  });

  it('refuses a key declared twice, at the second: the checks and CloudFormation would read different copies', () => {
    const twice = `${SSM_TEMPLATE}  Parameter:\n    Type: AWS::SSM::Parameter\n    Properties: { Type: String, Value: x }\n`;
    expect(twice.match(/^ {2}Parameter:/gm)).toHaveLength(2);
    const errors = errorsOf(ACCOUNTS, stack('twice', SSM, twice));
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line, e.message])).toEqual([
      [
        'DSL_DUPLICATE_KEY',
        'stacks/twice/template.yml',
        twice.split('\n').lastIndexOf('  Parameter:') + 1,
        "stacks/twice/template.yml: duplicate key 'Parameter'",
      ],
    ]);
  });

  it('reports an alias without its anchor, and alias bombs, at the alias, not as a crash', () => {
    const unresolved = `${SSM_TEMPLATE}Outputs:\n  Name:\n    Value: *nope\n`;
    const laughs = Array.from({ length: 6 }, (_, i) =>
      i === 0
        ? '  l0: &l0 [x, x, x, x, x, x, x, x, x]'
        : `  l${i}: &l${i} [${Array(9)
            .fill(`*l${i - 1}`)
            .join(', ')}]`,
    ).join('\n');
    const bomb = `${SSM_TEMPLATE}Metadata:\n${laughs}\n`;
    const errors = errorsOf(ACCOUNTS, [...stack('alias', SSM, unresolved), ...stack('bomb', SSM, bomb)]);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_TEMPLATE_SYNTAX', 'stacks/alias/template.yml', lineOf(unresolved, '*nope')],
      ['DSL_TEMPLATE_SYNTAX', 'stacks/bomb/template.yml', lineOf(bomb, '*l0')],
    ]);
    expect(errors[0]?.message).toContain('Unresolved alias');
    expect(errors[1]?.message).toContain('Excessive alias count');
  });

  it('puts the deployer boundary on roles and users, refuses another, and wants custom-* names', () => {
    const iam = `Resources:
  Bounded:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      PermissionsBoundary: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/orgbridge-customization-boundary'
  Admin:
    Type: AWS::IAM::User
    Properties:
      PermissionsBoundary: arn:aws:iam::aws:policy/AdministratorAccess
  Named:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument: {}
  Prefixed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: custom-app-policy
      PolicyDocument: {}
  Pathed:
    Type: AWS::IAM::Group
    Properties:
      Path: /team/
`;
    const errors = errorsOf(ACCOUNTS, stack('iam', `targets: { scopes: [dev] }\n`, iam));
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_TEMPLATE_IAM_BOUNDARY', 'stacks/iam/template.yml', lineOf(iam, 'AdministratorAccess')],
    ]);
    expect(errors[0]?.message).toBe(
      "AWS::IAM::User Admin has a PermissionsBoundary other than orgbridge's; the customization deployer may only create roles and users inside its own boundary",
    );
    // A fixed name deploys (cross-account roles often need one): a warning of what will be refused.
    const named = iam.replace(/ {2}Admin:\n(.*\n){3}/, '');
    const warnings = warningsOf(ACCOUNTS, stack('iam', `targets: { scopes: [dev] }\n`, named));
    expect(
      resolveOk(ACCOUNTS, stack('iam', `targets: { scopes: [dev] }\n`, named)).customizations,
    ).toHaveLength(1);
    expect(warnings.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_TEMPLATE_IAM_NAME', 'stacks/iam/template.yml', lineOf(named, 'app-role')],
      ['DSL_TEMPLATE_IAM_NAME', 'stacks/iam/template.yml', lineOf(named, '/team/')],
    ]);
    expect(warnings[0]?.message).toContain(
      "AWS::IAM::Role Named is named 'app-role': it deploys, but passing it",
    );
    expect(warnings[0]?.hint).toContain(
      'leave RoleName out (CloudFormation then names it after the stack, custom-<customization>-Named-...)',
    );
  });

  it('refuses a user put in a group, which the boundary denies, at the line', () => {
    const groups = `Resources:
  Team:
    Type: AWS::IAM::Group
  Ci:
    Type: AWS::IAM::User
    Properties:
      Groups: [!Ref Team]
  Join:
    Type: AWS::IAM::UserToGroupAddition
    Properties:
      GroupName: Administrators
      Users: [legacy-ci]
`;
    const errors = errorsOf(ACCOUNTS, stack('groups', `targets: { scopes: [dev] }\n`, groups));
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_TEMPLATE_IAM_GROUP_MEMBERSHIP', lineOf(groups, 'Groups:')],
      ['DSL_TEMPLATE_IAM_GROUP_MEMBERSHIP', lineOf(groups, 'Users:')],
    ]);
    expect(errors[0]?.message).toContain('denies iam:AddUserToGroup');
  });

  it('adds the boundary where a role or user names none, keeping YAML tags and comments, and JSON as JSON', () => {
    const boundary = `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/orgbridge-customization-boundary`;
    const yaml = `Resources:
  # the function's role
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
`;
    const json = JSON.stringify({ Resources: { U: { Type: 'AWS::IAM::User' } } }, null, 2);
    const config = resolveOk(ACCOUNTS, [
      ...stack('role', 'targets: { scopes: [dev] }\n', yaml),
      { path: 'stacks/user/stack.yml', text: 'targets: { scopes: [dev] }\n' },
      { path: 'stacks/user/template.json', text: json },
      ...stack('ssm', SSM),
    ]);
    const body = (name: string) => config.customizations?.find((c) => c.name === name)?.template_body ?? '';
    expect(body('role')).toBe(
      yaml.replace(
        '      AssumeRolePolicyDocument: {}\n',
        `      AssumeRolePolicyDocument: {}\n      PermissionsBoundary:\n        Fn::Sub: ${boundary}\n`,
      ),
    );
    expect(JSON.parse(body('user'))).toEqual({
      Resources: {
        U: { Type: 'AWS::IAM::User', Properties: { PermissionsBoundary: { 'Fn::Sub': boundary } } },
      },
    });
    // No IAM identity, no rewrite: the template deploys as written.
    expect(body('ssm')).toBe(SSM_TEMPLATE);
  });

  it('reports unknown keys, a missing template and invalid names', () => {
    const errors = errorsOf(ACCOUNTS, [
      ...stack('ssm', `targets: { scopes: [dev] }\nregoins: all\nparameters: { Service: a }\n`),
      { path: 'stacks/lonely/stack.yml', text: 'targets: { scopes: [dev] }\n' },
      ...stack('Bad_Name', SSM),
    ]);
    expect(errors.map((e) => [e.code, e.location?.file])).toEqual([
      ['DSL_CUSTOMIZATION_NAME', 'stacks/Bad_Name/stack.yml'],
      ['DSL_CUSTOMIZATION_FILES', 'stacks/lonely/stack.yml'],
      ['DSL_UNKNOWN_KEY', 'stacks/ssm/stack.yml'],
    ]);
    expect(errors[2]?.message).toContain("did you mean 'regions'?");
  });

  it('a config without stacks/ has no customizations', () => {
    expect(resolveOk(ACCOUNTS).customizations).toBeUndefined();
  });
});
