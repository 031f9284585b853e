import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

/** The tag checks plan blocks on are validate errors too, at the line that sets the tag. */
describe('tag checks plan would block on', () => {
  it('a tag key with a space: one error at the tag', () => {
    const text = withAccounts('  foo:\n    scope: dev\n    tags:\n      cost centre: x\n');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_TAG_KEY_WITH_SPACE']);
    expect(errors[0]?.location).toMatchObject({ line: lineOf(text, 'cost centre'), column: 7 });
  });

  it('a tag key over 128 characters: says how long it is', () => {
    const key = 'k'.repeat(130);
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n      ${key}: x\n`);
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([['DSL_INVALID_KEY', lineOf(text, key)]]);
    expect(errors[0]?.message).toBe(
      `invalid key '${key}' in accounts.foo.tags: it is 130 characters, at most 128 are allowed`,
    );
  });

  it("the reserved 'orgbridge:' prefix", () => {
    const text = withAccounts("  foo:\n    scope: dev\n    tags:\n      'orgbridge:key': x\n");
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_RESERVED_TAG']);
    expect(errors[0]?.location?.line).toBe(lineOf(text, 'orgbridge:key'));
  });

  it('a reserved tag in defaults is reported once, with the count of accounts it reaches', () => {
    const text = BASE.replace('    team: platform', "    team: platform\n    'orgbridge:x': y");
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_RESERVED_TAG']);
    expect(errors[0]?.location?.line).toBe(lineOf(text, 'orgbridge:x'));
    expect(errors[0]?.message).toMatch(/and \d+ more accounts/);
  });

  it("a key or value starting with 'aws:', in any case: AWS keeps the prefix for its own tags", () => {
    const inKey = withAccounts("  foo:\n    scope: dev\n    tags:\n      'aws:owner': x\n");
    const [keyError, ...rest] = errorsOf(inKey);
    expect(rest).toEqual([]);
    expect(keyError?.code).toBe('DSL_AWS_RESERVED_TAG');
    expect(keyError?.location).toMatchObject({ line: lineOf(inKey, 'aws:owner'), column: 7 });
    expect(keyError?.hint).toBe('rename the tag');

    const inValue = withAccounts("  foo:\n    scope: dev\n    tags:\n      owner: 'AWS:platform'\n");
    const [valueError] = errorsOf(inValue);
    expect(valueError?.code).toBe('DSL_AWS_RESERVED_TAG');
    expect(valueError?.message).toContain("to 'AWS:platform'");
    expect(valueError?.hint).toBe('change the value');
  });

  it('a character AWS Organizations refuses in a tag, in the key or in the value', () => {
    const inKey = withAccounts('  foo:\n    scope: dev\n    tags:\n      cost#centre: x\n');
    const [keyError] = errorsOf(inKey);
    expect(keyError?.code).toBe('DSL_TAG_INVALID_CHARACTER');
    expect(keyError?.message).toContain('key holds "#"');
    expect(keyError?.location?.line).toBe(lineOf(inKey, 'cost#centre'));

    const inValue = withAccounts("  foo:\n    scope: dev\n    tags:\n      team: 'Payments, EU'\n");
    const [valueError] = errorsOf(inValue);
    expect(valueError?.code).toBe('DSL_TAG_INVALID_CHARACTER');
    expect(valueError?.message).toContain('value holds ","');
    expect(valueError?.hint).toBe('change the value');
  });

  it('shows a character that prints as nothing escaped, so the message says what to remove', () => {
    const text = withAccounts('  foo:\n    scope: dev\n    tags:\n      team: "pay\\u200bments"\n');
    const [error] = errorsOf(text);
    expect(error?.code).toBe('DSL_TAG_INVALID_CHARACTER');
    expect(error?.message).toContain('to \'pay\\u200bments\', whose value holds "\\u200b"');
    expect(error?.message).not.toContain('\u200b');
  });

  it('accepts what Organizations accepts: Unicode letters and digits, spaces, _ . : / = + - @, empty values', () => {
    const text = withAccounts("  foo:\n    scope: dev\n    tags:\n      équipe: 'Zahlungs-Team 2'\n");
    expect(resolveOk(text).accounts.find((a) => a.key === 'foo')?.tags).toMatchObject({
      équipe: 'Zahlungs-Team 2',
    });
    const symbols = withAccounts(
      "  foo:\n    scope: dev\n    tags:\n      'a_b.c:d/e=f+g-h@i': 'owner@example.com'\n      empty: ''\n",
    );
    expect(resolveOk(symbols).accounts.find((a) => a.key === 'foo')?.tags).toMatchObject({
      'a_b.c:d/e=f+g-h@i': 'owner@example.com',
      empty: '',
    });
  });

  it('tag keys whose joined list exceeds the 256 characters of the managed-tags marker', () => {
    const tags = Array.from({ length: 9 }, (_, i) => `      ${'k'.repeat(30)}${i}: v`).join('\n');
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n${tags}\n`);
    expect(errorsOf(text).map((e) => e.code)).toEqual(['DSL_MANAGED_TAG_KEYS_TOO_LONG']);
  });

  it('more tags than fit beside the markers (46 set: 50 with the 4 standard ones)', () => {
    const tags = Array.from({ length: 41 }, (_, i) => `      t${i}: v`).join('\n');
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n${tags}\n`);
    const [error] = errorsOf(text);
    expect(error?.code).toBe('DSL_TOO_MANY_TAGS');
    expect(error?.message).toContain('5 markers');
  });
});
