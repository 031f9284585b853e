import { describe, expect, it } from 'vitest';
import { artifactObjectKey, artifactObjectUrl, templateKey } from '../../../src/protocol/names.js';

const CICD = '111111111111';

describe('artifact object URLs', () => {
  it('parse back to the key they were built from', () => {
    const url = artifactObjectUrl(CICD, 'eu-west-1', templateKey('vpc-0123456789abcdef'));
    expect(url).toBe(
      'https://orgbridge-artifacts-111111111111-eu-west-1.s3.eu-west-1.amazonaws.com/templates/vpc-0123456789abcdef.template.json',
    );
    expect(artifactObjectKey(url, CICD, 'eu-west-1', 'templates/')).toBe(
      'templates/vpc-0123456789abcdef.template.json',
    );
  });

  it.each([
    ['another account', artifactObjectUrl('222222222222', 'eu-west-1', 'templates/x.json')],
    ['another region', artifactObjectUrl(CICD, 'us-east-1', 'templates/x.json')],
    ['another prefix', artifactObjectUrl(CICD, 'eu-west-1', 'lambdas/x.zip')],
    ['the prefix alone', artifactObjectUrl(CICD, 'eu-west-1', 'templates/')],
    ['a parent segment', artifactObjectUrl(CICD, 'eu-west-1', 'templates/../lambdas/x.zip')],
    ['an empty segment', artifactObjectUrl(CICD, 'eu-west-1', 'templates//x.json')],
    ['a query string', `${artifactObjectUrl(CICD, 'eu-west-1', 'templates/x.json')}?versionId=1`],
    ['plain http', artifactObjectUrl(CICD, 'eu-west-1', 'templates/x.json').replace('https:', 'http:')],
    [
      'a look-alike host',
      `https://orgbridge-artifacts-${CICD}-eu-west-1.s3.eu-west-1.amazonaws.com.evil.example/templates/x.json`,
    ],
    [
      'path-style',
      `https://s3.eu-west-1.amazonaws.com/orgbridge-artifacts-${CICD}-eu-west-1/templates/x.json`,
    ],
  ])('refuse %s', (_why, url) => {
    expect(artifactObjectKey(url, CICD, 'eu-west-1', 'templates/')).toBeUndefined();
  });
});
