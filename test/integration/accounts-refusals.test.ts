import { randomUUID } from 'node:crypto';
import { CreateAccountCommand, CreateOrganizationalUnitCommand } from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../src/bus/log.js';
import { allPages, type OrganizationsPort, organizationsPort } from '../../src/handlers/accounts/ports.js';
import { type AccountHandlers, accountHandlers } from '../../src/handlers/accounts/register.js';
import type { HandlerContext } from '../../src/handlers/types.js';
import { MARKERS } from '../../src/plan/markers.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * What the management handler refuses even from the cicd account, through its real handlers on
 * the emulator (which, like AWS, fails CreateAccount for a used email): an event is never trusted
 * to be the product of a correct plan (docs/security.md).
 */
describe('management handler: what cicd may never ask', () => {
  const moto = useMoto();
  let handlers: AccountHandlers;
  let port: OrganizationsPort;
  let ids: { management: string; cicd: string; audit: string; api: string; stray: string };
  let ous: { internal: string; morgue: string };
  // The handlers' clock: tests move it forward.
  let now = Date.now();
  const emailOf = async (id: string) => (await port.describeAccount(id)).email;

  const ctx = (dryrun = false): HandlerContext => ({
    clients: moto().management,
    log: silentLog,
    account: { id: ids.management, kind: 'management' },
    sender: { id: ids.cicd, kind: 'cicd' },
    nonce: randomUUID(),
    dryrun,
    reply: async () => {},
  });
  const create = (email: string, tags: Record<string, string> = {}, dryrun = false) =>
    handlers.CREATE_ACCOUNT.handle(
      {
        nonce: randomUUID(),
        dryrun,
        target_account: ids.management,
        name: 'newcomer',
        email,
        ou_id: ous.internal,
        tags,
      },
      ctx(dryrun),
    );
  const tag = (accountId: string, set: Record<string, string>, remove: string[] = []) =>
    handlers.TAG_ACCOUNT.handle(
      {
        nonce: randomUUID(),
        dryrun: false,
        target_account: ids.management,
        account_id: accountId,
        set,
        remove,
      },
      ctx(),
    );
  const retire = (accountId: string, close: boolean, dryrun: boolean) =>
    handlers.RETIRE_ACCOUNT.handle(
      {
        nonce: randomUUID(),
        dryrun,
        target_account: ids.management,
        account_id: accountId,
        morgue_ou_id: ous.morgue,
        close,
      },
      ctx(dryrun),
    );

  beforeAll(async () => {
    const { management } = moto();
    const { rootId, managementId } = await createOrganization(management);
    const org = management.organizations();
    const made: Record<string, string> = {};
    for (const name of ['cicd', 'audit', 'api', 'stray']) {
      const out = await org.send(
        new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }),
      );
      made[name] = out.CreateAccountStatus?.AccountId as string;
    }
    ids = {
      management: managementId,
      cicd: made.cicd as string,
      audit: made.audit as string,
      api: made.api as string,
      stray: made.stray as string,
    };
    const ou = async (Name: string) =>
      (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name }))).OrganizationalUnit
        ?.Id as string;
    ous = { internal: await ou('Internal'), morgue: await ou('Morgue') };
    port = organizationsPort(org);
    await port.tagResource(ids.api, { [MARKERS.key]: 'api' });
    await port.tagResource(ids.audit, { [MARKERS.key]: 'audit' });
    handlers = accountHandlers({
      rootOu: 'Internal',
      morgueOu: 'Morgue',
      port: () => port,
      clock: { now: () => new Date(now), sleep: async () => {} },
      specialAccounts: { cicd: ids.cicd, audit: ids.audit },
    });
  });

  it('refuses CREATE_ACCOUNT with the email of the management account, a special account or one managed under another key', async () => {
    await expect(create(await emailOf(ids.management))).rejects.toMatchObject({
      code: 'CREATE_ACCOUNT_EMAIL_TAKEN',
      message: expect.stringContaining(`the management account ${ids.management}`),
    });
    await expect(create(await emailOf(ids.cicd))).rejects.toMatchObject({
      code: 'CREATE_ACCOUNT_EMAIL_TAKEN',
      message: expect.stringContaining(`the cicd account ${ids.cicd}`),
    });
    await expect(create(await emailOf(ids.api), { [MARKERS.key]: 'web' })).rejects.toMatchObject({
      code: 'CREATE_ACCOUNT_EMAIL_TAKEN',
      message: expect.stringContaining(`account ${ids.api}, managed as 'api'`),
    });
    // Nothing was moved.
    for (const id of [ids.cicd, ids.api]) expect(await port.parentOf(id)).not.toBe(ous.internal);
  });

  it('still adopts an unmanaged account that has the email', async () => {
    const out = await create(await emailOf(ids.stray), { [MARKERS.key]: 'stray', team: 'x' });
    expect(out).toMatchObject({ state: 'SUCCEEDED', how: 'recovered-existing', account_id: ids.stray });
    expect(await port.parentOf(ids.stray)).toBe(ous.internal);
  });

  it('refuses markers the handler writes itself, and re-keying an account', async () => {
    await expect(create('aws+fresh@example.com', { [MARKERS.ou]: ous.morgue })).rejects.toMatchObject({
      code: 'MARKER_NOT_ALLOWED',
    });
    // The forged key that made a member look like the audit account.
    await expect(tag(ids.api, { [MARKERS.key]: 'audit' })).rejects.toMatchObject({
      code: 'MARKER_NOT_ALLOWED',
    });
    await expect(tag(ids.api, { [MARKERS.closed]: new Date().toISOString() })).rejects.toMatchObject({
      code: 'MARKER_NOT_ALLOWED',
    });
    await expect(tag(ids.api, { [MARKERS.ou]: ous.morgue })).rejects.toMatchObject({
      code: 'MARKER_NOT_ALLOWED',
    });
    await expect(tag(ids.audit, {}, [MARKERS.key])).rejects.toMatchObject({ code: 'MARKER_NOT_ALLOWED' });
    const tags = await allPages((t) => port.listTags(ids.api, t));
    expect(tags.find((t) => t.key === MARKERS.key)?.value).toBe('api');
    // What the plan sends stays allowed: the same key, ordinary tags.
    await expect(tag(ids.api, { [MARKERS.key]: 'api', team: 'core' })).resolves.toEqual({
      account_id: ids.api,
    });
  });

  it('never moves, retires or closes a special account', async () => {
    const move = handlers.MOVE_ACCOUNT.handle(
      {
        nonce: randomUUID(),
        dryrun: false,
        target_account: ids.management,
        account_id: ids.audit,
        ou_id: ous.internal,
      },
      ctx(),
    );
    await expect(move).rejects.toMatchObject({ code: 'SPECIAL_ACCOUNT_NOT_ALLOWED' });
    await expect(retire(ids.cicd, true, false)).rejects.toMatchObject({
      code: 'SPECIAL_ACCOUNT_NOT_ALLOWED',
    });
    await expect(retire(ids.cicd, false, true)).rejects.toMatchObject({
      code: 'SPECIAL_ACCOUNT_NOT_ALLOWED',
    });
    expect(await port.parentOf(ids.cicd)).not.toBe(ous.morgue);
  });

  it('holds a retirement for an hour after an event removed protect, whoever sends them', async () => {
    const tagsOf = async (id: string) =>
      new Map((await allPages((t) => port.listTags(id, t))).map((t) => [t.key, t.value]));
    await tag(ids.stray, { [MARKERS.key]: 'stray', [MARKERS.protect]: 'true' });
    // One run (or one forger) unprotects and retires at once: the retirement is refused, in a dry
    // run as in a real one, and the account stays where it is.
    await tag(ids.stray, {}, [MARKERS.protect]);
    expect((await tagsOf(ids.stray)).get(MARKERS.unprotected)).toBe(new Date(now).toISOString());
    await expect(retire(ids.stray, false, true)).rejects.toMatchObject({ code: 'RETIRE_COOLING_OFF' });
    await expect(retire(ids.stray, false, false)).rejects.toMatchObject({ code: 'RETIRE_COOLING_OFF' });
    expect(await port.parentOf(ids.stray)).not.toBe(ous.morgue);
    // The record is the handler's: no event removes it or writes it.
    await expect(tag(ids.stray, {}, [MARKERS.unprotected])).rejects.toMatchObject({
      code: 'MARKER_NOT_ALLOWED',
    });
    await expect(tag(ids.stray, { [MARKERS.unprotected]: '2000-01-01T00:00:00.000Z' })).rejects.toMatchObject(
      {
        code: 'MARKER_NOT_ALLOWED',
      },
    );
    // Protected again, the record goes; unprotected again, the hour starts over.
    await tag(ids.stray, { [MARKERS.protect]: 'true' });
    expect((await tagsOf(ids.stray)).has(MARKERS.unprotected)).toBe(false);
    await tag(ids.stray, {}, [MARKERS.protect]);
    now += 59 * 60_000;
    await expect(retire(ids.stray, false, false)).rejects.toMatchObject({ code: 'RETIRE_COOLING_OFF' });
    now += 2 * 60_000;
    await expect(retire(ids.stray, false, false)).resolves.toMatchObject({ account_id: ids.stray });
    expect(await port.parentOf(ids.stray)).toBe(ous.morgue);
  });

  it('answers a dry run with the refusal the real run would give (protect, age)', async () => {
    await port.tagResource(ids.api, { [MARKERS.protect]: 'true' });
    await expect(retire(ids.api, false, true)).rejects.toMatchObject({ code: 'RETIRE_PROTECTED_ACCOUNT' });
    await port.untagResource(ids.api, [MARKERS.protect]);
    // Joined just now: closing it is refused, in a dry run as in a real one.
    await expect(retire(ids.api, true, true)).rejects.toMatchObject({ code: 'CLOSE_ACCOUNT_TOO_YOUNG' });
    await expect(retire(ids.api, false, true)).rejects.toMatchObject({ code: 'DRYRUN' });
  });
});
