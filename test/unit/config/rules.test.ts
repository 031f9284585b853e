import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, expectOne, lineOf, resolveOk, warningsOf, withAccounts } from './support.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const policy = (path: string, text: string) => ({ path, text });
const SCP = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"x:Y","Resource":"*"}]}';

describe('schema errors', () => {
  it('reports an unknown key with a did-you-mean at the key', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    regoin: us-east-1\n`);
    const error = expectOne(errorsOf(text), 'DSL_UNKNOWN_KEY', 'accounts.yml', lineOf(text, 'regoin'));
    expect(error.message).toContain("did you mean 'region'?");
    expect(error.location?.column).toBe(5);
  });

  it('explains keys set on the wrong layer', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    organization_unit: Dev\n`);
    const error = expectOne(
      errorsOf(text),
      'DSL_UNKNOWN_KEY',
      'accounts.yml',
      lineOf(text, 'organization_unit: Dev', 2),
    );
    expect(error.hint).toContain('set on a scope');
  });

  it('reports a wrong type at the value', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    nat_gateway_count: three\n`);
    const error = expectOne(errorsOf(text), 'DSL_INVALID_TYPE', 'accounts.yml', lineOf(text, 'three'));
    expect(error.message).toContain("accounts.foo.nat_gateway_count must be a number, got 'three'");
    expect(error.location?.column).toBe(24);
  });

  it('tells to quote an account id YAML read as a number', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    id: 012345678901\n`);
    const error = expectOne(errorsOf(text), 'DSL_INVALID_TYPE', 'accounts.yml', lineOf(text, 'id: 0'));
    expect(error.hint).toContain("id: '012345678901'");
    // Quoted as written, whatever number YAML made of it (0o... is octal).
    const octal = withAccounts(`  foo:\n    scope: dev\n    id: 0o12345670123\n`);
    const read = expectOne(errorsOf(octal), 'DSL_INVALID_TYPE', 'accounts.yml', lineOf(octal, 'id: 0'));
    expect(read.hint).toContain("id: '0o12345670123'");
  });

  it('reports a missing required key at the parent', () => {
    const text = withAccounts(`  foo:\n    service: foo\n`);
    const error = expectOne(errorsOf(text), 'DSL_MISSING_KEY', 'accounts.yml', lineOf(text, '  foo:'));
    expect(error.message).toContain("missing required key 'scope' in accounts.foo");
  });

  it('reports an invalid account key', () => {
    const text = withAccounts(`  Foo_Bar!:\n    scope: dev\n`);
    expectOne(errorsOf(text), 'DSL_INVALID_KEY', 'accounts.yml', lineOf(text, 'Foo_Bar'));
  });

  it('reports an unknown top-level section', () => {
    const text = `${BASE}scope:\n  x: 1\n`;
    const error = expectOne(
      errorsOf(text),
      'DSL_UNKNOWN_KEY',
      'accounts.yml',
      text.split('\n').indexOf('scope:') + 1,
    );
    expect(error.message).toContain("did you mean 'scopes'?");
  });

  it('reports YAML syntax errors with their position, not a stack trace', () => {
    const text = withAccounts(`  foo:\n    scope: [dev\n`);
    const errors = errorsOf(text);
    expect(errors.every((e) => e.code === 'DSL_YAML_SYNTAX' && e.location?.file === 'accounts.yml')).toBe(
      true,
    );
    expect(errors[0]?.location?.line).toBeGreaterThanOrEqual(lineOf(text, 'scope: [dev'));
  });

  it('a tab in the indentation is one error: what the parser reads out of step after it is not reported', () => {
    // In the example the parser, out of step after the tab, puts the account `notifications`
    // beside the top-level `notifications:`, a duplicate key that is not there.
    const example = readFileSync(join(ROOT, 'examples', 'accounts.yml'), 'utf8');
    const text = example.replace('  cicd:\n    scope: infra\n', '  cicd:\n\tscope: infra\n');
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_YAML_SYNTAX', lineOf(text, '\tscope')],
    ]);
    expect(errors[0]?.message).toContain('Tabs are not allowed as indentation');
    // A duplicate key before the tab was read in step: it is a mistake of its own.
    const both = text.replace('  event_bus: ', '  event_bus: x\n  event_bus: ');
    expect(errorsOf(both).map((e) => e.code)).toEqual(['DSL_DUPLICATE_KEY', 'DSL_YAML_SYNTAX']);
  });

  it('an OU name ending in a space is one error: policies and stacks naming that scope or OU are not', () => {
    const text = BASE.replace('    organization_unit: Dev\n', "    organization_unit: 'Dev '\n");
    const scp = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"x:Y","Resource":"*"}]}';
    const errors = errorsOf(text, [
      policy('policies/scp/Dev/deny-x.json', scp),
      { path: 'stacks/alarms/stack.yml', text: 'targets:\n  scopes: [dev]\n  organization_units: [Dev]\n' },
      { path: 'stacks/alarms/template.yml', text: 'Resources:\n  T:\n    Type: AWS::SNS::Topic\n' },
    ]);
    const error = expectOne(errors, 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, "'Dev '"));
    expect(error.message).toContain('no name starting or ending with a space');
    expect(errors).toHaveLength(1);
  });

  it('says in its own words when a file holds two documents or nests too deeply', () => {
    const two = `${BASE}---\nfoo: bar\n`;
    const [split] = errorsOf(two);
    expect(split?.message).toBe(
      'invalid YAML: the file holds more than one YAML document (a `---` line starts another)',
    );
    expect(split?.location?.line).toBe(lineOf(two, '---'));
    const deep = BASE.replace('  tags:\n', `  tags: {a: ${'['.repeat(5000)}${']'.repeat(5000)}}\n`);
    const [nested] = errorsOf(deep);
    expect(nested?.message).toBe('invalid YAML: the document is nested too deeply to read');
    expect(nested?.hint).toContain('check the indentation');
  });

  it('refuses a key YAML reads as a number that prints otherwise (007, 1e3), asking for quotes', () => {
    const text = withAccounts(`  007:\n    scope: dev\n  1e3:\n    scope: dev\n  '042':\n    scope: dev\n`);
    const errors = errorsOf(text).filter((e) => e.code === 'DSL_KEY_NOT_TEXT');
    expect(errors.map((e) => [e.location?.line, e.message, e.hint])).toEqual([
      [
        lineOf(text, '  007:'),
        "the key 007 is read as the number 7, which prints as '7'",
        "quote it ('007') to keep it as written",
      ],
      [
        lineOf(text, '  1e3:'),
        "the key 1e3 is read as the number 1000, which prints as '1000'",
        "quote it ('1e3') to keep it as written",
      ],
    ]);
  });

  it('refuses a tag value YAML reads as a number or boolean that prints otherwise, at its line', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    tags:\n      cc: 0042\n      rate: 1.50\n      flag: True\n      count: 7\n      quoted: '0042'\n      on: true\n`,
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line, e.message])).toEqual([
      [
        'DSL_TAG_VALUE_NOT_TEXT',
        lineOf(text, 'cc: 0042'),
        "tag 'cc': 0042 is read as the number 42, so the tag's value would be '42'",
      ],
      [
        'DSL_TAG_VALUE_NOT_TEXT',
        lineOf(text, 'rate: 1.50'),
        "tag 'rate': 1.50 is read as the number 1.5, so the tag's value would be '1.5'",
      ],
      [
        'DSL_TAG_VALUE_NOT_TEXT',
        lineOf(text, 'flag: True'),
        "tag 'flag': True is read as the boolean true, so the tag's value would be 'true'",
      ],
    ]);
    // The same in defaults, where one line reaches every account.
    const inDefaults = BASE.replace('  tags:\n', '  tags:\n    zip: 01234\n');
    expect(inDefaults).not.toBe(BASE);
    expectOne(
      errorsOf(inDefaults),
      'DSL_TAG_VALUE_NOT_TEXT',
      'accounts.yml',
      lineOf(inDefaults, 'zip: 01234'),
    );
  });

  it('reports duplicate keys', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n  foo:\n    scope: dev\n`);
    expectOne(errorsOf(text), 'DSL_DUPLICATE_KEY', 'accounts.yml', lineOf(text, '  foo:', 2));
  });

  it.each([
    ['a tag', `  foo:\n    scope: dev\n    tags:\n      __proto__: x\n`],
    [
      'a scope',
      `  foo:\n    scope: dev\n`,
      (t: string) => t.replace('scopes:\n', 'scopes:\n  __proto__:\n    organization_unit: Dev\n'),
    ],
  ])("reports a key named '__proto__' (%s) rather than losing it", (_what, accounts, edit = (t: string) =>
    t) => {
    const text = edit(withAccounts(accounts));
    const error = expectOne(errorsOf(text), 'DSL_INVALID_KEY', 'accounts.yml', lineOf(text, '__proto__'));
    expect(error.message).toBe("'__proto__' cannot be a key");
  });

  it.each([
    ['a map under ?', `  ? scope: dev\n    region: x\n  : 1\n`, '  ? scope: dev', 'map'],
    ['a flow list', `  [foo, bar]: 1\n`, '  [foo, bar]:', 'list'],
  ])('reports a complex key (%s) once, on one line, at its text', (_what, accounts, line, kind) => {
    const text = withAccounts(accounts);
    const errors = errorsOf(text);
    const error = expectOne(errors, 'DSL_KEY_NOT_TEXT', 'accounts.yml', lineOf(text, line));
    expect(error.message).toBe(`a key must be plain text, not a ${kind}`);
    expect(errors.every((e) => !e.message.includes('\n'))).toBe(true);
    expect(error.location?.column).toBe(line.indexOf(kind === 'map' ? 'scope' : '[') + 1);
  });

  it.each([
    ['a CloudFormation tag', `  foo:\n    scope: dev\n    region: !Ref Region\n`, '!Ref', '!Ref'],
    ['an unknown tag on a key', `  !custom foo:\n    scope: dev\n`, '!custom', '!custom'],
    [
      'a date',
      `  foo:\n    scope: dev\n    tags:\n      since: !!timestamp 2001-12-14\n`,
      '!!timestamp',
      '!!timestamp',
    ],
  ])('refuses %s at the tag, instead of reading the value without it', (_what, accounts, tag, shown) => {
    const text = withAccounts(accounts);
    const errors = errorsOf(text);
    const error = expectOne(errors, 'DSL_YAML_TAG', 'accounts.yml', lineOf(text, tag));
    expect(error.message).toBe(`the YAML tag ${shown} has no meaning in orgbridge's files`);
    expect(error.location?.column).toBe((text.split('\n')[lineOf(text, tag) - 1] as string).indexOf(tag) + 1);
    expect(errors).toHaveLength(1);
  });

  it('accepts the core schema tags, which only restate a value', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n      code: !!str 0042\n`);
    expect(resolveOk(text).accounts.find((a) => a.key === 'foo')?.tags.code).toBe('0042');
  });

  it('collects errors from every account, not only the first', () => {
    const text = withAccounts(
      `  a1:\n    scope: dev\n    create_vpc: yes\n  a2:\n    scope: dev\n    use_cfr: 1\n`,
    );
    const errors = errorsOf(text).filter((e) => e.code === 'DSL_INVALID_TYPE');
    expect(errors.map((e) => e.location?.line)).toEqual([
      lineOf(text, 'create_vpc: yes'),
      lineOf(text, 'use_cfr: 1'),
    ]);
  });
});

describe('resolution errors', () => {
  it('reports an unknown scope with a did-you-mean', () => {
    const text = withAccounts(`  foo:\n    scope: deev\n`);
    const error = expectOne(errorsOf(text), 'DSL_UNKNOWN_SCOPE', 'accounts.yml', lineOf(text, 'scope: deev'));
    expect(error.message).toContain("did you mean 'dev'?");
  });

  it('reports an unknown template placeholder', () => {
    const text = BASE.replace(
      "email_template: 'aws+{name}@example.com'",
      "email_template: 'aws+{nmae}@example.com'",
    );
    const errors = errorsOf(text);
    const error = expectOne(
      errors,
      'DSL_UNKNOWN_PLACEHOLDER',
      'accounts.yml',
      lineOf(text, 'email_template'),
    );
    expect(error.message).toContain("did you mean 'name'?");
  });

  it('reports a configured tag that orgbridge sets itself', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n      environment: live\n`);
    expectOne(errorsOf(text), 'DSL_RESERVED_TAG', 'accounts.yml', lineOf(text, 'environment: live'));
  });

  it('reports a missing region once per scope', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n`)
      .replace('  region: ap-southeast-2\n', '')
      .replace('    environment: prod\n', '    environment: prod\n    region: us-east-1\n');
    const error = expectOne(errorsOf(text), 'DSL_MISSING_SETTING', 'accounts.yml', lineOf(text, '  dev:'));
    expect(error.message).toContain('foo');
  });
});

describe('rules', () => {
  it('region-in-regions: a region outside `regions`', () => {
    const text = withAccounts(`  foo:\n    scope: dev\n    region: eu-west-1\n`);
    const error = expectOne(
      errorsOf(text),
      'DSL_REGION_NOT_ALLOWED',
      'accounts.yml',
      lineOf(text, 'eu-west-1'),
    );
    expect(error.hint).toContain(`accounts.yml:${lineOf(text, 'regions:')}`);
  });

  it('region-in-regions: reported once when a scope sets the region for all its accounts', () => {
    const text = withAccounts(`  a1:\n    scope: dev\n  a2:\n    scope: dev\n`).replace(
      '    create_vpc: true\n',
      '    create_vpc: true\n    region: eu-west-1\n',
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_REGION_NOT_ALLOWED',
      'accounts.yml',
      lineOf(text, 'eu-west-1'),
    );
    expect(error.message).toContain('(and 1 more accounts)');
  });

  it('unique-account-names: two accounts with the same resolved name', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n  bar:\n    scope: dev\n    name: foo-nonprod-ap-southeast-2\n`,
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_DUPLICATE_NAME',
      'accounts.yml',
      lineOf(text, 'name: foo-nonprod'),
    );
    expect(error.message).toContain("also the name of account 'foo'");
  });

  it('unique-account-emails: case-insensitive', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    email: Team@Example.com\n  bar:\n    scope: dev\n    email: team@example.com\n`,
    );
    expectOne(errorsOf(text), 'DSL_DUPLICATE_EMAIL', 'accounts.yml', lineOf(text, 'email: team@example.com'));
  });

  it('account-email-format: length and syntax', () => {
    const long = `${'x'.repeat(60)}@example.com`;
    const text = withAccounts(
      `  foo:\n    scope: dev\n    email: a@b.c\n  bar:\n    scope: dev\n    email: ${long}\n  baz:\n    scope: dev\n    email: not-an-email\n`,
    );
    const errors = errorsOf(text).filter((e) => e.code === 'DSL_INVALID_EMAIL');
    expect(errors.map((e) => e.location?.line)).toEqual([
      lineOf(text, 'email: a@b.c'),
      lineOf(text, `email: ${long}`),
      lineOf(text, 'not-an-email'),
    ]);
    // The hint speaks of what made the address: here each account's own `email:`.
    expect(errors.map((e) => e.hint)).toEqual([
      "write the account's `email:` as a whole address",
      "write the account's `email:` as a whole address of at most 64 characters",
      "write the account's `email:` as a whole address",
    ]);
    // A template that makes no address is named as the cause.
    const template = BASE.replace(/email_template: .*\n/, "email_template: '{name}'\n");
    expect(template).not.toBe(BASE);
    const fromTemplate = errorsOf(template).find((e) => e.code === 'DSL_INVALID_EMAIL');
    expect(fromTemplate?.hint).toContain('organization.email_template must make an address');
  });

  it('account-name-format: longer than 50 characters', () => {
    const key = 'a'.repeat(40);
    const text = withAccounts(`  ${key}:\n    scope: dev\n    email: x@example.com\n`);
    const error = expectOne(
      errorsOf(text),
      'DSL_INVALID_ACCOUNT_NAME',
      'accounts.yml',
      lineOf(text, `${key}:`),
    );
    expect(error.message).toContain('is 63 characters; AWS accepts 1 to 50');
  });

  it('unique-account-ids: one AWS account adopted twice', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    id: '123456789012'\n  goo:\n    scope: dev\n    id: '123456789012'\n`,
    );
    expectOne(
      errorsOf(text),
      'DSL_DUPLICATE_ACCOUNT_ID',
      'accounts.yml',
      lineOf(text, "id: '123456789012'", 2),
    );
  });

  it('special-accounts-exist: organization names an account that is not defined', () => {
    const text = BASE.replace('  logs: logs', '  logs: log');
    const error = expectOne(
      errorsOf(text),
      'DSL_UNKNOWN_SPECIAL_ACCOUNT',
      'accounts.yml',
      lineOf(text, 'logs: log'),
    );
    expect(error.message).toContain("did you mean 'logs'?");
  });

  it('organization-unit-spelling: one OU spelt with two letter cases is refused at the later scope', () => {
    const text = BASE.replace(
      'scopes:\n',
      'scopes:\n  infra2:\n    organization_unit: Internal/INFRA/Deep\n',
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_OU_CASE',
      'accounts.yml',
      lineOf(text, 'organization_unit: Internal/Infra'),
    );
    expect(error.message).toBe(
      "scope 'infra': OU 'Internal/Infra' differs only in letter case from 'Internal/INFRA' (scope 'infra2')",
    );
    // The same spelling twice, and a bare name that only looks like the morgue, are fine.
    const fine = BASE.replace(
      'scopes:\n',
      'scopes:\n  infra2:\n    organization_unit: Internal/Infra/Deep\n  m:\n    organization_unit: morgue\n',
    );
    expect(resolveOk(fine).scopes.m?.organization_unit).toBe('Internal/morgue');
  });

  it('special-accounts-distinct: two special roles cannot share an account', () => {
    const text = BASE.replace('  logs: logs', '  logs: dns');
    const error = expectOne(
      errorsOf(text),
      'DSL_SPECIAL_ACCOUNT_SHARED',
      'accounts.yml',
      lineOf(text, 'logs: dns'),
    );
    expect(error.message).toBe(
      "organization.logs: account 'dns' is already the dns account (organization.dns); each special account has one role",
    );
    // The role written first keeps the account, wherever the roles are in the file.
    const reordered = text.replace(/ {2}dns: dns\n/, '').replace('  logs: dns', '  logs: dns\n  dns: dns');
    const moved = expectOne(
      errorsOf(reordered),
      'DSL_SPECIAL_ACCOUNT_SHARED',
      'accounts.yml',
      lineOf(reordered, '  dns: dns'),
    );
    expect(moved.message).toContain('already the logs account');
  });

  it('dns-zone-names: with dns_parent_domain, an account name must be a DNS label', () => {
    const withParent = BASE.replace(
      '  event_bus: bus\n',
      '  event_bus: bus\n  dns_parent_domain: aws.example.com\n',
    );
    const text = withAccounts(
      `  foo:\n    scope: dev\n    name: Foo Shop\n    email: foo@example.com\n`,
      withParent,
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_DNS_ZONE_NAME_INVALID',
      'accounts.yml',
      lineOf(text, 'Foo Shop'),
    );
    expect(error.message).toContain(
      "name 'Foo Shop' cannot be the first label of its DNS zone under aws.example.com",
    );
    // The same name without a parent domain is fine: no zone is made.
    resolveOk(withAccounts(`  foo:\n    scope: dev\n    name: Foo Shop\n    email: foo@example.com\n`));
    // Two names that differ only in case would be one zone.
    const twice = withAccounts(
      `  foo:\n    scope: dev\n    name: shop\n  goo:\n    scope: dev\n    name: Shop\n`,
      withParent,
    );
    const clash = expectOne(
      errorsOf(twice),
      'DSL_DNS_ZONE_NAME_INVALID',
      'accounts.yml',
      lineOf(twice, 'name: Shop'),
    );
    expect(clash.message).toContain(
      "gives the DNS zone shop.aws.example.com, which account 'foo' ('shop') has already",
    );
  });

  it('dns-domains-disjoint: the same domain claimed twice', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    allowed_dns_domains: [foo.example.com]\n  goo:\n    scope: dev\n    allowed_dns_domains:\n      - foo.example.com\n`,
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_DNS_DOMAIN_CONFLICT',
      'accounts.yml',
      lineOf(text, '- foo.example.com'),
    );
    expect(error.message).toContain("also claimed by account 'foo'");
  });

  it("dns-domains-disjoint: a domain inside another account's domain", () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    allowed_dns_domains: [example.com]\n  goo:\n    scope: dev\n    allowed_dns_domains: [api.shop.example.com]\n`,
    );
    const error = expectOne(
      errorsOf(text),
      'DSL_DNS_DOMAIN_CONFLICT',
      'accounts.yml',
      lineOf(text, 'api.shop'),
    );
    expect(error.message).toContain("inside 'example.com' of account 'foo'");
  });

  it('dns-domains-disjoint: one account may nest its own domains', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    allowed_dns_domains: [example.com, api.example.com]\n`,
    );
    expect(resolveOk(text).accounts.find((a) => a.key === 'foo')?.allowed_dns_domains).toHaveLength(2);
  });

  it('ecr-pull-grants-match: an unknown environment is an error', () => {
    const ecr = `- name: foo\n  pull:\n    - environment: nonprd\n      services: [mgmt]\n    - services: [mgnt]\n`;
    const errors = errorsOf(withAccounts('  foo:\n    scope: dev\n'), [{ path: 'ecr.yml', text: ecr }]);
    expect(expectOne(errors, 'DSL_ECR_UNKNOWN_ENVIRONMENT', 'ecr.yml', 3).message).toContain(
      "did you mean 'nonprod'?",
    );
    // The unknown service is a warning: it does not add to the errors.
    expect(errors.map((e) => e.code)).toEqual(['DSL_ECR_UNKNOWN_ENVIRONMENT']);
  });

  it('ecr.yml: a pull grant without services is a missing key at the grant, not a garbled value', () => {
    const ecr = `- name: foo\n  pull:\n    - environment: nonprod\n`;
    const errors = errorsOf(withAccounts('  foo:\n    scope: dev\n'), [{ path: 'ecr.yml', text: ecr }]);
    const error = expectOne(errors, 'DSL_MISSING_KEY', 'ecr.yml', 3);
    // The repository by its name, the grant by its position.
    expect(error.message).toBe("missing required key 'services' in foo.pull[0]");
    expect(error.hint).toBe('add `services:`');
  });

  it.each([
    ['event_bus: default', "must be a custom bus name: not 'default'"],
    ['event_bus: aws.partner.x', "not starting with 'aws.' (partner buses)"],
    ['event_source: aws.orgbridge', "must not start with 'aws.'"],
  ])('organization.%s is refused at its line: EventBridge would', (setting, message) => {
    const text = BASE.replace(
      '  event_bus: bus\n',
      setting.startsWith('event_bus') ? `  ${setting}\n` : `  event_bus: bus\n  ${setting}\n`,
    );
    expect(text).not.toBe(BASE);
    const error = expectOne(errorsOf(text), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, setting));
    expect(error.message).toContain(message);
  });

  it('ecr.yml: a lifecycle of 0 days or more days than ECR counts is refused at its line', () => {
    const ecr = [
      '- name: a0',
      '  lifecycle:',
      '    - untagged: "0 days"',
      '    - dev-: "99999999999 days"',
      '    - tmp-: "1 day"',
      '',
    ].join('\n');
    const errors = errorsOf(withAccounts('  foo:\n    scope: dev\n'), [{ path: 'ecr.yml', text: ecr }]);
    const message = 'must be 1 to 2147483647 days: ECR expires images after a positive number of days';
    expect(errors.map((e) => [e.location?.line, e.message])).toEqual([
      [3, `a0.lifecycle[0].untagged: '0 days' ${message}`],
      [4, `a0.lifecycle[1].dev-: '99999999999 days' ${message}`],
    ]);
  });

  it('ecr.yml: a bad repository name, service or duration says what is accepted, at its line', () => {
    const ecr = [
      '- name: Checkout_Web!',
      '- name: ledger',
      '  lifecycle:',
      '    - untagged: "3 dayz"',
      '  pull:',
      '    - services: [foo, Reporting Svc]',
      '',
    ].join('\n');
    const errors = errorsOf(withAccounts('  foo:\n    scope: dev\n'), [{ path: 'ecr.yml', text: ecr }]);
    expect(errors.map((e) => [e.location?.line, e.message])).toEqual([
      [
        1,
        "[0].name: 'Checkout_Web!' must be an ECR repository name: 2 to 256 lowercase letters and digits, separated by single '.', '_', '-' or '/' (such as team/checkout-web)",
      ],
      [4, `ledger.lifecycle[0].untagged: '3 dayz' must be a duration such as "7 days"`],
      [
        6,
        "ledger.pull[0].services[1]: 'Reporting Svc' must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
      ],
    ]);
  });

  it('ecr-pull-grants-match: a service no account runs (any more) is a warning naming ecr.yml', () => {
    const ecr = `- name: foo\n  pull:\n    - services: [mgnt]\n    - environment: nonprod\n      services: mgmt\n`;
    const more = [{ path: 'ecr.yml', text: ecr }];
    const warnings = warningsOf(withAccounts('  foo:\n    scope: dev\n'), more);
    expect(warnings.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_ECR_UNKNOWN_SERVICE', 'ecr.yml', 3],
      ['DSL_ECR_UNKNOWN_SERVICE', 'ecr.yml', 5],
    ]);
    expect(warnings[0]?.message).toContain("did you mean 'mgmt'?");
    expect(warnings[1]?.message).toContain("has no account in environment 'nonprod'");
    expect(warnings[0]?.hint).toContain('being retired');
    // With a known service, nothing to say.
    const fine = `- name: foo\n  pull:\n    - environment: prod\n      services: mgmt\n`;
    expect(warningsOf(withAccounts('  foo:\n    scope: dev\n'), [{ path: 'ecr.yml', text: fine }])).toEqual(
      [],
    );
  });

  it('ecr-unique-repositories and ecr schema errors', () => {
    const ecr = `- name: foo\n- name: foo\n  lifecycle:\n    - dev-: "seven days"\n`;
    const errors = errorsOf(BASE, [{ path: 'ecr.yml', text: ecr }]);
    expectOne(errors, 'DSL_INVALID_VALUE', 'ecr.yml', 4);
  });

  it('ecr-unique-repositories: a repository defined twice', () => {
    const ecr = `- name: foo\n- name: foo\n`;
    expectOne(errorsOf(BASE, [{ path: 'ecr.yml', text: ecr }]), 'DSL_ECR_DUPLICATE_REPOSITORY', 'ecr.yml', 2);
  });

  it('policies: invalid JSON is positioned inside the file', () => {
    const errors = errorsOf(BASE, [
      policy('policies/scp/Internal/Dev/broken.json', '{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}'),
    ]);
    const error = expectOne(errors, 'DSL_POLICY_INVALID_JSON', 'policies/scp/Internal/Dev/broken.json', 3);
    expect(error.location?.column).toBe(17);
  });

  it('policies: a key written twice in one object is refused where it repeats, not left to the last', () => {
    const text = [
      '{',
      '  "Version": "2012-10-17",',
      '  "Statement": [',
      '    {"Effect": "Deny", "Action": "*", "Resource": "*",',
      '     "Effect": "Allow"}',
      '  ]',
      '}',
    ].join('\n');
    const errors = errorsOf(BASE, [policy('policies/scp/Internal/Dev/twice.json', text)]);
    const error = expectOne(errors, 'DSL_POLICY_DUPLICATE_KEY', 'policies/scp/Internal/Dev/twice.json', 5);
    expect(error.location?.column).toBe(6);
    expect(error.message).toBe(
      'key "Effect" is written twice in one object (first at line 4): JSON keeps only the last',
    );
    // The same key in two different objects is no repetition.
    const fine =
      '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"*","Resource":"*"}]}';
    const resolved = resolveOk(BASE, [policy('policies/scp/Internal/Dev/fine.json', fine)]);
    expect(resolved.policies.map((p) => p.name)).toContain('fine');
  });

  it('policies: over the size limit after minifying (configurable)', () => {
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'x:Y', Resource: 'r'.repeat(200) }],
    });
    const limited = BASE.replace(
      '  event_bus: bus\n',
      '  event_bus: bus\n  limits:\n    scp_max_chars: 100\n',
    );
    expectOne(
      errorsOf(limited, [policy('policies/scp/Internal/big.json', big)]),
      'DSL_POLICY_TOO_LARGE',
      'policies/scp/Internal/big.json',
      1,
    );
    // whitespace does not count: the same policy pretty-printed passes the default limit
    resolveOk(BASE, [policy('policies/scp/Internal/big.json', JSON.stringify(JSON.parse(big), null, 8))]);
  });

  it('policies: targeting an OU no scope uses', () => {
    const errors = errorsOf(BASE, [policy('policies/scp/Internal/Deve/x.json', SCP)]);
    const error = expectOne(errors, 'DSL_POLICY_UNKNOWN_OU', 'policies/scp/Internal/Deve/x.json', 1);
    expect(error.message).toContain("did you mean 'Internal/Dev'?");
    expect(error.hint).toMatch(/^OUs of this configuration: '' \(the root\), Internal, /);
  });

  it('policies: more SCPs per OU than allowed, counting FullAWSAccess', () => {
    const scps = [1, 2, 3, 4, 5].map((i) =>
      policy(`policies/scp/Internal/Dev/p${i}.json`, SCP.replace('x:Y', `x:Y${i}`)),
    );
    const errors = errorsOf(BASE, scps);
    const error = expectOne(errors, 'DSL_TOO_MANY_POLICIES', 'policies/scp/Internal/Dev/p5.json', 1);
    expect(error.message).toContain('FullAWSAccess');
    resolveOk(BASE, scps.slice(0, 4));
  });

  it('policies: unknown inheritance operators in tag and backup policies', () => {
    const tag =
      '{\n  "tags": {\n    "team": {\n      "tag_key": {"@@asign": "team"},\n      "tag_value": {"@@operators_allowed_for_child_policies": ["@@nothing"]}\n    }\n  }\n}';
    const errors = errorsOf(BASE, [policy('policies/tag/Internal/team.json', tag)]).filter(
      (e) => e.code === 'DSL_POLICY_UNKNOWN_OPERATOR',
    );
    expect(errors.map((e) => e.location?.line)).toEqual([4, 5]);
    expect(errors[0]?.message).toContain("did you mean '@@assign'?");
  });

  it('policies: a policy folder that is not a policy type', () => {
    expectOne(
      errorsOf(BASE, [policy('policies/scps/Internal/x.json', SCP)]),
      'DSL_POLICY_UNKNOWN_TYPE',
      'policies/scps/Internal/x.json',
      1,
    );
  });

  it('policies: a file name AWS cannot take as a policy name, or would cut to another', () => {
    // orgbridge-scp- and 114 characters are 128, AWS's most: two names alike in those would be one.
    const long = (end: string) => `deny-${'x'.repeat(109)}${end}`;
    const files = [long('-s3'), long('-ec2'), long(''), '', 'déni'].map((name) =>
      policy(`policies/scp/Internal/${name}.json`, SCP),
    );
    const errors = errorsOf(BASE, files).filter((e) => e.code === 'DSL_POLICY_NAME_INVALID');
    expect(errors.map((e) => e.location?.file).sort()).toEqual(
      [long('-s3'), long('-ec2'), '', 'déni'].map((name) => `policies/scp/Internal/${name}.json`).sort(),
    );
    expect(errors.find((e) => e.location?.file.includes('-ec2'))?.message).toContain('at most 114');
  });

  it('organization-units: nesting deeper than ou_depth', () => {
    const text = BASE.replace(
      'organization_unit: Internal/Infra',
      'organization_unit: Internal/A/B/C/D/Infra',
    );
    const error = expectOne(errorsOf(text), 'DSL_OU_TOO_DEEP', 'accounts.yml', lineOf(text, 'Internal/A/B'));
    expect(error.message).toContain('6 levels');
  });

  it('tags-per-account: more than tags_per_account tags, seed tags included', () => {
    const tags = Array.from({ length: 46 }, (_, i) => `      t${i}: v`).join('\n');
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n${tags}\n`);
    const error = expectOne(errorsOf(text), 'DSL_TOO_MANY_TAGS', 'accounts.yml', lineOf(text, '  foo:'));
    expect(error.message).toContain('51 tags');
  });

  it('every error of a broken config is reported at once, sorted by position', () => {
    const text = withAccounts(
      `  foo:\n    scope: deev\n  bar:\n    scope: dev\n    region: eu-west-1\n    create_vpc: nope\n`,
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code).sort()).toEqual(['DSL_INVALID_TYPE', 'DSL_UNKNOWN_SCOPE']);
  });
});

describe('more rules', () => {
  it('organization-units: a scope inside the morgue, and morgue_ou equal to root_ou', () => {
    const text = BASE.replace('organization_unit: Internal/Infra', 'organization_unit: Morgue/Infra');
    expectOne(errorsOf(text), 'DSL_SCOPE_IN_MORGUE', 'accounts.yml', lineOf(text, 'Morgue/Infra'));
    const same = BASE.replace('morgue_ou: Morgue', 'morgue_ou: Internal');
    const error = expectOne(errorsOf(same), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(same, 'morgue_ou'));
    expect(error.message).toContain('must differ from root_ou');
  });

  it('organization-units: a scope outside root_ou, unless only the management account uses it', () => {
    const text = BASE.replace('organization_unit: Internal/Infra', 'organization_unit: Legacy/Infra');
    const error = expectOne(
      errorsOf(text),
      'DSL_OU_OUTSIDE_ROOT',
      'accounts.yml',
      lineOf(text, 'Legacy/Infra'),
    );
    expect(error.message).toContain("outside organization.root_ou 'Internal'");
    expect(error.hint).toContain("'Internal/Infra'");
    expect(error.format()).toContain(`accounts.yml:${lineOf(text, 'Legacy/Infra')}`);
    // A scope for the management account alone: it is never created or moved, so it may sit elsewhere.
    const management = withAccounts(
      '',
      BASE.replace('  mgmt:\n    scope: infra', '  mgmt:\n    scope: root').replace(
        'scopes:\n',
        'scopes:\n  root:\n    organization_unit: Legacy/Management\n',
      ),
    );
    expect(resolveOk(management).accounts.find((a) => a.key === 'mgmt')?.organization_unit).toBe(
      'Legacy/Management',
    );
    // The morgue is reported as such, not twice.
    const morgue = BASE.replace('organization_unit: Internal/Infra', 'organization_unit: Morgue/Infra');
    expect(errorsOf(morgue).map((e) => e.code)).not.toContain('DSL_OU_OUTSIDE_ROOT');
  });

  it('an email template without {name} or {key} would give every account one email', () => {
    const text = BASE.replace(
      "email_template: 'aws+{name}@example.com'",
      "email_template: 'aws+{region}@example.com'",
    );
    expectOne(errorsOf(text), 'DSL_TEMPLATE_NOT_UNIQUE', 'accounts.yml', lineOf(text, 'email_template'));
  });

  it('access entries must be role names', () => {
    const text = BASE.replace('rw: PowerUser,Developer', "rw: 'PowerUser,,Developer'");
    expectOne(errorsOf(text), 'DSL_INVALID_ACCESS', 'accounts.yml', lineOf(text, 'rw:'));
  });

  it('access may not name a role orgbridge or Organizations already has in every account', () => {
    // IAM role names ignore case: automationrole is AutomationRole.
    for (const role of [
      'AutomationRole',
      'orgbridge-backup',
      'OrganizationAccountAccessRole',
      'automationrole',
      'Orgbridge-Backup',
    ]) {
      const text = BASE.replace('rw: PowerUser,Developer', `rw: PowerUser,${role}`);
      const error = expectOne(
        errorsOf(text),
        'DSL_ACCESS_RESERVED_ROLE',
        'accounts.yml',
        lineOf(text, 'rw:'),
      );
      expect(error.message).toContain(`access 'rw': ${role} is a role name`);
    }
  });

  it("every region is in the home region's partition: an organization lives in one", () => {
    const china = BASE.replace(
      'regions: [ap-southeast-2, us-east-1]',
      'regions: [ap-southeast-2, cn-north-1]',
    );
    const error = expectOne(
      errorsOf(china),
      'DSL_REGION_NOT_ALLOWED',
      'accounts.yml',
      lineOf(china, 'regions:'),
    );
    expect(error.message).toContain('cn-north-1 is outside partition aws of the home region ap-southeast-2');
    const gov = BASE.replace(
      'regions: [ap-southeast-2, us-east-1]',
      'regions: [ap-southeast-2, us-east-1]\n  global_region: us-gov-west-1',
    );
    expectOne(errorsOf(gov), 'DSL_REGION_NOT_ALLOWED', 'accounts.yml', lineOf(gov, 'global_region:'));
    // Every region of one partition is fine, GovCloud's too.
    const allGov = BASE.replace(
      'region: ap-southeast-2\n  regions: [ap-southeast-2, us-east-1]',
      'region: us-gov-west-1\n  regions: [us-gov-west-1, us-gov-east-1]\n  global_region: us-gov-west-1',
    );
    expect(allGov).toContain('region: us-gov-west-1');
    expect(resolveOk(allGov).accounts.length).toBeGreaterThan(0);
  });

  it('root_ou and morgue_ou are OU names without spaces at their ends, as scope OUs are', () => {
    for (const [key, was, value] of [
      ['root_ou', 'Internal', "'Internal '"],
      ['morgue_ou', 'Morgue', "' Morgue'"],
    ]) {
      const text = BASE.replace(`${key}: ${was}`, `${key}: ${value}`);
      expect(text).toContain(`${key}: ${value}`);
      const error = expectOne(errorsOf(text), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, `${key}:`));
      expect(error.message).toContain('not starting or ending with a space');
    }
  });

  it('access spells each role one way: IAM role names ignore case', () => {
    for (const access of [
      "rw: 'PowerUser,Developer,developer'",
      "rw: PowerUser,Developer\n      ro: 'DEVELOPER'",
    ]) {
      const text = BASE.replace('rw: PowerUser,Developer', access);
      const error = expectOne(
        errorsOf(text),
        'DSL_INVALID_ACCESS',
        'accounts.yml',
        lineOf(text, (access.split('\n').at(-1) as string).trim()),
      );
      expect(error.message).toMatch(/developer and Developer|DEVELOPER and Developer/);
    }
  });

  it("access group names fit IAM's 64 characters in the group role's name", () => {
    const fits = 'g'.repeat(48);
    expect(
      resolveOk(BASE.replace('rw: PowerUser,Developer', `${fits}: PowerUser`)).accounts.length,
    ).toBeGreaterThan(0);
    const long = 'g'.repeat(49);
    const text = BASE.replace('rw: PowerUser,Developer', `${long}: PowerUser`);
    const error = expectOne(errorsOf(text), 'DSL_INVALID_ACCESS', 'accounts.yml', lineOf(text, long));
    expect(error.message).toContain('would have 65 characters, IAM allows 64');
  });

  it('policies: an SCP without Statement, and a policy that is not an object', () => {
    const errors = errorsOf(BASE, [
      policy('policies/scp/Internal/a.json', '{"Version": "2012-10-17"}'),
      policy('policies/tag/Internal/b.json', '[1]'),
    ]);
    expect(errors.filter((e) => e.code === 'DSL_POLICY_INVALID').map((e) => e.location?.file)).toEqual([
      'policies/scp/Internal/a.json',
      'policies/tag/Internal/b.json',
    ]);
  });

  it('policies: one name, two different documents', () => {
    const other = SCP.replace('x:Y', 'x:Z');
    const errors = errorsOf(withAccounts(''), [
      policy('policies/scp/Internal/Dev/guard.json', SCP),
      policy('policies/scp/Internal/Infra/guard.json', other),
    ]);
    expectOne(errors, 'DSL_DUPLICATE_POLICY_NAME', 'policies/scp/Internal/Infra/guard.json', 1);
    resolveOk(BASE, [
      policy('policies/scp/Internal/Dev/guard.json', SCP),
      policy('policies/scp/Internal/Infra/guard.json', SCP),
    ]);
  });

  it('policies: a file directly under the type folder that accounts.yml attaches nowhere', () => {
    const error = expectOne(
      errorsOf(BASE, [policy('policies/scp/x.json', SCP)]),
      'DSL_POLICY_NO_TARGET',
      'policies/scp/x.json',
      1,
    );
    expect(error.hint).toContain('policies.scp.x');
  });
});

describe('keys that name Object.prototype members', () => {
  it('are plain unknown keys and scopes, not inherited properties', () => {
    const text = withAccounts(`  foo:\n    scope: toString\n    constructor: x\n`);
    const errors = errorsOf(text);
    expect(expectOne(errors, 'DSL_UNKNOWN_KEY', 'accounts.yml', lineOf(text, 'constructor')).hint).toContain(
      'allowed keys',
    );
    expectOne(errors, 'DSL_UNKNOWN_SCOPE', 'accounts.yml', lineOf(text, 'scope: toString'));
  });
});

describe('organization.operators', () => {
  const withOperators = (arns: readonly string[], managementId?: string) => {
    let text = BASE.replace(
      '  root_ou: Internal\n',
      `  root_ou: Internal\n  operators:\n${arns.map((a) => `    - '${a}'`).join('\n')}\n`,
    );
    if (managementId) text = text.replace(/^ {2}mgmt:\n/m, `  mgmt:\n    id: '${managementId}'\n`);
    return text;
  };
  const sso =
    'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*';

  it('takes ARN patterns of roles of the management account', () => {
    expect(resolveOk(withOperators([sso], '111111111111')).organization.operators).toEqual([sso]);
  });

  it('refuses a principal of another account, at its line', () => {
    const text = withOperators([sso, 'arn:aws:iam::222222222222:role/ops'], '111111111111');
    expect(text).toContain("id: '111111111111'");
    const error = expectOne(
      errorsOf(text),
      'DSL_OPERATOR_NOT_MANAGEMENT',
      'accounts.yml',
      lineOf(text, 'role/ops'),
    );
    expect(error.message).toContain('account 222222222222, not of the management account 111111111111');
  });

  it('refuses what is not a role or user ARN (a session ARN is not what aws:PrincipalArn holds)', () => {
    const text = withOperators(['arn:aws:sts::111111111111:assumed-role/ops/alice']);
    expectOne(errorsOf(text), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, 'assumed-role'));
  });
});
