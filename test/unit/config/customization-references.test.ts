import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../../../src/config/source.js';
import { errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

const ACCOUNTS = withAccounts('  foo:\n    scope: dev\n');
const DEFINITION = 'targets:\n  scopes: [dev]\nparameters:\n  Env: prod\n';

function files(template: string): SourceFile[] {
  return [
    { path: 'stacks/refs/stack.yml', text: DEFINITION },
    { path: 'stacks/refs/template.yml', text: template },
  ];
}

/** Every form of reference CloudFormation resolves, each naming something the template has. */
const VALID = `AWSTemplateFormatVersion: '2010-09-09'
Metadata:
  Notes: { Ref: NotCheckedHere }
Parameters:
  Env: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsProdInRegion: !And [!Condition IsProd, !Equals [!Ref 'AWS::Region', us-east-1]]
  LongForm: { 'Fn::And': [{ Condition: IsProd }, { Condition: IsProdInRegion }] }
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: [Topic]
    Properties:
      QueueName: !Sub '\${AWS::StackName}-\${Env}-\${!NotAVariable}'
  Policy:
    Type: AWS::SQS::QueuePolicy
    DependsOn: Queue
    Properties:
      Queues: [{ Ref: Queue }]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: sns.amazonaws.com }
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
            Condition:
              ArnEquals:
                aws:SourceArn: !If [IsProd, !Ref Topic, !Ref 'AWS::NoValue']
  Parameter:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Name: !Sub ['/\${Prefix}/queue', { Prefix: !Ref Env }]
      Value: { 'Fn::Sub': '\${Queue.Arn} \${Queue}' }
      Description: { 'Fn::GetAtt': [Queue, QueueName] }
      Tier: !GetAtt [Queue, QueueName]
Outputs:
  Queue:
    Condition: IsProdInRegion
    Value: { 'Fn::If': [IsProd, !GetAtt Queue.Arn, ''] }
`;

describe('customization template references', () => {
  it('accepts every form of reference to what the template defines, pseudo parameters and Sub variables', () => {
    expect(resolveOk(ACCOUNTS, files(VALID)).customizations).toHaveLength(1);
  });

  it.each([
    [
      '!Ref of an undefined name',
      'Queues: [{ Ref: Queue }]',
      'Queues: [!Ref Queu]',
      "!Ref 'Queu' names no parameter, resource or pseudo parameter of the template; did you mean 'Queue'?",
    ],
    [
      'a long-form Ref',
      'Queues: [{ Ref: Queue }]',
      'Queues: [{ Ref: Qeueu }]',
      "Ref: 'Qeueu' names no parameter",
    ],
    [
      'a pseudo parameter misspelt',
      "!Ref 'AWS::NoValue'",
      "!Ref 'AWS::NoVal'",
      "did you mean 'AWS::NoValue'?",
    ],
    [
      '!GetAtt of a parameter',
      'Resource: !GetAtt Queue.Arn',
      'Resource: !GetAtt Env.Arn',
      "!GetAtt 'Env' names no resource of the template",
    ],
    [
      'a long-form GetAtt',
      "{ 'Fn::GetAtt': [Queue, QueueName] }",
      "{ 'Fn::GetAtt': [Queues, QueueName] }",
      "Fn::GetAtt: 'Queues' names no resource",
    ],
    [
      'a Sub variable',
      `'\${AWS::StackName}-\${Env}-`,
      `'\${AWS::StackName}-\${Envv}-`,
      "!Sub 'Envv' names no parameter",
    ],
    [
      'a Sub attribute of no resource',
      `'\${Queue.Arn} \${Queue}'`,
      `'\${Topik.Arn} \${Queue}'`,
      "Fn::Sub: 'Topik' names no resource",
    ],
    [
      'a resource Condition',
      '    Condition: IsProd\n  Queue:',
      '    Condition: IsPrd\n  Queue:',
      "Condition: 'IsPrd' names no condition of the template; did you mean 'IsProd'?",
    ],
    ['an !If condition', '!If [IsProd,', '!If [IsPro,', "!If 'IsPro' names no condition"],
    ['a !Condition', '!Condition IsProd', '!Condition IsProdd', "!Condition 'IsProdd' names no condition"],
    ['DependsOn', 'DependsOn: [Topic]', 'DependsOn: [Topics]', "DependsOn: 'Topics' names no resource"],
  ])('refuses %s, at the reference', (_what, from, to, message) => {
    expect(VALID).toContain(from);
    const template = VALID.replace(from, to);
    const errors = errorsOf(ACCOUNTS, files(template));
    expect(errors.map((e) => e.code)).toEqual(['DSL_TEMPLATE_REFERENCE']);
    expect(errors[0]?.message).toContain(message);
    expect(errors[0]?.location).toMatchObject({
      file: 'stacks/refs/template.yml',
      line: lineOf(template, to.split('\n')[0] as string),
    });
  });

  it('leaves a template with a Transform to CloudFormation: macros add resources', () => {
    const serverless = VALID.replace(
      "AWSTemplateFormatVersion: '2010-09-09'",
      "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31",
    ).replace('Queues: [{ Ref: Queue }]', 'Queues: [!Ref FunctionRole]');
    expect(resolveOk(ACCOUNTS, files(serverless)).customizations).toHaveLength(1);
  });
});
