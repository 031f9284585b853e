/**
 * The AWS region codes orgbridge knows, so `validate` catches a typo (`eu-wset-1`) before it
 * becomes part of account names and root emails, which AWS never lets an organization reuse.
 *
 * Source: "AWS Regions" in the AWS General Reference,
 * https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 * (commercial regions, plus AWS GovCloud (US) and the China regions listed there).
 * Keep it current when AWS opens a region; until then a config names a newer region in
 * `organization.allow_unlisted_regions` (docs/dsl.md, "Regions").
 */
export const KNOWN_AWS_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
]);

/** The settings that hold a region code (one code, or a list). */
export const REGION_SETTINGS = ['region', 'global_region', 'regions'] as const;
