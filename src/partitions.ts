/**
 * AWS partitions: a region belongs to exactly one, and ARNs and endpoints carry it. ARNs in
 * China start `arn:aws-cn:`, in GovCloud `arn:aws-us-gov:`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html), and S3 in China answers
 * under amazonaws.com.cn. An organization and everything orgbridge deploys for it live in the
 * partition of its home region, so every ARN is derived from a region. The table is the AWS SDK's
 * (its partitions.json, region patterns and DNS suffixes); test/unit/partitions.test.ts compares
 * the two. This module imports nothing, so every layer may use it.
 */
interface Partition {
  readonly name: string;
  readonly regions?: RegExp;
  readonly dnsSuffix: string;
}

const PARTITIONS: readonly Partition[] = [
  { name: 'aws-cn', regions: /^cn-\w+-\d+$/, dnsSuffix: 'amazonaws.com.cn' },
  { name: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/, dnsSuffix: 'amazonaws.com' },
  { name: 'aws-iso', regions: /^us-iso-\w+-\d+$/, dnsSuffix: 'c2s.ic.gov' },
  { name: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/, dnsSuffix: 'sc2s.sgov.gov' },
  { name: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/, dnsSuffix: 'cloud.adc-e.uk' },
  { name: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/, dnsSuffix: 'csp.hci.ic.gov' },
  { name: 'aws-eusc', regions: /^eusc-de-\w+-\d+$/, dnsSuffix: 'amazonaws.eu' },
];
const COMMERCIAL: Partition = { name: 'aws', dnsSuffix: 'amazonaws.com' };

function partitionEntry(region: string): Partition {
  return PARTITIONS.find((p) => p.regions?.test(region)) ?? COMMERCIAL;
}

/** `aws`, `aws-cn`, `aws-us-gov`, ...: the partition of `region` (commercial when unknown). */
export function partitionOf(region: string): string {
  return partitionEntry(region).name;
}

/** The domain of the partition's endpoints: `amazonaws.com`, `amazonaws.com.cn`, ... */
export function dnsSuffixOf(region: string): string {
  return partitionEntry(region).dnsSuffix;
}

/** `arn:<partition>:iam::<account>:role/<name>`, in the partition of `region`. */
export function roleArn(region: string, accountId: string, roleName: string): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`;
}
