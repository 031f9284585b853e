import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { CreationLedger, createAccount } from '../../src/handlers/accounts/lifecycle.js';
import { allPages, type OrganizationsPort, organizationsPort } from '../../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../../src/pipeline/gateways/accounts-gateway.js';
import { createOrganization, useMoto } from '../support/moto.js';

/** moto's CreateAccount is synchronous; handlers poll with a clock that never waits here. */
const instantClock = { now: () => new Date(), sleep: async () => {} };

describe('AWS calls for creating accounts', () => {
  const moto = useMoto();
  beforeAll(async () => {
    await createOrganization(moto().management);
  });

  /** One run of the direct gateway creating `count` accounts; returns its AWS calls. */
  async function createRun(prefix: string, count: number, ouId: string): Promise<Record<string, number>> {
    const { context } = moto();
    const clients = new AwsClients(context);
    try {
      const gateway = directAccountsGateway(organizationsPort(clients.organizations()), {
        clock: instantClock,
      });
      for (let i = 0; i < count; i++) {
        const outcome = await gateway.apply({
          kind: 'create-account',
          name: `${prefix}-${i}`,
          email: `${prefix}-${i}@example.com`,
          ouId,
          tags: { team: 'calls' },
        });
        expect(outcome).toMatchObject({ kind: 'create-account', state: 'SUCCEEDED', how: 'created' });
      }
      return clients.counter.snapshot();
    } finally {
      clients.destroy();
    }
  }

  it('finds a creation whose answer was lost instead of creating the account twice', async () => {
    const { management } = moto();
    const real = organizationsPort(management.organizations());
    const roots = await real.rootId();
    let lose = true;
    // Fault injection moto cannot produce: AWS accepts CreateAccount, the answer never arrives.
    const lossy: OrganizationsPort = {
      ...real,
      async createAccount(input) {
        const status = await real.createAccount(input);
        if (lose) {
          lose = false;
          throw new Error(`connection reset after CreateAccount ${status.requestId}`);
        }
        return status;
      },
    };
    const ledger = new CreationLedger(lossy);
    const request = { name: 'lost-answer', email: 'lost-answer@example.com', ouId: roots, tags: {} };
    await expect(createAccount(lossy, request, { clock: instantClock, ledger })).rejects.toThrow(
      /connection reset/,
    );
    const again = await createAccount(lossy, request, { clock: instantClock, ledger });
    expect(again).toMatchObject({ state: 'SUCCEEDED', how: 'recovered-creation' });
    const named = (await allPages((t) => real.listAccounts(t))).filter((a) => a.name === 'lost-answer');
    expect(named).toHaveLength(1);
  });

  it('re-lists on a redelivery: a creation another attempt made after the listing is found', async () => {
    const { management } = moto();
    const port = organizationsPort(management.organizations());
    const rootId = await port.rootId();
    const ledger = new CreationLedger(port);
    expect(await ledger.named('crashed-elsewhere')).toEqual([]);
    // Another handler instance sent CreateAccount, then died before answering.
    await port.createAccount({ name: 'crashed-elsewhere', email: 'crashed-elsewhere@example.com', tags: {} });
    const request = {
      name: 'crashed-elsewhere',
      email: 'crashed-elsewhere@example.com',
      ouId: rootId,
      tags: {},
    };
    const outcome = await createAccount(port, request, { clock: instantClock, ledger, fresh: true });
    expect(outcome).toMatchObject({ state: 'SUCCEEDED', how: 'recovered-creation' });
  });

  it('stay flat per account from 50 to 500 accounts (one creation listing per run)', async () => {
    const rootId = await organizationsPort(moto().management.organizations()).rootId();
    const small = await createRun('small', 50, rootId);
    // The second run starts with 50 earlier creations and ends with 500 in the organization.
    const large = await createRun('large', 450, rootId);
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(small['Organizations.ListCreateAccountStatus']).toBe(1);
    // 50 earlier creations fit one page (moto pages by 123): read once for the whole run.
    expect(large['Organizations.ListCreateAccountStatus']).toBe(1);
    expect(large['Organizations.CreateAccount']).toBe(450);
    const perSmall = total(small) / 50;
    const perLarge = total(large) / 450;
    expect(perLarge).toBeLessThanOrEqual(perSmall);
    expect(perLarge).toBeGreaterThan(perSmall - 0.1);
  }, 600_000);
});
