import { createHash, randomUUID } from 'node:crypto';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { silentLog } from '../../src/bus/log.js';
import {
  type CustomizationRequest,
  handleCustomization,
} from '../../src/handlers/customizations/deploy-customization.js';
import {
  customizationCloudFormationPort,
  customizationDriftPort,
} from '../../src/handlers/customizations/ports.js';
import { deployCustomizationHandler } from '../../src/handlers/customizations/register.js';
import { artifactReadPort } from '../../src/handlers/policies/ports.js';
import { RequestRejected } from '../../src/handlers/types.js';
import { parseDetail } from '../../src/protocol/catalog.js';
import {
  artifactBucketName,
  artifactObjectUrl,
  customizationObjectKey,
  ROLE_NAMES,
} from '../../src/protocol/names.js';
import { useMoto } from '../support/moto.js';

/**
 * DEPLOY_CUSTOMIZATION's handler on the emulator, in one account that is also the sender (the
 * artifact bucket's owner): what it creates, what it leaves alone, what it refuses.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const template = (value: string, name = '/custom/service') => `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  ServiceName: { Type: String }
Resources:
  Service:
    Type: AWS::SSM::Parameter
    Properties:
      Name: ${name}
      Type: String
      Value: !Sub '\${ServiceName}-${value}'
`;

const sha = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

describe('DEPLOY_CUSTOMIZATION on the emulator', () => {
  const moto = useMoto();
  let clients: AwsClients;
  const quick = { maxWaitMs: 5_000, pollMs: 10, sleep: async () => {} };

  const upload = async (customization: string, body: string, bytes = body) => {
    const key = customizationObjectKey(customization, sha(body));
    await clients
      .s3(REGION)
      .send(new PutObjectCommand({ Bucket: artifactBucketName(ACCOUNT, REGION), Key: key, Body: bytes }));
    return { template_url: artifactObjectUrl(ACCOUNT, REGION, key), template_sha256: sha(body) };
  };
  const handle = (request: CustomizationRequest) =>
    handleCustomization(
      {
        cfn: customizationCloudFormationPort(clients.cloudFormation(REGION), 'the test account'),
        cfnIn: (region) => customizationCloudFormationPort(clients.cloudFormation(region), region),
        templates: artifactReadPort(clients.s3(REGION)),
        driftIn: (region) => customizationDriftPort(clients.cloudFormation(region), region),
      },
      request,
      {
        cicdAccountId: ACCOUNT,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/orgbridge-customization-deployer`,
        ...quick,
      },
    );
  const request = async (
    operation: 'observe' | 'deploy',
    body: string,
    extra: Partial<CustomizationRequest> = {},
  ): Promise<CustomizationRequest> => ({
    operation,
    region: REGION,
    customization: 'service',
    stack_name: 'custom-service',
    parameters: { ServiceName: 'payments' },
    termination_protection: false,
    ...(await upload('service', body)),
    ...extra,
  });
  const calls = (operation: string) => clients.counter.counts.get(`CloudFormation.${operation}`) ?? 0;
  const parameter = async (name: string) =>
    (await clients.ssm(REGION).send(new GetParameterCommand({ Name: name }))).Parameter?.Value;

  beforeAll(async () => {
    clients = moto().management;
    await clients.s3(REGION).send(new CreateBucketCommand({ Bucket: artifactBucketName(ACCOUNT, REGION) }));
  });

  it('observes a create, deploys it, and then leaves the unchanged stack alone', async () => {
    const v1 = template('v1');
    const observed = await handle(await request('observe', v1));
    expect(observed).toMatchObject({ result: 'create', stacks: [] });
    expect(observed.changes).toEqual([{ action: 'Add', logical_id: 'Service', type: 'AWS::SSM::Parameter' }]);

    const deployed = await handle(await request('deploy', v1));
    expect(deployed.result).toBe('created');
    expect(deployed.stacks[0]).toMatchObject({
      customization: 'service',
      stack_name: 'custom-service',
      status: 'CREATE_COMPLETE',
      template_sha256: sha(v1),
      parameters: { ServiceName: 'payments' },
      termination_protection: false,
    });
    expect(await parameter('/custom/service')).toBe('payments-v1');

    const before = { changeSets: calls('CreateChangeSet'), updates: calls('UpdateStack') };
    expect((await handle(await request('observe', v1))).result).toBe('unchanged');
    expect((await handle(await request('deploy', v1))).result).toBe('unchanged');
    expect({ changeSets: calls('CreateChangeSet'), updates: calls('UpdateStack') }).toEqual(before);
  });

  it("shows a template change as the change set's resource changes, then applies it", async () => {
    const v2 = template('v2');
    const observed = await handle(await request('observe', v2));
    expect(observed.result).toBe('update');
    expect(observed.changes?.map((c) => [c.action, c.logical_id])).toEqual([['Modify', 'Service']]);
    expect(await parameter('/custom/service')).toBe('payments-v1');

    expect((await handle(await request('deploy', v2))).result).toBe('updated');
    expect(await parameter('/custom/service')).toBe('payments-v2');
    const parameters = await handle(await request('deploy', v2, { parameters: { ServiceName: 'billing' } }));
    // The stack runs the new value (the emulator does not re-render unchanged resources for it).
    expect(parameters).toMatchObject({
      result: 'updated',
      stacks: [{ parameters: { ServiceName: 'billing' } }],
    });
  });

  it('lists the customization stacks of the region, and only those', async () => {
    const listed = await handle({ operation: 'list', region: REGION });
    expect(listed.stacks.map((s) => [s.stack_name, s.customization])).toEqual([
      ['custom-service', 'service'],
    ]);
  });

  it('lists several regions in one request, each stack with its region', async () => {
    // A customization stack made in another region (by an earlier deploy there).
    await clients.cloudFormation('eu-west-1').send(
      new CreateStackCommand({
        StackName: 'custom-west',
        TemplateBody: JSON.stringify({
          Resources: { P: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'w' } } },
        }),
        Tags: [{ Key: 'orgbridge:customization', Value: 'west' }],
      }),
    );
    const listed = await handle({ operation: 'list', region: REGION, regions: [REGION, 'eu-west-1'] });
    expect(listed.stacks.map((s) => [s.region, s.stack_name]).sort()).toEqual([
      ['eu-west-1', 'custom-west'],
      [REGION, 'custom-service'],
    ]);
    // Only `list` names regions: the schema refuses them on any other operation.
    const parsed = parseDetail('DEPLOY_CUSTOMIZATION', {
      nonce: '5f0c4c3e-8d4a-4f57-9a43-6a3f1f0b2b11',
      dryrun: false,
      target_account: ACCOUNT,
      operation: 'delete',
      region: REGION,
      regions: [REGION],
      customization: 'west',
      stack_name: 'custom-west',
    });
    expect(parsed.ok).toBe(false);
  });

  it('detects drift on request: a value changed by hand is reported with its difference', async () => {
    const detect = (max_age_minutes: number) =>
      handle({ operation: 'list', region: REGION, detect_drift: { max_age_minutes } });
    const inSync = (await detect(0)).stacks.find((s) => s.stack_name === 'custom-service');
    expect(inSync).toMatchObject({ drift_status: 'IN_SYNC' });
    expect(inSync?.drifted_resources).toBeUndefined();
    expect(Date.parse(inSync?.drift_checked_at ?? '')).toBeGreaterThan(Date.now() - 60_000);

    await clients.ssm(REGION).send(
      new PutParameterCommand({
        Name: '/custom/service',
        Value: 'by-hand',
        Type: 'String',
        Overwrite: true,
      }),
    );
    // A detection younger than the maximum age is not started again: the old status stands.
    const started = calls('DetectStackDrift');
    const fresh = (await detect(60)).stacks.find((s) => s.stack_name === 'custom-service');
    expect(calls('DetectStackDrift')).toBe(started);
    expect(fresh?.drift_status).toBe('IN_SYNC');

    const drifted = (await detect(0)).stacks.find((s) => s.stack_name === 'custom-service');
    expect(calls('DetectStackDrift')).toBeGreaterThan(started);
    expect(drifted).toMatchObject({ drift_status: 'DRIFTED' });
    expect(drifted?.drift_note).toBeUndefined();
    expect(drifted?.drifted_resources).toEqual([
      'Service (AWS::SSM::Parameter) MODIFIED: /Value payments-v2 -> by-hand',
    ]);
    // The request and its answer travel as the catalog defines them (the reply carries a nonce).
    const wire = { nonce: randomUUID(), dryrun: false, target_account: ACCOUNT };
    expect(
      parseDetail('DEPLOY_CUSTOMIZATION', {
        ...wire,
        operation: 'list',
        region: REGION,
        detect_drift: { max_age_minutes: 0 },
      }).ok,
    ).toBe(true);
    expect(parseDetail('CUSTOMIZATION_REPORTED', { ...(await detect(0)), ...wire }).ok).toBe(true);
    // Without detect_drift a list reads the last status only.
    const plain = (await handle({ operation: 'list', region: REGION })).stacks[0];
    expect(plain?.drift_status).toBe('DRIFTED');
    expect(plain?.drifted_resources).toBeUndefined();
    // Put back for the tests after this one.
    await clients.ssm(REGION).send(
      new PutParameterCommand({
        Name: '/custom/service',
        Value: 'payments-v2',
        Type: 'String',
        Overwrite: true,
      }),
    );
  });

  it("starts drift detection as the account's drift role, not as the handler", async () => {
    const assumed = () => clients.counter.counts.get('STS.AssumeRole') ?? 0;
    const before = assumed();
    const listed = await deployCustomizationHandler.handle(
      {
        nonce: randomUUID(),
        dryrun: false,
        target_account: ACCOUNT,
        operation: 'list',
        region: REGION,
        detect_drift: { max_age_minutes: 0 },
      },
      {
        clients,
        log: silentLog,
        account: { id: ACCOUNT, kind: 'cicd' },
        sender: { id: ACCOUNT, kind: 'cicd' },
        nonce: randomUUID(),
        dryrun: false,
        reply: async () => {},
      },
    );
    expect(listed?.stacks.find((s) => s.stack_name === 'custom-service')?.drift_status).toBe('IN_SYNC');
    expect(assumed()).toBe(before + 1);
    expect(
      clients
        .forAccount(ACCOUNT, ROLE_NAMES.customizationDrift)
        .counter.counts.get('CloudFormation.DetectStackDrift'),
    ).toBeGreaterThan(0);
  });

  it('keeps the listing when drift detection cannot run, with the reason on each stack', async () => {
    const listed = await handleCustomization(
      {
        cfn: customizationCloudFormationPort(clients.cloudFormation(REGION), 'the test account'),
        templates: artifactReadPort(clients.s3(REGION)),
        driftIn: () => ({
          detect: async () => {
            throw new Error('AccessDenied: not authorized to perform sts:AssumeRole');
          },
          detection: async () => ({ status: 'DETECTION_COMPLETE' }),
          driftedResources: async () => [],
        }),
      },
      { operation: 'list', region: REGION, detect_drift: { max_age_minutes: 0 } },
      { cicdAccountId: ACCOUNT, roleArn: 'arn:aws:iam::123456789012:role/x', ...quick },
    );
    expect(listed.stacks.map((s) => s.stack_name)).toEqual(['custom-service']);
    expect(listed.stacks[0]?.drift_note).toMatch(/could not start: AccessDenied.*run the bootstrap again/);
  });

  it('refuses other stack names, other template locations and bytes that are not the hash', async () => {
    const v2 = template('v2');
    const refused = async (r: CustomizationRequest) => {
      const error = await handle(r).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestRejected);
      return (error as RequestRejected).code;
    };
    expect(await refused(await request('deploy', v2, { stack_name: 'orgbridge-handlers' }))).toBe(
      'CUSTOMIZATION_STACK_NOT_ALLOWED',
    );
    expect(
      await refused({ operation: 'delete', region: REGION, customization: 'x', stack_name: 'custom-y' }),
    ).toBe('CUSTOMIZATION_STACK_NOT_ALLOWED');
    const elsewhere = artifactObjectUrl('210987654321', REGION, customizationObjectKey('service', sha(v2)));
    expect(await refused(await request('deploy', v2, { template_url: elsewhere }))).toBe(
      'CUSTOMIZATION_TEMPLATE_NOT_ALLOWED',
    );
    // Bytes uploaded under another template's address: refused before CloudFormation sees them.
    const genuine = await request('deploy', v2);
    await upload('service', v2, template('forged'));
    expect(await refused(genuine)).toBe('CUSTOMIZATION_TEMPLATE_HASH');
    expect(await parameter('/custom/service')).toBe('payments-v2');
  });

  it('keeps a protected stack until protection is turned off, then deletes it', async () => {
    const v2 = template('v2');
    const on = await handle(await request('deploy', v2, { termination_protection: true }));
    expect(on).toMatchObject({ result: 'updated', stacks: [{ termination_protection: true }] });
    const remove = {
      operation: 'delete',
      region: REGION,
      customization: 'service',
      stack_name: 'custom-service',
    } as const;
    const refused = await handle(remove).catch((e: unknown) => e);
    expect((refused as RequestRejected).code).toBe('CUSTOMIZATION_PROTECTED');

    await handle(await request('deploy', v2, { termination_protection: false }));
    expect((await handle(remove)).result).toBe('deleted');
    const gone = await clients
      .cloudFormation(REGION)
      .send(new DescribeStacksCommand({ StackName: 'custom-service' }))
      .catch((e: Error) => e.message);
    expect(gone).toMatch(/does not exist/);
    expect((await handle(remove)).result).toBe('absent');
  });

  it('reports a failing stack with the stack events that explain it, and re-creates it next time', async () => {
    // The parameter exists already (outside the stack): CloudFormation cannot create it.
    const clash = template('v1', '/custom/taken');
    await clients
      .ssm(REGION)
      .send(new PutParameterCommand({ Name: '/custom/taken', Value: 'someone', Type: 'String' }));
    const error = await handle(await request('deploy', clash)).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('CUSTOMIZATION_STACK_FAILED');
    expect((error as Error).message).toMatch(/ROLLBACK_COMPLETE[\s\S]*already exists/i);
    // The next deploy starts over from ROLLBACK_COMPLETE instead of failing to update.
    const fixed = await handle(await request('deploy', template('v3', '/custom/free')));
    expect(fixed.result).toBe('created');
  });
});
