import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, expectOne, lineOf, resolveOk } from './support.js';

/** `notifications:` in accounts.yml: the subscriptions of the alarms topic. */
describe('notifications', () => {
  it('is optional: without it the config has no notifications', () => {
    expect(resolveOk(BASE).notifications).toBeUndefined();
  });

  it('resolves email addresses and HTTPS endpoints in file order', () => {
    const text = `${BASE}notifications:
  email: [ops@example.com, oncall@example.com]
  https: ['https://hooks.example.com/orgbridge']
`;
    expect(resolveOk(text).notifications).toEqual({
      email: ['ops@example.com', 'oncall@example.com'],
      https: ['https://hooks.example.com/orgbridge'],
    });
    expect(resolveOk(`${BASE}notifications:\n  email: [ops@example.com]\n`).notifications).toEqual({
      email: ['ops@example.com'],
      https: [],
    });
  });

  it('reports a bad address, a plain-HTTP endpoint and a repeated entry at their file:line', () => {
    const email = `${BASE}notifications:\n  email:\n    - ops@example.com\n    - not-an-address\n`;
    const e = expectOne(
      errorsOf(email),
      'DSL_INVALID_VALUE',
      'accounts.yml',
      lineOf(email, 'not-an-address'),
    );
    expect(e.message).toContain('must be an email address');

    const http = `${BASE}notifications:\n  https:\n    - http://hooks.example.com/x\n`;
    const h = expectOne(errorsOf(http), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(http, 'http://hooks'));
    expect(h.message).toContain('must be an https:// URL');

    const twice = `${BASE}notifications:\n  email: [ops@example.com, ops@example.com]\n`;
    const t = errorsOf(twice);
    expect(t.map((x) => x.message).join('\n')).toContain('lists an entry twice');
    expect(t[0]?.location?.line).toBe(lineOf(twice, 'email: [ops'));
  });

  it('resolves Slack channels, and reports a bad workspace or channel id at its file:line', () => {
    const ok = `${BASE}notifications:\n  slack:\n    - workspace_id: T0123ABCD\n      channel_id: C0123ABCDE\n`;
    expect(resolveOk(ok).notifications).toEqual({
      email: [],
      https: [],
      slack: [{ workspace_id: 'T0123ABCD', channel_id: 'C0123ABCDE' }],
    });
    const bad = `${BASE}notifications:\n  slack:\n    - workspace_id: my-workspace\n      channel_id: '#alerts'\n`;
    const errors = errorsOf(bad);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_INVALID_VALUE', lineOf(bad, 'workspace_id')],
      ['DSL_INVALID_VALUE', lineOf(bad, 'channel_id')],
    ]);
    expect(errors[0]?.message).toContain('Slack workspace id');
    const twice = `${BASE}notifications:\n  slack:\n    - { workspace_id: T0123ABCD, channel_id: C0123ABCDE }\n    - { workspace_id: T0123ABCD, channel_id: C0123ABCDE }\n`;
    expect(
      errorsOf(twice)
        .map((e) => e.message)
        .join('\n'),
    ).toContain('lists a channel twice');
  });

  it('refuses an unknown key, naming it', () => {
    const text = `${BASE}notifications:\n  teams: [C0123]\n`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location?.line).toBe(lineOf(text, 'teams:'));
    expect(errors[0]?.code).toBe('DSL_UNKNOWN_KEY');
    expect(errors[0]?.format()).toContain('teams');
  });
});
