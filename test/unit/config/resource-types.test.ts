import { describe, expect, it } from 'vitest';
import { cdkResourceTypes } from '../../../scripts/resource-types.js';
import { CLOUDFORMATION_RESOURCE_TYPES } from '../../../src/config/cloudformation-resource-types.js';
import { intendedResourceType } from '../../../src/config/resource-types.js';
import type { SourceFile } from '../../../src/config/source.js';
import { errorsOf, lineOf, warningsOf, withAccounts } from './support.js';

const ACCOUNTS = withAccounts('  foo:\n    scope: dev\n');

function withTemplate(resources: string, head = ''): SourceFile[] {
  return [
    { path: 'stacks/types/stack.yml', text: 'targets:\n  scopes: [dev]\n' },
    { path: 'stacks/types/template.yml', text: `${head}Resources:\n${resources}` },
  ];
}

describe('CloudFormation resource types of customization templates', () => {
  it('lists every type the installed aws-cdk-lib knows, sorted, once (npm run gen:resource-types)', () => {
    expect(CLOUDFORMATION_RESOURCE_TYPES).toEqual(expect.arrayContaining(cdkResourceTypes()));
    expect([...CLOUDFORMATION_RESOURCE_TYPES].sort()).toEqual(CLOUDFORMATION_RESOURCE_TYPES);
    expect(new Set(CLOUDFORMATION_RESOURCE_TYPES).size).toBe(CLOUDFORMATION_RESOURCE_TYPES.length);
  });

  it.each([
    ['a resource name two edits away', 'AWS::SSM::Parametr', 'AWS::SSM::Parameter'],
    ['case alone', 'AWS::S3::bucket', 'AWS::S3::Bucket'],
    ['a misspelt service', 'AWS::SMS::Parameter', 'AWS::SSM::Parameter'],
    ['a type nothing is close to', 'AWS::Quantum::Computer', undefined],
    ['a known service, a resource name far from its types', 'AWS::SSM::Everything', undefined],
  ])('%s: %s -> %s', (_what, type, meant) => {
    expect(intendedResourceType(type)).toBe(meant);
  });

  it('refuses a slip of a listed type at its Type line, with the type meant', () => {
    const files = withTemplate('  Bucket:\n    Type: AWS::S3::Buckets\n');
    const errors = errorsOf(ACCOUNTS, files);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line, e.location?.column])).toEqual([
      ['DSL_TEMPLATE_RESOURCE_TYPE', 'stacks/types/template.yml', 3, 11],
    ]);
    expect(errors[0]?.message).toContain("did you mean 'AWS::S3::Bucket'?");
  });

  it('warns of an AWS type it does not list (it may be newer than the list), and leaves others alone', () => {
    const files = withTemplate(
      [
        '  New:\n    Type: AWS::Quantum::Computer\n',
        '  Custom:\n    Type: Custom::Anything\n',
        '  ThirdParty:\n    Type: Acme::Widget::Thing\n',
        '  Module:\n    Type: Acme::Network::Vpc::MODULE\n',
        '  Known:\n    Type: AWS::SNS::Topic\n',
      ].join(''),
    );
    const warnings = warningsOf(ACCOUNTS, files);
    const template = files[1]?.text ?? '';
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([
      ['DSL_TEMPLATE_RESOURCE_TYPE_UNLISTED', lineOf(template, 'AWS::Quantum::Computer')],
    ]);
  });

  it('leaves a template with a Transform to CloudFormation', () => {
    const files = withTemplate(
      '  Fn:\n    Type: AWS::Serverless::Functon\n',
      'Transform: AWS::Serverless-2016-10-31\n',
    );
    expect(warningsOf(ACCOUNTS, files)).toEqual([]);
  });
});
