import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

describe('region codes', () => {
  it('reports a misspelt defaults.region once, with a did-you-mean, and nothing else', () => {
    const text = BASE.replace('region: ap-southeast-2', 'region: eu-wset-1');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_UNKNOWN_REGION']);
    const [error] = errors;
    expect(error?.message).toContain("'eu-wset-1' is not an AWS region; did you mean 'eu-west-1'?");
    expect(error?.location).toMatchObject({
      file: 'accounts.yml',
      line: lineOf(text, 'eu-wset-1'),
      column: 11,
    });
  });

  it('checks every entry of regions and global_region on scopes and accounts', () => {
    const text = withAccounts(
      '  foo:\n    scope: dev\n    global_region: us-eats-1\n',
      BASE.replace(
        'regions: [ap-southeast-2, us-east-1]',
        'regions: [ap-southeast-2, us-east-1, ap-southeast-9]',
      ),
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_UNKNOWN_REGION', lineOf(text, 'ap-southeast-9')],
      ['DSL_UNKNOWN_REGION', lineOf(text, 'us-eats-1')],
    ]);
    expect(errors[1]?.message).toContain("did you mean 'us-east-1'?");
  });

  it('refuses a region listed twice in regions, at the second entry', () => {
    const text = withAccounts(
      '  foo:\n    scope: dev\n    regions: [us-east-1, ap-southeast-2, us-east-1]\n    region: us-east-1\n',
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line, e.location?.column])).toEqual([
      ['DSL_INVALID_VALUE', lineOf(text, 'regions: [us-east-1, ap'), 42],
    ]);
    expect(errors[0]?.message).toBe("accounts.foo.regions[2]: 'us-east-1' is listed twice");
  });

  it('accepts a region newer than the list when organization.allow_unlisted_regions names it', () => {
    const text = BASE.replace(
      'regions: [ap-southeast-2, us-east-1]',
      'regions: [ap-southeast-2, us-east-1, xx-new-1]',
    );
    expect(errorsOf(text).map((e) => e.code)).toEqual(['DSL_UNKNOWN_REGION']);
    const allowed = text.replace('organization:\n', 'organization:\n  allow_unlisted_regions: [xx-new-1]\n');
    expect(resolveOk(allowed).defaults.regions).toContain('xx-new-1');
  });
});
