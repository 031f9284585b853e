import { Fn, type Stack } from 'aws-cdk-lib';
import {
  CfnEIP,
  CfnInternetGateway,
  CfnNatGateway,
  CfnRoute,
  CfnRouteTable,
  CfnSubnet,
  CfnSubnetRouteTableAssociation,
  CfnVPC,
  CfnVPCGatewayAttachment,
} from 'aws-cdk-lib/aws-ec2';
import { OrgbridgeError } from '../errors.js';
import type { VpcRequest } from '../plan/provisioning.js';
import { vpcZoneCount } from '../protocol/vpc-shape.js';

/**
 * The standard VPC (the EventBridge design: "Deploy a vpc in the new account"): one public and one
 * private subnet per AZ, an internet gateway, and `nat_gateway_count` NAT gateways in the first
 * public subnets; private subnets route through NAT gateway `i mod count` (none: private subnets
 * stay offline). AZs: max(2, nat_gateway_count). Subnets are /4 splits of the VPC range (a /16
 * gives /20s).
 */
export function addStandardVpc(stack: Stack, request: VpcRequest): void {
  const azCount = vpcZoneCount(request.nat_gateway_count);
  const subnets = splitCidr(request.cidr, 4);
  if (subnets.length < azCount * 2) {
    throw new OrgbridgeError(
      'VPC_CIDR_TOO_SMALL',
      `VPC range ${request.cidr} cannot hold ${azCount * 2} subnets`,
      {
        hint: 'use a /16 to /24 range',
      },
    );
  }
  const tag = (name: string) => [{ key: 'Name', value: name }];
  const vpc = new CfnVPC(stack, 'Vpc', {
    cidrBlock: request.cidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: tag('orgbridge'),
  });
  const igw = new CfnInternetGateway(stack, 'InternetGateway', { tags: tag('orgbridge') });
  const attach = new CfnVPCGatewayAttachment(stack, 'InternetGatewayAttachment', {
    vpcId: vpc.ref,
    internetGatewayId: igw.ref,
  });
  const publicRoutes = new CfnRouteTable(stack, 'PublicRouteTable', {
    vpcId: vpc.ref,
    tags: tag('orgbridge-public'),
  });
  const defaultRoute = new CfnRoute(stack, 'PublicDefaultRoute', {
    routeTableId: publicRoutes.ref,
    destinationCidrBlock: '0.0.0.0/0',
    gatewayId: igw.ref,
  });
  defaultRoute.addResourceDependency(attach);
  // The region literally (not `Ref AWS::Region`): the VPC is rendered per request and region.
  const az = (i: number) => Fn.select(i, Fn.getAzs(request.region));
  const nats: CfnNatGateway[] = [];
  for (let i = 0; i < azCount; i++) {
    const subnet = new CfnSubnet(stack, `PublicSubnet${i + 1}`, {
      vpcId: vpc.ref,
      cidrBlock: subnets[i] as string,
      availabilityZone: az(i),
      mapPublicIpOnLaunch: false,
      tags: tag(`orgbridge-public-${i + 1}`),
    });
    new CfnSubnetRouteTableAssociation(stack, `PublicSubnet${i + 1}Routes`, {
      subnetId: subnet.ref,
      routeTableId: publicRoutes.ref,
    });
    if (i < request.nat_gateway_count) {
      const eip = new CfnEIP(stack, `NatAddress${i + 1}`, {
        domain: 'vpc',
        tags: tag(`orgbridge-nat-${i + 1}`),
      });
      eip.addResourceDependency(attach);
      nats.push(
        new CfnNatGateway(stack, `NatGateway${i + 1}`, {
          subnetId: subnet.ref,
          allocationId: eip.attrAllocationId,
          tags: tag(`orgbridge-nat-${i + 1}`),
        }),
      );
    }
  }
  for (let i = 0; i < azCount; i++) {
    const subnet = new CfnSubnet(stack, `PrivateSubnet${i + 1}`, {
      vpcId: vpc.ref,
      cidrBlock: subnets[azCount + i] as string,
      availabilityZone: az(i),
      tags: tag(`orgbridge-private-${i + 1}`),
    });
    const routes = new CfnRouteTable(stack, `PrivateRouteTable${i + 1}`, {
      vpcId: vpc.ref,
      tags: tag(`orgbridge-private-${i + 1}`),
    });
    new CfnSubnetRouteTableAssociation(stack, `PrivateSubnet${i + 1}Routes`, {
      subnetId: subnet.ref,
      routeTableId: routes.ref,
    });
    const nat = nats.length ? nats[i % nats.length] : undefined;
    if (nat) {
      new CfnRoute(stack, `PrivateDefaultRoute${i + 1}`, {
        routeTableId: routes.ref,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nat.ref,
      });
    }
  }
}

/** Splits an IPv4 range into subnets `extraBits` longer, in address order. */
export function splitCidr(cidr: string, extraBits: number): string[] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || prefix > 32) {
    throw new OrgbridgeError('VPC_BAD_CIDR', `'${cidr}' is not an IPv4 CIDR such as 10.0.0.0/16`, {
      hint: 'set vpc_cidr to an IPv4 range, e.g. 10.20.0.0/16',
    });
  }
  const length = prefix + extraBits;
  if (length > 28) return [];
  const base = octets.reduce((n, o) => n * 256 + o, 0) & ~(2 ** (32 - prefix) - 1);
  const size = 2 ** (32 - length);
  const out: string[] = [];
  for (let i = 0; i < 2 ** extraBits; i++) {
    const n = (base >>> 0) + i * size;
    out.push(`${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/${length}`);
  }
  return out;
}
