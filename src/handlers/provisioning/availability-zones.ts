import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Client } from '../../aws/clients.js';
import { sdk } from '../../aws/sdk.js';
import { AwsOperationError } from '../../errors.js';
import { RequestRejected } from '../types.js';

/**
 * The availability zones the standard VPC's template can place subnets in, as `Fn::GetAZs`
 * answers it: "only Availability Zones that have a default subnet unless none of the
 * Availability Zones has a default subnet; in that case, all Availability Zones are returned"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html).
 * The template selects zone i for i < max(2, nat_gateway_count) (src/templates/vpc.ts); an index
 * past the list fails the stack with a template error after CloudFormation started it.
 */
export interface ZonePort {
  /** Zone names of the region that are available to the account (type availability-zone). */
  zones(): Promise<string[]>;
  /** Zone names that hold a default subnet. */
  zonesWithDefaultSubnet(): Promise<string[]>;
}

export function ec2ZonePort(client: Client<EC2Client>): ZonePort {
  return {
    async zones() {
      const { DescribeAvailabilityZonesCommand } = await sdk.ec2();
      try {
        const out = await client.send(
          new DescribeAvailabilityZonesCommand({
            Filters: [
              { Name: 'zone-type', Values: ['availability-zone'] },
              { Name: 'state', Values: ['available'] },
            ],
          }),
        );
        return (out.AvailabilityZones ?? []).flatMap((z) => (z.ZoneName ? [z.ZoneName] : []));
      } catch (e) {
        throw new AwsOperationError('listing availability zones', e);
      }
    },
    async zonesWithDefaultSubnet() {
      const { DescribeSubnetsCommand } = await sdk.ec2();
      const zones = new Set<string>();
      let token: string | undefined;
      try {
        do {
          const out = await client.send(
            new DescribeSubnetsCommand({
              Filters: [{ Name: 'default-for-az', Values: ['true'] }],
              ...(token ? { NextToken: token } : {}),
            }),
          );
          for (const s of out.Subnets ?? []) if (s.AvailabilityZone) zones.add(s.AvailabilityZone);
          token = out.NextToken;
        } while (token);
      } catch (e) {
        throw new AwsOperationError('listing default subnets', e);
      }
      return [...zones];
    },
  };
}

/** Zones `Fn::GetAZs` returns in the port's region. */
export async function getAzs(port: ZonePort): Promise<string[]> {
  const [zones, withDefault] = await Promise.all([port.zones(), port.zonesWithDefaultSubnet()]);
  const defaults = new Set(withDefault);
  const chosen = zones.filter((z) => defaults.has(z));
  return chosen.length ? chosen : zones;
}

/** Refuses a VPC of `zonesNeeded` zones where Fn::GetAZs answers fewer, before any stack starts. */
export async function requireZones(port: ZonePort, region: string, zonesNeeded: number): Promise<void> {
  const zones = await getAzs(port);
  if (zones.length >= zonesNeeded) return;
  throw new RequestRejected(
    'VPC_TOO_FEW_ZONES',
    `the standard VPC spreads over ${zonesNeeded} availability zones (max(2, nat_gateway_count)), but ${region} offers this account ${zones.length} (${zones.join(', ') || 'none'}); Fn::GetAZs counts only zones with a default subnet when any has one`,
  );
}
