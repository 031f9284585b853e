/**
 * How many availability zones the standard VPC spreads over: one public and one private subnet in
 * each, a NAT gateway in each of the first `nat_gateway_count`, and at least two zones. The
 * template (src/templates/vpc.ts) and CREATE_VPC's zone check (src/handlers/provisioning) both
 * take it from here.
 */
export function vpcZoneCount(natGateways: number): number {
  return Math.max(2, natGateways);
}
