import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../../../src/config/source.js';
import { errorsOf, expectOne, resolveOk, withAccounts } from './support.js';

/**
 * A customization's `regions:` list: each region once, a region AWS has, and one with an artifact
 * bucket (defaults.regions), refused by `validate` at the entry rather than at the upload.
 */

const ACCOUNTS = withAccounts('  foo:\n    scope: dev\n');

describe('stacks/<name>/stack.yml regions', () => {
  const TEMPLATE = 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n';
  const FILE = 'stacks/alarms/stack.yml';
  const stackFiles = (text: string): SourceFile[] => [
    { path: FILE, text },
    { path: 'stacks/alarms/template.yml', text: TEMPLATE },
  ];
  const stack = (regions: string) => stackFiles(`targets:\n  scopes: [dev]\nregions:\n${regions}`);

  it('accepts regions of defaults.regions, each once', () => {
    const config = resolveOk(ACCOUNTS, stack('  - ap-southeast-2\n  - us-east-1\n'));
    expect(config.customizations?.[0]?.regions).toEqual(['ap-southeast-2', 'us-east-1']);
  });

  it('an unknown region code is DSL_UNKNOWN_REGION at its line, with a did-you-mean', () => {
    const more = stack('  - us-east-1\n  - eu-west-9\n');
    const error = expectOne(errorsOf(ACCOUNTS, more), 'DSL_UNKNOWN_REGION', FILE, 5);
    expect(error.message).toBe("regions[1]: 'eu-west-9' is not an AWS region; did you mean 'eu-west-1'?");
  });

  it('a region outside defaults.regions is DSL_CUSTOMIZATION_REGION: no artifact bucket there', () => {
    const errors = errorsOf(ACCOUNTS, stack('  - us-east-1\n  - eu-central-1\n'));
    const error = expectOne(errors, 'DSL_CUSTOMIZATION_REGION', FILE, 5);
    expect(error.message).toContain("'eu-central-1' is not in defaults.regions (ap-southeast-2, us-east-1)");
    expect(error.message).toContain('artifact bucket');
    expect(error.hint).toContain('add eu-central-1 to defaults.regions');
  });

  it('a region allowed by allow_unlisted_regions still needs its artifact bucket', () => {
    const accounts = ACCOUNTS.replace(
      '  event_bus: bus\n',
      '  event_bus: bus\n  allow_unlisted_regions: [xx-newregion-1]\n',
    );
    const errors = errorsOf(accounts, stack('  - xx-newregion-1\n'));
    expect(errors.map((e) => e.code)).toEqual(['DSL_CUSTOMIZATION_REGION']);
  });

  it('a region listed twice is DSL_INVALID_VALUE at the second entry', () => {
    const errors = errorsOf(ACCOUNTS, stack('  - us-east-1\n  - us-east-1\n'));
    const error = expectOne(errors, 'DSL_INVALID_VALUE', FILE, 5);
    expect(error.message).toBe("regions[1]: 'us-east-1' is listed twice");
    expect(errors).toHaveLength(1);
  });

  it('flow lists are positioned at the entry too', () => {
    const text = 'targets:\n  scopes: [dev]\nregions: [us-east-1, eu-west-9, us-east-1]\n';
    const errors = errorsOf(ACCOUNTS, stackFiles(text));
    expect(errors.map((e) => [e.code, e.location?.line, e.location?.column])).toEqual([
      ['DSL_UNKNOWN_REGION', 3, 22],
      ['DSL_INVALID_VALUE', 3, 33],
    ]);
  });

  it('regions: all reaching an account region outside defaults.regions is refused at regions:, naming the accounts', () => {
    const accounts = withAccounts(
      '  foo:\n    scope: dev\n    regions: [ap-southeast-2, eu-west-1]\n  bar:\n    scope: dev\n',
    );
    const text = 'targets:\n  scopes: [dev]\nregions: all\n';
    const errors = errorsOf(accounts, stackFiles(text));
    const error = expectOne(errors, 'DSL_CUSTOMIZATION_REGION', FILE, 3);
    expect(error.message).toContain('regions: all puts stacks in eu-west-1 (foo), outside defaults.regions');
    expect(error.hint).toContain('add eu-west-1 to defaults.regions');
  });

  it('the default regions (account) is refused at targets: when a selected account lives outside defaults.regions', () => {
    const accounts = withAccounts(
      '  foo:\n    scope: dev\n    region: eu-west-1\n    regions: [eu-west-1]\n',
    );
    const text = 'targets:\n  accounts: [foo]\n';
    const errors = errorsOf(accounts, stackFiles(text));
    const error = expectOne(errors, 'DSL_CUSTOMIZATION_REGION', FILE, 1);
    expect(error.message).toContain('regions: account puts stacks in eu-west-1 (foo)');
  });

  it('an excluded account outside defaults.regions is no error', () => {
    const accounts = withAccounts(
      '  foo:\n    scope: dev\n    region: eu-west-1\n    regions: [eu-west-1]\n  bar:\n    scope: dev\n',
    );
    const text = 'targets:\n  scopes: [dev]\nexclude:\n  accounts: [foo]\n';
    const config = resolveOk(accounts, stackFiles(text));
    expect(config.customizations?.[0]?.regions).toBe('account');
  });
});
