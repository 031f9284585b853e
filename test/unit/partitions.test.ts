import { partition } from '@aws-sdk/core/client';
import { describe, expect, it } from 'vitest';
import { dnsSuffixOf, partitionOf } from '../../src/partitions.js';

const REGIONS = [
  'us-east-1',
  'eu-central-2',
  'ap-southeast-7',
  'mx-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'eusc-de-east-1',
  // Not launched (yet): the patterns decide.
  'cn-south-9',
  'us-gov-north-7',
  'ap-west-9',
];

describe('partitions', () => {
  it.each(REGIONS)('%s: the partition and DNS suffix the AWS SDK resolves', (region) => {
    const sdk = partition(region);
    expect({ partition: partitionOf(region), dnsSuffix: dnsSuffixOf(region) }).toEqual({
      partition: sdk.name,
      dnsSuffix: sdk.dnsSuffix,
    });
  });
});
