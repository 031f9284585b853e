/**
 * An EC2 client that offers `zones` availability zones and no default subnet, for handler tests
 * that do not run the emulator (CREATE_VPC counts the zones before it deploys).
 */
export function zonesOnlyEc2(region: string, zones = 3) {
  return {
    async send(command: object) {
      const name = command.constructor.name;
      if (name === 'DescribeAvailabilityZonesCommand') {
        return {
          AvailabilityZones: Array.from({ length: zones }, (_, i) => ({
            ZoneName: `${region}${'abcdef'[i]}`,
          })),
        };
      }
      if (name === 'DescribeSubnetsCommand') return { Subnets: [] };
      throw new Error(`unexpected EC2 call ${name}`);
    },
  };
}
