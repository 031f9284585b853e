import { randomUUID } from 'node:crypto';
import { CreateOrganizationalUnitCommand, ListAccountsCommand } from '@aws-sdk/client-organizations';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueUrlOf } from '../../src/bus/queue.js';
import { type RequestClient, RequestFailedError } from '../../src/bus/requests.js';
import { memoryIo } from '../../src/cli/io.js';
import type { ResolvedAccount } from '../../src/config/model.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { type OrganizationsPort, organizationsPort } from '../../src/handlers/accounts/ports.js';
import {
  type AccountsGateway,
  accountsGatewayFromEnvironment,
  eventBridgeAccountsGateway,
} from '../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../src/pipeline/sync-accounts.js';
import { MARKERS } from '../../src/plan/markers.js';
import { splitObservedOrganization } from '../../src/protocol/accounts-listed.js';
import { HANDLER_QUEUE, type Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type Conversation, SOURCE, startConversation } from '../support/conversation.js';
import { useMoto } from '../support/moto.js';
import { config, desired } from '../unit/plan/fixtures.js';

/** moto's CreateAccount is synchronous; the handler polls with a clock that never waits. */
const instantClock = { now: () => new Date(), sleep: async () => {} };

describe('account lifecycle over EventBridge: cicd pipeline -> management handlers', () => {
  const moto = useMoto();
  let topology: Topology;
  let conversation: Conversation;
  let client: RequestClient;
  let gateway: AccountsGateway;
  let port: OrganizationsPort;
  let managementId: string;
  let rootId: string;
  let rogueId: string;
  const outcomes: RecordOutcome[] = [];

  // 8 member accounts over two scopes (Internal/Dev, Internal/Standard), one protected.
  const accounts: ResolvedAccount[] = [
    ...['api', 'web', 'data', 'batch', 'search'].map((k) => desired(k)),
    ...['billing', 'ledger'].map((k) => desired(k, { scope: 'standard' })),
    desired('vault', { scope: 'standard', protect: true }),
  ];

  const sync = async (execute: boolean, wanted: readonly ResolvedAccount[] = accounts) => {
    const io = memoryIo();
    const result = await syncAccounts({
      config: config(wanted),
      gateway,
      now: new Date(),
      execute,
      output: io,
    });
    return { ...result, io };
  };
  const accountCount = async () => {
    const out = await moto().management.organizations().send(new ListAccountsCommand({}));
    return out.Accounts?.length ?? 0;
  };

  beforeAll(async () => {
    const { management } = moto();
    port = organizationsPort(management.organizations());
    conversation = await startConversation(management, {
      members: ['rogue'],
      visibilityTimeoutSeconds: 5,
      settings: { accounts: { rootOu: 'Internal', morgueOu: 'Morgue', clock: instantClock } },
      timeoutMs: 15_000,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    ({ topology, managementId, rootId, client } = conversation);
    rogueId = conversation.ids.rogue as string;
    gateway = eventBridgeAccountsGateway({ client, managementAccountId: managementId, timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await conversation?.stop();
  });

  it('creates the accounts in their OUs with their tags, then plans nothing', async () => {
    const run = await sync(true);
    expect(run.failures).toEqual([]);
    expect(run.plan.summary.actions).toEqual({ 'create-ou': 4, 'create-account': 8 });
    expect(run.outcome).toBe('done');

    const org = await observeOrganization(port);
    for (const d of accounts) {
      const a = org.accounts.find((x) => x.tags[MARKERS.key] === d.key);
      expect(a, d.key).toMatchObject({
        name: d.name,
        email: d.email,
        ou: d.organization_unit,
        status: 'ACTIVE',
      });
      expect(a?.tags).toMatchObject({ ...d.tags, [MARKERS.ou]: org.ous[d.organization_unit] });
    }
    expect(org.accounts.find((x) => x.tags[MARKERS.key] === 'vault')?.tags[MARKERS.protect]).toBe('true');
    // Every write went through the management handler (one event each), never around it.
    const handled = outcomes
      .filter((o) => o.status === 'handled')
      .map((o) => (o.status === 'handled' ? o.type : ''));
    expect(handled.filter((t) => t === 'CREATE_ACCOUNT')).toHaveLength(8);
    expect(handled.filter((t) => t === 'ENSURE_ORGANIZATIONAL_UNIT')).toHaveLength(4);

    const again = await sync(false);
    expect(again.plan.actions).toEqual([]);
    expect(again.outcome).toBe('done');
    expect(again.plan.summary.unchanged).toBe(8);
  });

  it('lists the organization in parts joined by nonce', async () => {
    // Long tags on the accounts orgbridge does not manage push the listing past one 10 kB part.
    const long = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`note-${i}`, 'x'.repeat(256)]));
    for (const id of [rogueId, topology.cicdAccountId, topology.dnsAccountId, topology.auditAccountId]) {
      await port.tagResource(id, long);
    }
    const small = eventBridgeAccountsGateway({
      client,
      managementAccountId: managementId,
      partBytes: 10_000,
    });
    const [whole, parted] = await Promise.all([gateway.list(), small.list()]);
    expect(splitObservedOrganization(whole, 10_000).length).toBeGreaterThanOrEqual(2);
    expect(parted).toEqual(whole);
    expect(whole).toEqual(await observeOrganization(port));
    expect(whole.accounts.length).toBe(await accountCount());
  });

  it('retires a removed account into the morgue through RETIRE_ACCOUNT', async () => {
    const remaining = accounts.filter((d) => d.key !== 'batch');
    const run = await sync(true, remaining);
    expect(run.failures).toEqual([]);
    expect(run.plan.actions.map((a) => a.action)).toEqual(['retire-account']);
    const batch = (await observeOrganization(port)).accounts.find((a) => a.tags[MARKERS.key] === 'batch');
    expect(batch?.ou).toBe('Morgue');
    expect((await sync(false, remaining)).plan.actions).toEqual([]);
  });

  it('refuses CREATE_ACCOUNT into the organization root or an OU outside root_ou, creating nothing', async () => {
    const before = await accountCount();
    const body = (name: string, ouId: string) => ({
      name,
      email: `aws+${name}@example.com`,
      ou_id: ouId,
      tags: {},
    });
    const intoRoot = await client
      .request('CREATE_ACCOUNT', managementId, body('evil-root', rootId))
      .catch((e) => e);
    expect(intoRoot).toBeInstanceOf(RequestFailedError);
    expect((intoRoot as RequestFailedError).remoteCode).toBe('ACCOUNT_OU_NOT_ALLOWED');

    const security = await moto()
      .management.organizations()
      .send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Security' }));
    const outside = security.OrganizationalUnit?.Id as string;
    // Through the gateway, the management account's code reaches the sync's failure report.
    await expect(
      gateway.apply({
        kind: 'create-account',
        name: 'evil-sec',
        email: 'aws+evil-sec@example.com',
        ouId: outside,
        tags: {},
      }),
    ).rejects.toMatchObject({ code: 'ACCOUNT_OU_NOT_ALLOWED' });
    // Nor may it create OUs beside root_ou, or move an account to the root.
    await expect(
      gateway.apply({ kind: 'create-ou', parentId: rootId, name: 'Backdoor' }),
    ).rejects.toMatchObject({
      code: 'OU_PARENT_NOT_ALLOWED',
    });
    const some = (await observeOrganization(port)).accounts.find((a) => a.tags[MARKERS.key] === 'api');
    await expect(
      gateway.apply({ kind: 'move-account', accountId: some?.id as string, ouId: rootId }),
    ).rejects.toMatchObject({ code: 'ACCOUNT_OU_NOT_ALLOWED' });
    await expect(
      gateway.apply({ kind: 'tag-account', accountId: managementId, set: { owner: 'x' }, remove: [] }),
    ).rejects.toMatchObject({ code: 'MANAGEMENT_ACCOUNT_NOT_ALLOWED' });
    // Names the DSL would refuse are refused by the catalog before any handler runs.
    const org = await observeOrganization(port);
    await expect(
      client.request(
        'CREATE_ACCOUNT',
        managementId,
        body('bad\u00e9name', org.ous['Internal/Dev'] as string),
      ),
    ).rejects.toMatchObject({ remoteCode: 'DETAIL_INVALID' });

    expect(await accountCount()).toBe(before);
  });

  it('refuses a CREATE_ACCOUNT claiming to come from cicd, written to the management queue by any principal but EventBridge', async () => {
    const before = await accountCount();
    const org = await observeOrganization(port);
    const nonce = randomUUID();
    const forged = JSON.stringify({
      id: randomUUID(),
      account: conversation.ids.cicd,
      source: SOURCE,
      'detail-type': 'CREATE_ACCOUNT',
      time: new Date().toISOString(),
      region: 'us-east-1',
      detail: {
        nonce,
        dryrun: false,
        target_account: managementId,
        reply_to: conversation.ids.cicd,
        name: 'forged',
        email: 'aws+forged@example.com',
        ou_id: org.ous['Internal/Dev'],
        tags: {},
      },
    });
    const management = moto().management;
    const url = await queueUrlOf(management.sqs(), HANDLER_QUEUE);
    // A principal of the management account itself (as with PowerUserAccess: sqs:* allowed by
    // its identity policy) and a principal of a member account, each aiming at the management
    // handler queue: the queue policy's deny stops both (denySendExceptRulesStatement).
    const insider = management.forAccount(managementId, 'PowerUser');
    const member = management.forAccount(rogueId, 'PowerUser');
    for (const principal of [management, insider, member]) {
      await expect(
        principal.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: forged })),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
    }
    // Nothing reached the handler, nothing was created.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(outcomes.filter((o) => 'nonce' in o && o.nonce === nonce)).toEqual([]);
    expect(await accountCount()).toBe(before);
  });

  it('chooses the gateway by ORGBRIDGE_ACCOUNTS_GATEWAY, refusing unknown values', async () => {
    await expect(
      accountsGatewayFromEnvironment({ ORGBRIDGE_ACCOUNTS_GATEWAY: 'carrier-pigeon' }),
    ).rejects.toMatchObject({ code: 'SYNC_GATEWAY_UNKNOWN' });
  });
});
