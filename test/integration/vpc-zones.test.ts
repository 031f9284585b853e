import { DeleteSubnetCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ec2ZonePort, getAzs, requireZones } from '../../src/handlers/provisioning/availability-zones.js';
import { createVpcHandler } from '../../src/handlers/provisioning/registrations.js';
import type { HandlerContext } from '../../src/handlers/types.js';
import { useMoto } from '../support/moto.js';

/**
 * CREATE_VPC counts the zones Fn::GetAZs will answer before it starts the stack: the template
 * selects zone i for i < max(2, nat_gateway_count), and an index past the list fails the stack
 * with a template error once CloudFormation has started it (src/handlers/provisioning/availability-zones.ts).
 * The emulator's us-west-1 has two zones, ap-southeast-2 three.
 */
describe('CREATE_VPC: enough availability zones for the VPC, counted as Fn::GetAZs counts them', () => {
  const moto = useMoto();

  it('refuses three zones in a region that offers two, before any stack starts', async () => {
    const clients = moto().management;
    const ctx = {
      clients,
      log: { info: () => {}, warn: () => {}, error: () => {} },
      account: { id: '123456789012', kind: 'member' },
      sender: { id: '222222222222', kind: 'cicd' },
      nonce: '5f0c4c3e-8d4a-4f57-9a43-6a3f1f0b2b11',
      dryrun: false,
      reply: async () => {},
    } as unknown as HandlerContext;
    const detail = {
      nonce: '5f0c4c3e-8d4a-4f57-9a43-6a3f1f0b2b11',
      dryrun: false,
      target_account: '123456789012',
      region: 'us-west-1',
      cidr: '10.0.0.0/16',
      nat_gateway_count: 3,
      template_url:
        'https://orgbridge-artifacts-222222222222-us-west-1.s3.us-west-1.amazonaws.com/templates/vpc-0123456789abcdef',
    };
    await expect(createVpcHandler.handle(detail as never, ctx)).rejects.toMatchObject({
      name: 'RequestRejected',
      code: 'VPC_TOO_FEW_ZONES',
      message: expect.stringContaining('us-west-1 offers this account 2 (us-west-1a, us-west-1b)'),
    });
    await expect(requireZones(ec2ZonePort(clients.ec2('ap-southeast-2')), 'ap-southeast-2', 3)).resolves.toBe(
      undefined,
    );
  });

  it('counts only zones with a default subnet when any has one, and every zone when none has', async () => {
    const ec2 = moto().management.ec2('ap-southeast-2');
    const port = ec2ZonePort(ec2);
    expect(await getAzs(port)).toEqual(['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c']);
    const defaults = async () =>
      (
        await ec2.send(
          new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
        )
      ).Subnets ?? [];
    const subnets = await defaults();
    const inZone = (zone: string) => subnets.find((s) => s.AvailabilityZone === zone)?.SubnetId as string;
    await ec2.send(new DeleteSubnetCommand({ SubnetId: inZone('ap-southeast-2b') }));
    expect(await getAzs(port)).toEqual(['ap-southeast-2a', 'ap-southeast-2c']);
    await expect(requireZones(port, 'ap-southeast-2', 3)).rejects.toMatchObject({
      code: 'VPC_TOO_FEW_ZONES',
    });
    for (const zone of ['ap-southeast-2a', 'ap-southeast-2c']) {
      await ec2.send(new DeleteSubnetCommand({ SubnetId: inZone(zone) }));
    }
    expect(await defaults()).toEqual([]);
    expect(await getAzs(port)).toEqual(['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c']);
  });
});
