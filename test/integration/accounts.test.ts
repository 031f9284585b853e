import { MoveAccountCommand } from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import type { ResolvedAccount } from '../../src/config/model.js';
import { createAccount } from '../../src/handlers/accounts/lifecycle.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { allPages, type OrganizationsPort, organizationsPort } from '../../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../src/pipeline/sync-accounts.js';
import { MARKERS } from '../../src/plan/markers.js';
import type { ObservedOrganization } from '../../src/plan/observed.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { config, desired } from '../unit/plan/fixtures.js';

/** moto's CreateAccount is synchronous; handlers poll with a clock that never waits here. */
const instantClock = { now: () => new Date(), sleep: async () => {} };

describe('account lifecycle on the emulator', () => {
  const moto = useMoto();
  let port: OrganizationsPort;
  let managementId: string;

  const sync = async (accounts: readonly ResolvedAccount[], execute: boolean, overrides = {}) => {
    const io = memoryIo();
    const result = await syncAccounts({
      config: config(accounts, overrides),
      gateway: directAccountsGateway(port, { clock: instantClock }),
      now: new Date(),
      execute,
      output: { ...io, out: io.out, err: io.err },
    });
    return { ...result, io };
  };
  const observe = () => observeOrganization(port);
  const byKey = (org: ObservedOrganization, key: string) =>
    org.accounts.find((a) => a.tags[MARKERS.key] === key);

  // The example-like set: 10 member accounts over two scopes, one protected.
  const base: ResolvedAccount[] = [
    ...['api', 'web', 'data', 'batch', 'search', 'auth'].map((k) => desired(k)),
    ...['billing', 'ledger', 'ledger-replica'].map((k) => desired(k, { scope: 'standard' })),
    desired('vault', { scope: 'standard', protect: true }),
  ];

  beforeAll(async () => {
    const { management } = moto();
    ({ managementId } = await createOrganization(management));
    port = organizationsPort(management.organizations());
  });

  it('creates every account of an empty organization in its OU, then plans nothing', async () => {
    const dry = await sync(base, false);
    expect(dry.outcome).toBe('pending');
    expect(dry.plan.summary.actions).toEqual({ 'create-ou': 4, 'create-account': 10 });
    expect((await observe()).accounts).toHaveLength(1);

    const run = await sync(base, true);
    expect(run.failures).toEqual([]);
    expect(run.outcome).toBe('done');

    const org = await observe();
    expect(org.accounts).toHaveLength(11);
    expect(Object.keys(org.ous).sort()).toEqual([
      '',
      'Internal',
      'Internal/Dev',
      'Internal/Standard',
      'Morgue',
    ]);
    for (const d of base) {
      const a = byKey(org, d.key);
      expect(a, d.key).toBeDefined();
      expect(a).toMatchObject({ name: d.name, email: d.email, ou: d.organization_unit, status: 'ACTIVE' });
      expect(a?.tags).toMatchObject({ ...d.tags, [MARKERS.ou]: org.ous[d.organization_unit] });
    }
    expect(byKey(org, 'vault')?.tags[MARKERS.protect]).toBe('true');

    const again = await sync(base, false);
    expect(again.plan.actions).toEqual([]);
    expect(again.outcome).toBe('done');
    expect(again.plan.summary.unchanged).toBe(10);
  });

  it('refuses to retire most managed accounts in one run unless --allow-mass-change says it is intended', async () => {
    // A config that lost most of its accounts: 7 of the 10 managed ones would be retired.
    const few = base.filter((d) => ['api', 'web', 'vault'].includes(d.key));
    const run = await sync(few, true);
    expect(run.plan.actions.filter((a) => a.action === 'retire-account')).toHaveLength(7);
    expect(run.outcome).toBe('failed');
    expect(run.applied).toEqual([]);
    expect(run.io.stderr.join('\n')).toContain(
      '[SYNC_ACCOUNTS_MASS_CHANGE]: it retires 7 of 10 managed accounts',
    );
    expect((await observe()).accounts.filter((a) => a.ou === 'Morgue')).toEqual([]);
  });

  it('retires a removed account into the morgue, but never a protected one', async () => {
    const remaining = base.filter((d) => d.key !== 'batch' && d.key !== 'vault');
    const run = await sync(remaining, true);
    expect(run.plan.actions.map((a) => [a.action, 'key' in a ? a.key : a.path])).toEqual([
      ['retire-account', 'batch'],
    ]);
    expect(run.plan.warnings.map((w) => [w.code, w.key])).toEqual([['PLAN_PROTECTED_NOT_RETIRED', 'vault']]);
    const org = await observe();
    expect(byKey(org, 'batch')).toMatchObject({ ou: 'Morgue', status: 'ACTIVE' });
    expect(byKey(org, 'batch')?.tags[MARKERS.retired]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(byKey(org, 'vault')?.ou).toBe('Internal/Standard');

    // Putting it back without its id is refused: the morgue is never re-created from.
    const back = await sync(base, false);
    expect(back.outcome).toBe('failed');
    expect(back.plan.blocked.map((b) => b.code)).toEqual(['PLAN_ACCOUNT_IN_MORGUE']);
  });

  it('moves an account whose scope changed', async () => {
    const accounts = base
      .filter((d) => d.key !== 'batch')
      .map((d) => (d.key === 'web' ? desired('web', { scope: 'standard' }) : d));
    const run = await sync(accounts, true);
    expect(run.plan.drift).toEqual([]);
    // The fixture's `scope` tag follows the scope, so the same run re-tags it.
    expect(run.plan.actions.map((a) => [a.action, 'key' in a ? a.key : a.path])).toEqual([
      ['move-account', 'web'],
      ['tag-account', 'web'],
    ]);
    const web = byKey(await observe(), 'web');
    expect(web?.ou).toBe('Internal/Standard');
    expect(web?.tags.scope).toBe('standard');
    expect((await sync(accounts, false)).plan.actions).toEqual([]);
    base.splice(
      base.findIndex((d) => d.key === 'web'),
      1,
      desired('web', { scope: 'standard' }),
    );
  });

  it('reports an out-of-band move as drift and moves the account back', async () => {
    const accounts = base.filter((d) => d.key !== 'batch');
    const org = await observe();
    const api = byKey(org, 'api');
    if (!api) throw new Error('api missing');
    await moto()
      .management.organizations()
      .send(
        new MoveAccountCommand({
          AccountId: api.id,
          SourceParentId: org.ous['Internal/Dev'],
          DestinationParentId: org.ous.Internal,
        }),
      );
    const run = await sync(accounts, true);
    expect(run.plan.drift).toEqual([
      expect.objectContaining({ kind: 'moved', key: 'api', expected: 'Internal/Dev', actual: 'Internal' }),
    ]);
    expect(run.plan.actions).toEqual([
      expect.objectContaining({ action: 'move-account', key: 'api', drift: true }),
    ]);
    expect(run.io.stdout.join('\n')).toMatch(/^Drift: changed outside orgbridge \(1\)/);
    expect(byKey(await observe(), 'api')?.ou).toBe('Internal/Dev');
    expect((await sync(accounts, false)).plan.drift).toEqual([]);
  });

  it('converges to one account when CREATE_ACCOUNT is delivered twice, even concurrently', async () => {
    const org = await observe();
    const request = {
      name: 'dup-nonprod-us-east-1',
      email: 'aws+dup@example.com',
      ouId: org.ous['Internal/Dev'] as string,
      tags: { [MARKERS.key]: 'dup', scope: 'dev' },
    };
    const first = await createAccount(port, request, { clock: instantClock });
    const [second, third] = await Promise.all([
      createAccount(port, request, { clock: instantClock }),
      createAccount(port, request, { clock: instantClock }),
    ]);
    expect(first.how).toBe('created');
    expect(second).toMatchObject({ accountId: first.accountId, how: 'recovered-creation' });
    expect(third).toMatchObject({ accountId: first.accountId, how: 'recovered-creation' });
    const all = await allPages((t) => port.listAccounts(t));
    expect(all.filter((a) => a.email === request.email)).toHaveLength(1);
  });

  it('converges to one account when the handler dies after CreateAccount, before the move', async () => {
    const org = await observe();
    const request = {
      name: 'crash-nonprod-us-east-1',
      email: 'aws+crash@example.com',
      ouId: org.ous['Internal/Dev'] as string,
      tags: { [MARKERS.key]: 'crash' },
    };
    // The first attempt "dies" at the first MoveAccount, as a Lambda killed mid-operation would.
    const dying: OrganizationsPort = {
      ...port,
      moveAccount: async () => {
        throw new Error('handler killed');
      },
    };
    await expect(createAccount(dying, request, { clock: instantClock })).rejects.toThrow('handler killed');
    const stranded = (await allPages((t) => port.listAccounts(t))).filter((a) => a.email === request.email);
    expect(stranded).toHaveLength(1);
    expect(await port.parentOf(stranded[0]?.id as string)).toBe(org.rootId);

    const retried = await createAccount(port, request, { clock: instantClock });
    expect(retried).toMatchObject({
      accountId: stranded[0]?.id,
      how: 'recovered-creation',
      state: 'SUCCEEDED',
    });
    expect(await port.parentOf(retried.accountId as string)).toBe(request.ouId);
    expect(
      (await allPages((t) => port.listAccounts(t))).filter((a) => a.email === request.email),
    ).toHaveLength(1);
  });

  it('never retires the management account or touches unmanaged accounts', async () => {
    const accounts = base.filter((d) => d.key !== 'batch');
    const p = (await sync(accounts, false)).plan;
    expect(p.actions.some((a) => 'accountId' in a && a.accountId === managementId)).toBe(false);
    // The two accounts made by the handler tests above carry our key marker but are not in the DSL.
    expect(p.actions.map((a) => [a.action, 'key' in a ? a.key : a.path])).toEqual([
      ['retire-account', 'crash'],
      ['retire-account', 'dup'],
    ]);
  });
});
