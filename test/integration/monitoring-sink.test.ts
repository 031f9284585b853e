import { CreateStackCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { monitoringSinkArnOf } from '../../src/pipeline/deployed-state.js';
import { specialAccountIds, templateInputs } from '../../src/templates/inputs.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { syntheticConfig } from '../unit/templates/fixtures.js';

/**
 * The bootstrap renders every account's link to the audit account's monitoring sink from the
 * sink's ARN, which AWS generates: it reads it from the audit handler stack's output, and
 * renders no link (and deploys again after the first bootstrap) while there is none.
 */
describe('the monitoring sink ARN, read from the audit handler stack', () => {
  const moto = useMoto();
  const SINK = 'arn:aws:oam:us-east-1:123456789012:sink/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

  it('is undefined before the stack exists or has the output, then the output', async () => {
    const { management } = moto();
    await createOrganization(management);
    // The organization's template inputs name the audit account; its stack is read there.
    const inputs = templateInputs(syntheticConfig(1), { organizationId: 'o-abcdefghij' });
    const cfn = management.forAccount(specialAccountIds(inputs).audit).cloudFormation(inputs.homeRegion);
    expect(await monitoringSinkArnOf(management, inputs)).toBeUndefined();
    const queue = { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orgbridge-handler' } } };
    await cfn.send(
      new CreateStackCommand({
        StackName: 'orgbridge-handlers',
        TemplateBody: JSON.stringify({ Resources: queue }),
      }),
    );
    expect(await monitoringSinkArnOf(management, inputs)).toBeUndefined();
    // The stack updated with the sink (its output), as the first bootstrap leaves it.
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'orgbridge-handlers',
        TemplateBody: JSON.stringify({ Resources: queue, Outputs: { MonitoringSinkArn: { Value: SINK } } }),
      }),
    );
    expect(await monitoringSinkArnOf(management, inputs)).toBe(SINK);
  });
});
