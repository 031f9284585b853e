import { describe, expect, it } from 'vitest';
import type { PolicyLevel } from '../../../src/config/policy-inheritance.js';
import { evaluateScps, type ScpRequest, withFullAwsAccess } from '../../../src/config/scp-evaluation.js';

const scp = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const level = (target: string, ...policies: [string, string][]): PolicyLevel => ({
  target,
  policies: policies.map(([name, content]) => ({ name, content })),
});
const request = (action: string, context: ScpRequest['context'] = {}, resource = '*'): ScpRequest => ({
  action,
  resource,
  context,
});

const denyLeave = scp({
  Sid: 'DenyLeave',
  Effect: 'Deny',
  Action: 'organizations:LeaveOrganization',
  Resource: '*',
});
const regionDeny = scp({
  Sid: 'DenyOutsideRegions',
  Effect: 'Deny',
  NotAction: ['iam:*', 'sts:*', 'route53:*'],
  Resource: '*',
  Condition: {
    StringNotEquals: { 'aws:RequestedRegion': ['ap-southeast-2', 'us-east-1'] },
    ArnNotLike: { 'aws:PrincipalARN': ['arn:aws:iam::*:role/OrganizationAccountAccessRole'] },
  },
});

describe('evaluateScps', () => {
  const chain = withFullAwsAccess([
    level('Root'),
    level('Internal', ['deny-leave', denyLeave], ['region', regionDeny]),
    level('Internal/Dev'),
    level('account dev'),
  ]);

  it('explicit deny wins over FullAWSAccess, and names the statement', () => {
    const decision = evaluateScps(
      chain,
      request('organizations:LeaveOrganization', { 'aws:RequestedRegion': 'us-east-1' }),
    );
    expect(decision).toMatchObject({
      decision: 'deny',
      deniedBy: { target: 'Internal', policy: 'deny-leave', sid: 'DenyLeave' },
    });
  });

  it('matches actions case-insensitively and with wildcards, NotAction by exclusion', () => {
    const inRegion = { 'aws:RequestedRegion': 'us-east-1' };
    expect(evaluateScps(chain, request('EC2:RunInstances', inRegion)).decision).toBe('allow');
    expect(
      evaluateScps(chain, request('ec2:RunInstances', { 'aws:RequestedRegion': 'eu-west-1' })),
    ).toMatchObject({
      decision: 'deny',
      deniedBy: { sid: 'DenyOutsideRegions' },
    });
    // iam:* is excluded by NotAction, so the region does not matter.
    expect(
      evaluateScps(chain, request('iam:CreateRole', { 'aws:RequestedRegion': 'eu-west-1' })).decision,
    ).toBe('allow');
  });

  it('negated operators hold for absent keys (and the keys are reported)', () => {
    const decision = evaluateScps(chain, request('s3:GetObject'));
    expect(decision).toMatchObject({
      decision: 'deny',
      missingKeys: ['aws:PrincipalARN', 'aws:RequestedRegion'],
    });
  });

  it('a matching principal escapes the conditional deny (ArnNotLike)', () => {
    const decision = evaluateScps(
      chain,
      request('ec2:RunInstances', {
        'aws:RequestedRegion': 'eu-west-1',
        'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/OrganizationAccountAccessRole',
      }),
    );
    expect(decision.decision).toBe('allow');
  });

  it('needs an Allow at every level: replacing FullAWSAccess with an allow list denies the rest implicitly', () => {
    const allowList = scp({ Effect: 'Allow', Action: ['s3:*', 'ec2:Describe*'], Resource: '*' });
    const levels: PolicyLevel[] = [
      ...withFullAwsAccess([level('Root')]),
      level('Internal/Sandbox', ['allow-list', allowList]),
      ...withFullAwsAccess([level('account sandbox')]),
    ];
    expect(evaluateScps(levels, request('s3:PutObject')).decision).toBe('allow');
    expect(evaluateScps(levels, request('ec2:DescribeInstances')).decision).toBe('allow');
    expect(evaluateScps(levels, request('ec2:RunInstances'))).toMatchObject({
      decision: 'deny',
      deniedBy: undefined,
      reason: expect.stringContaining('no SCP on Internal/Sandbox allows ec2:RunInstances'),
    });
  });

  it('matches resources case-sensitively, with NotResource', () => {
    const protect = scp({
      Effect: 'Deny',
      Action: 's3:DeleteObject*',
      Resource: ['arn:aws:s3:::*-logs', 'arn:aws:s3:::*-logs/*'],
    });
    const others = scp({
      Effect: 'Deny',
      Action: 'kms:ScheduleKeyDeletion',
      NotResource: 'arn:aws:kms:*:*:key/temp-*',
    });
    const levels = withFullAwsAccess([level('Root', ['protect', protect], ['others', others])]);
    expect(
      evaluateScps(levels, request('s3:DeleteObject', {}, 'arn:aws:s3:::alb-logs/2026/x.gz')).decision,
    ).toBe('deny');
    expect(evaluateScps(levels, request('s3:DeleteObject', {}, 'arn:aws:s3:::alb-LOGS/x')).decision).toBe(
      'allow',
    );
    expect(evaluateScps(levels, request('s3:DeleteObjectVersion', {}, 'arn:aws:s3:::data/x')).decision).toBe(
      'allow',
    );
    expect(
      evaluateScps(levels, request('kms:ScheduleKeyDeletion', {}, 'arn:aws:kms:us-east-1:1:key/temp-1'))
        .decision,
    ).toBe('allow');
    expect(
      evaluateScps(levels, request('kms:ScheduleKeyDeletion', {}, 'arn:aws:kms:us-east-1:1:key/prod'))
        .decision,
    ).toBe('deny');
  });

  it('evaluates set operators, IfExists, Null, Bool and numbers', () => {
    const types = scp({
      Sid: 'Big',
      Effect: 'Deny',
      Action: 'ec2:RunInstances',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'ec2:InstanceType': ['*.metal', 'p5*'] } },
    });
    const tls = scp({
      Sid: 'Tls',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': false } },
    });
    const mfa = scp({
      Sid: 'Mfa',
      Effect: 'Deny',
      Action: 'iam:DeleteRole',
      Resource: '*',
      Condition: {
        NumericGreaterThanIfExists: { 'aws:MultiFactorAuthAge': '3600' },
        Null: { 'aws:TokenIssueTime': 'false' },
      },
    });
    const levels = withFullAwsAccess([level('Root', ['types', types], ['tls', tls], ['mfa', mfa])]);
    expect(
      evaluateScps(levels, request('ec2:RunInstances', { 'ec2:InstanceType': ['m5.large', 'c5.metal'] }))
        .decision,
    ).toBe('deny');
    expect(
      evaluateScps(levels, request('ec2:RunInstances', { 'ec2:InstanceType': 'm5.large' })).decision,
    ).toBe('allow');
    // ForAnyValue over an absent key is false: the deny does not apply.
    expect(evaluateScps(levels, request('ec2:RunInstances')).decision).toBe('allow');
    expect(evaluateScps(levels, request('s3:GetObject', { 'aws:SecureTransport': 'false' })).decision).toBe(
      'deny',
    );
    expect(evaluateScps(levels, request('s3:GetObject', { 'aws:SecureTransport': 'true' })).decision).toBe(
      'allow',
    );
    // Bool on an absent key is false.
    expect(evaluateScps(levels, request('s3:GetObject')).decision).toBe('allow');
    const token = { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' };
    expect(
      evaluateScps(levels, request('iam:DeleteRole', { ...token, 'aws:MultiFactorAuthAge': '7200' }))
        .decision,
    ).toBe('deny');
    expect(
      evaluateScps(levels, request('iam:DeleteRole', { ...token, 'aws:MultiFactorAuthAge': '60' })).decision,
    ).toBe('allow');
    expect(evaluateScps(levels, request('iam:DeleteRole', token)).decision).toBe('deny');
    expect(evaluateScps(levels, request('iam:DeleteRole')).decision).toBe('allow');
  });

  it('answers unsupported instead of guessing, unless an explicit deny decides anyway', () => {
    const dated = scp({
      Sid: 'AfterDate',
      Effect: 'Deny',
      Action: 'ec2:*',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
    });
    const vars = scp({
      Effect: 'Deny',
      Action: 's3:*',
      Resource: '*',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
      Condition: { StringNotEquals: { 's3:prefix': '${aws:username}/' } },
    });
    const levels = withFullAwsAccess([level('Root', ['dated', dated], ['vars', vars], ['leave', denyLeave])]);
    expect(evaluateScps(levels, request('ec2:RunInstances'))).toMatchObject({
      decision: 'unsupported',
      unsupported: ['Root/dated#AfterDate: condition operator DateGreaterThan'],
    });
    expect(evaluateScps(levels, request('s3:GetObject'))).toMatchObject({
      decision: 'unsupported',
      unsupported: [expect.stringContaining('policy variable')],
    });
    expect(evaluateScps(levels, request('organizations:LeaveOrganization')).decision).toBe('deny');
    expect(evaluateScps(levels, request('sqs:SendMessage')).decision).toBe('allow');
  });

  it('refuses a multi-valued key without a set operator', () => {
    const levels = withFullAwsAccess([
      level('Root', [
        'p',
        scp({
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:TagKeys': 'x' } },
        }),
      ]),
    ]);
    expect(evaluateScps(levels, request('s3:GetObject', { 'aws:TagKeys': ['x', 'y'] })).decision).toBe(
      'unsupported',
    );
  });
});
