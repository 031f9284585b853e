import { describe, expect, it } from 'vitest';
import { scpGrammarProblems } from '../../../src/config/scp-grammar.js';
import { errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

const deny = (statement: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 's3:PutObject', Resource: '*', ...statement }],
});
const messages = (policy: Record<string, unknown>) => scpGrammarProblems(policy).map((p) => p.message);

/** What Organizations refuses as MalformedPolicyDocument, caught before it does. */
describe('SCP grammar', () => {
  it('accepts what "SCP syntax" documents: Allow and Deny, NotAction, NotResource, conditions, one statement as an object', () => {
    expect(
      messages({
        Version: '2012-10-17',
        Id: 'guardrails',
        Statement: [
          {
            Sid: 'Regions',
            Effect: 'Deny',
            NotAction: ['iam:*', 'sts:*'],
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } },
          },
          {
            Effect: 'Deny',
            Action: ['bedrock:Invoke*', 'ec2:?escribe*'],
            NotResource: 'arn:aws:bedrock:*::foundation-model/x',
          },
          { Effect: 'Allow', Action: '*', Resource: '*' },
        ],
      }),
    ).toEqual([]);
    expect(
      messages({
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
      }),
    ).toEqual([]);
  });

  it('refuses what AWS refuses, each once, with where it is', () => {
    expect(scpGrammarProblems(deny({ Effect: 'deny' }))).toEqual([
      expect.objectContaining({
        path: ['Statement', 0, 'Effect'],
        at: 'value',
        hint: 'write "Deny": the value is case-sensitive',
      }),
    ]);
    expect(messages(deny({ Principal: '*' }))).toEqual([
      expect.stringMatching(/^Principal is not supported in SCPs/),
    ]);
    expect(messages(deny({ NotPrincipal: { AWS: 'x' } }))).toEqual([
      expect.stringMatching(/^NotPrincipal is not supported/),
    ]);
    expect(messages(deny({ Conditon: {} }))).toEqual([
      "unknown element 'Conditon' in a statement; did you mean 'Condition'?",
    ]);
    expect(messages(deny({ NotAction: 'iam:*' }))).toEqual(['a statement has both Action and NotAction']);
    expect(messages(deny({ Resource: 5 }))).toEqual([
      'a statement: Resource must be an ARN pattern or "*", or a non-empty list of them, not 5',
    ]);
    expect(messages(deny({ Resource: [] }))).toEqual([
      'a statement: Resource must be an ARN pattern or "*", or a non-empty list of them, not []',
    ]);
    expect(messages(deny({ Sid: 5 }))).toEqual(["a statement's Sid must be text, not 5"]);
    const { Action: _a, ...noAction } = deny({}).Statement[0] as Record<string, unknown>;
    expect(messages({ Version: '2012-10-17', Statement: noAction })).toEqual([
      'a statement has neither Action nor NotAction',
    ]);
    const { Resource: _r, ...noResource } = deny({ Sid: 'S1' }).Statement[0] as Record<string, unknown>;
    expect(messages({ Version: '2012-10-17', Statement: [noResource] })).toEqual([
      "statement 'S1' has neither Resource nor NotResource",
    ]);
    expect(messages(deny({ Action: ['s3:GetObject', 's3 PutObject', 7] }))).toEqual([
      'a statement: "s3 PutObject" in Action is not an action',
      'a statement: 7 in Action is not an action',
    ]);
    expect(messages(deny({ Action: [] }))).toEqual(['a statement: Action is empty']);
    expect(messages(deny({ Condition: { StringEquals: 'x' } }))).toEqual([
      'a statement: Condition must map each operator to a map of condition keys',
    ]);
    expect(messages({ ...deny({}), Version: '2008-10-17' })).toEqual([
      `an SCP's Version must be "2012-10-17", not "2008-10-17"`,
    ]);
    expect(messages({ Version: '2012-10-17', Statement: ['x'], Statment: [] })).toEqual([
      "unknown element 'Statment' in the policy; did you mean 'Statement'?",
      'each statement must be a JSON object',
    ]);
  });

  it('refuses a Sid that is not letters and digits, a Sid used twice, and a misspelt condition operator', () => {
    expect(scpGrammarProblems(deny({ Sid: 'Deny leave-org' }))).toEqual([
      expect.objectContaining({
        path: ['Statement', 0, 'Sid'],
        message: 'Sid "Deny leave-org" holds characters other than ASCII letters and digits',
        hint: '"Sid": "Denyleaveorg" (letters and digits only)',
      }),
    ]);
    const twice = deny({ Sid: 'Same' });
    twice.Statement.push({ ...(twice.Statement[0] as Record<string, unknown>) } as never);
    expect(scpGrammarProblems(twice)).toEqual([
      expect.objectContaining({
        path: ['Statement', 1, 'Sid'],
        message: expect.stringContaining('used by an earlier statement'),
      }),
    ]);
    expect(messages(deny({ Condition: { StringEqual: { 'aws:PrincipalTag/team': 'x' } } }))).toEqual([
      "a statement: 'StringEqual' is not a condition operator; did you mean 'StringEquals'?",
    ]);
    expect(messages(deny({ Condition: { NullIfExists: { 'aws:PrincipalTag/team': 'true' } } }))).toHaveLength(
      1,
    );
    const operators = [
      'ForAnyValue:StringLikeIfExists',
      'ForAllValues:ArnNotLike',
      'DateGreaterThanEquals',
      'Null',
      'bool',
      'NotIpAddressIfExists',
      'BinaryEquals',
    ];
    for (const operator of operators)
      expect(messages(deny({ Condition: { [operator]: { 'aws:SourceIp': 'x' } } })), operator).toEqual([]);
  });

  it('validate reports it at the line of the offending element in the policy file', () => {
    const text = JSON.stringify(deny({ Effect: 'deny', Principal: '*' }), null, 2);
    const errors = errorsOf(withAccounts(''), [{ path: 'policies/scp/Internal/guard.json', text }]);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_POLICY_INVALID', 'policies/scp/Internal/guard.json', lineOf(text, '"Effect"')],
      ['DSL_POLICY_INVALID', 'policies/scp/Internal/guard.json', lineOf(text, '"Principal"')],
    ]);
    // The same document, well formed, is accepted.
    resolveOk(withAccounts(''), [
      { path: 'policies/scp/Internal/guard.json', text: JSON.stringify(deny({}), null, 2) },
    ]);
  });
});
