import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { MARKERS } from '../../src/plan/markers.js';
import { AccountPlanSchema } from '../../src/plan/model.js';
import { OrganizationPlanSchema } from '../../src/plan/sections.js';
import { useProcessEnv } from '../support/env.js';
import { createOrganization, useMoto } from '../support/moto.js';

/** `orgbridge plan` and `orgbridge run --action sync-accounts` on examples/, in-process. */
describe('orgbridge plan / run --action sync-accounts on the example config', () => {
  const moto = useMoto();
  const env = (): Record<string, string> => ({
    AWS_ENDPOINT_URL: moto().server.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
  });

  beforeAll(async () => {
    await createOrganization(moto().management);
  });
  useProcessEnv(env);

  /** The account plan (docs/plan.md, version 1) inside `plan --json`'s accounts section. */
  const accountPlanOf = (out: string) =>
    AccountPlanSchema.parse(
      OrganizationPlanSchema.parse(JSON.parse(out)).sections.find((s) => s.kind === 'accounts')?.plan,
    );

  const cli = async (...args: string[]) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', 'examples', ...args], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('plans the whole example organization as JSON with exit code 2', async () => {
    const { code, out } = await cli('plan', '--json', '--only', 'accounts');
    expect(code).toBe(2);
    const plan = accountPlanOf(out);
    expect(plan.version).toBe(1);
    expect(plan.summary.actions['create-account']).toBeGreaterThan(50);
    expect(plan.blocked).toEqual([]);
  });

  it('a dry run changes nothing; --execute creates every account; the next plan is empty', async () => {
    const dry = await cli('run', '--action', 'sync-accounts');
    expect(dry.code).toBe(2);
    expect(dry.err).toContain('dry run: nothing was changed');
    const port = organizationsPort(moto().management.organizations());
    expect((await observeOrganization(port)).accounts).toHaveLength(1);

    const run = await cli('run', '--action', 'sync-accounts', '--execute', '--json');
    expect(run.err).not.toContain('failed:');
    expect(run.code).toBe(0);
    const org = await observeOrganization(port);
    // --json: stdout is one JSON object per line, a step each, the result last; text on stderr.
    const messages = run.out.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const creates = messages.filter((m) => m.type === 'step' && m.step === 'create-account');
    expect(creates).toHaveLength(org.accounts.length - 1);
    expect(creates.every((m) => m.status === 'done' && typeof m.durationMs === 'number')).toBe(true);
    expect(messages.filter((m) => m.type === 'step' && m.step === 'create-ou').length).toBeGreaterThan(0);
    expect(messages.at(-1)).toMatchObject({
      type: 'result',
      action: 'sync-accounts',
      execute: true,
      exitCode: 0,
    });
    expect(messages.at(-1)?.calls).toBeGreaterThan(org.accounts.length);
    expect(run.err).toMatch(/\[\d+\/\d+\] create-account /);
    const again = accountPlanOf((await cli('plan', '--json', '--only', 'accounts')).out);
    expect(again.actions).toEqual([]);
    // Every account of the DSL, special ones included (the management account existed already).
    expect(again.summary.unchanged).toBe(org.accounts.length);
    const cicd = org.accounts.find((a) => a.tags[MARKERS.key] === 'cicd');
    expect(cicd?.ou).toBe('Internal/Infra');

    const text = await cli('plan', '--only', 'accounts');
    expect(text.code).toBe(0);
    // The management account keeps its own tags until the bootstrap (management credentials)
    // applies the DSL's: the plan says so, and it is no change of the account sync.
    expect(text.out).toMatch(/^Accounts and OUs: no changes \(1 warnings, \d+ unchanged\)$/m);
    expect(text.out).toContain(
      'orgbridge run --action bootstrap --execute` (management credentials) tags it',
    );
    expect(text.out.split('\n').at(-1)).toBe('Plan: accounts no changes');
    const md = await cli('plan', '--markdown', '--only', 'accounts');
    expect(md.out).toContain('**Nothing to do**');
  });

  it('--json ends with a result line also when the action fails', async () => {
    const { code, out } = await cli(
      '-c',
      'test/fixtures/no-such-dir',
      'run',
      '--action',
      'sync-accounts',
      '--json',
    );
    expect(code).toBe(1);
    const last = JSON.parse(out.split('\n').at(-1) as string);
    expect(last).toMatchObject({
      type: 'result',
      action: 'sync-accounts',
      exitCode: 1,
      code: expect.any(String),
    });
  });

  it('rejects an unknown action with a suggestion', async () => {
    const { code, err } = await cli('run', '--action', 'sync-acounts');
    expect(code).toBe(1);
    expect(err).toContain("did you mean 'sync-accounts'?");
  });
});
