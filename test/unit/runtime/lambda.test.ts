import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AccountKind } from '../../../src/config/model.js';
import { placementGuard } from '../../../src/handlers/accounts/placement.js';
import type { OrganizationsPort } from '../../../src/handlers/accounts/ports.js';
import type { ParameterPort } from '../../../src/handlers/dns/ports.js';
import { accountDnsParameters, registeredMembers } from '../../../src/handlers/dns/zones.js';
import { handledRequestTypes } from '../../../src/protocol/routing.js';
import {
  auditObjectKeys,
  isAuditRecord,
  storeAuditRecords,
} from '../../../src/runtime/lambda/audit-store.js';
import {
  accountIdOfFunction,
  lambdaHandler,
  lambdaSettingsFromEnvironment,
  senderKindOf,
} from '../../../src/runtime/lambda/entry.js';
import { lambdaRegistry } from '../../../src/runtime/lambda/registries.js';
import { handlerEnvironment, LAMBDA_SPECIAL_ACCOUNTS, sqsRecord } from '../../support/lambda-records.js';

const SPECIAL = LAMBDA_SPECIAL_ACCOUNTS;
const ENV = handlerEnvironment();
/** The records as they come: these tests are about what follows the proof (lambda-provenance.test.ts). */
const asGiven = async (records: readonly SQSRecord[]) => [...records];
const KINDS: AccountKind[] = ['management', 'cicd', 'identity', 'dns', 'logs', 'audit', 'member'];
const silent = { info() {}, warn() {}, error() {} };

function record(overrides: Partial<SQSRecord> = {}, body: Record<string, unknown> = {}): SQSRecord {
  return sqsRecord({
    body: JSON.stringify({
      id: 'e-1',
      account: SPECIAL.cicd,
      source: 'app.infra',
      'detail-type': 'PING',
      time: '2026-06-01T12:00:00Z',
      region: 'eu-west-1',
      detail: {
        nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
        dryrun: false,
        target_account: '999999999999',
      },
      ...body,
    }),
    eventSourceARN: 'arn:aws:sqs:eu-west-1:999999999999:orgbridge-handler',
    ...overrides,
  });
}
const context = {
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:999999999999:function:orgbridge-member-handler',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

describe('Lambda registries', () => {
  it('carry every type the routing table gives a kind, and nothing else', () => {
    for (const kind of KINDS) {
      const registry = lambdaRegistry(kind, { accounts: { rootOu: 'Internal', morgueOu: 'Morgue' } });
      const routed = handledRequestTypes(kind);
      expect(
        Object.keys(registry).every((t) => (routed as string[]).includes(t)),
        kind,
      ).toBe(true);
      const missing = routed.filter((t) => !Object.hasOwn(registry, t));
      expect(missing, `${kind}: wire these in src/runtime/lambda/registries.ts`).toEqual([]);
    }
    expect(Object.keys(lambdaRegistry('management', { accounts: { rootOu: 'I', morgueOu: 'M' } }))).toEqual(
      expect.arrayContaining([
        'LIST_ACCOUNTS',
        'CREATE_ACCOUNT',
        'ENSURE_ORGANIZATIONAL_UNIT',
        'RETIRE_ACCOUNT',
        'STACK_INSTANCE_STATUS',
      ]),
    );
    // The provisioning requests: no HANDLER_MISSING in AWS any more.
    expect(Object.keys(lambdaRegistry('member')).sort()).toEqual(
      [
        'CREATE_VPC',
        'DEPLOY_CUSTOMIZATION',
        'PING',
        'PUT_SSM_PARAMETERS',
        'UPDATE_ACCOUNT_BASELINE',
        'UPDATE_IAM_ACCOUNT_SETTINGS',
      ].sort(),
    );
    expect(Object.keys(lambdaRegistry('identity'))).toContain('UPDATE_IAM_MAPPING');
    expect(Object.keys(lambdaRegistry('logs'))).toContain('UPDATE_LOG_BUCKETS');
    expect(() => lambdaRegistry('management')).toThrow(/settings/);
  });
});

describe('Lambda settings', () => {
  it('reads the handler stack environment', () => {
    expect(lambdaSettingsFromEnvironment('member', ENV)).toMatchObject({
      kind: 'member',
      region: 'eu-west-1',
      source: 'app.infra',
      publishBus: 'orgbridge',
      idempotencyTable: 'orgbridge-idempotency',
      specialAccounts: SPECIAL,
      consumedQueues: new Map([['orgbridge-handler', 5401]]),
      // Unset: AWS's advice for a Lambda-fed queue, at least five receives.
      maxReceiveCount: 5,
    });
  });

  it('names the missing or wrong variable', () => {
    const { ORGBRIDGE_PUBLISH_BUS: _bus, ...noBus } = ENV;
    expect(() => lambdaSettingsFromEnvironment('member', noBus)).toThrow(
      expect.objectContaining({
        code: 'RUNTIME_SETTING_MISSING',
        message: expect.stringContaining('PUBLISH_BUS'),
      }),
    );
    expect(() => lambdaSettingsFromEnvironment('dns', ENV)).toThrow(
      expect.objectContaining({ code: 'RUNTIME_KIND_MISMATCH' }),
    );
    const broken = { ...ENV, ORGBRIDGE_SPECIAL_ACCOUNTS: JSON.stringify({ ...SPECIAL, dns: 'nope' }) };
    expect(() => lambdaSettingsFromEnvironment('member', broken)).toThrow(
      expect.objectContaining({ code: 'RUNTIME_SETTING_INVALID', message: expect.stringContaining("'dns'") }),
    );
    expect(() =>
      lambdaSettingsFromEnvironment('member', { ...ENV, ORGBRIDGE_SPECIAL_ACCOUNTS: '{' }),
    ).toThrow(expect.objectContaining({ code: 'RUNTIME_SETTING_INVALID' }));
    for (const queues of ['[]', '{}', '{"orgbridge-handler":0}', 'x']) {
      expect(() =>
        lambdaSettingsFromEnvironment('member', { ...ENV, ORGBRIDGE_CONSUMED_QUEUES: queues }),
      ).toThrow(expect.objectContaining({ code: 'RUNTIME_SETTING_INVALID' }));
    }
  });

  it('knows special senders by id, and another account only where it can tell a member', async () => {
    const kindOf = senderKindOf(SPECIAL);
    expect(await kindOf(SPECIAL.cicd)).toBe('cicd');
    expect(await kindOf(SPECIAL.management)).toBe('management');
    // Without a member lookup (every kind but dns), any other id is unknown: SENDER_UNKNOWN.
    expect(await kindOf('123456789012')).toBeUndefined();
    expect(await kindOf('not-an-account')).toBeUndefined();

    const asked: string[] = [];
    const withMembers = senderKindOf(SPECIAL, async (id) => {
      asked.push(id);
      return id === '123456789012';
    });
    expect(await withMembers('123456789012')).toBe('member');
    expect(await withMembers('210987654321')).toBeUndefined();
    expect(await withMembers('not-an-account')).toBeUndefined();
    expect(await withMembers(SPECIAL.dns)).toBe('dns');
    // Malformed ids and special accounts never reach the lookup.
    expect(asked).toEqual(['123456789012', '210987654321']);
  });

  it('tells a member from an outsider in the DNS account by its registration parameter', async () => {
    const parameters = new Map([[accountDnsParameters('123456789012').zone, 'acme.example.com']]);
    const reads: string[][] = [];
    const port: ParameterPort = {
      async getMany(names) {
        reads.push([...names]);
        return new Map(names.flatMap((n) => (parameters.has(n) ? [[n, parameters.get(n) as string]] : [])));
      },
      async put() {},
      async delete() {},
    };
    const isMember = registeredMembers(port);
    expect(await isMember('123456789012')).toBe(true);
    expect(await isMember('123456789012')).toBe(true);
    expect(await isMember('210987654321')).toBe(false);
    // A member is read once per container; an unregistered account is asked again (it may be new).
    parameters.set(accountDnsParameters('210987654321').zone, 'new.example.com');
    expect(await isMember('210987654321')).toBe(true);
    expect(reads).toEqual([
      ['/orgbridge/accounts/123456789012/dns-zone'],
      ['/orgbridge/accounts/210987654321/dns-zone'],
      ['/orgbridge/accounts/210987654321/dns-zone'],
    ]);
  });

  it('takes its own account from the function ARN', () => {
    expect(accountIdOfFunction(context)).toBe('999999999999');
    expect(() => accountIdOfFunction({ invokedFunctionArn: 'arn:aws:lambda:x' })).toThrow(
      expect.objectContaining({ code: 'RUNTIME_ACCOUNT_UNKNOWN' }),
    );
  });
});

describe('Lambda handler', () => {
  it('acknowledges a refused record and reports nothing for redelivery', async () => {
    const handler = lambdaHandler('member', () => lambdaRegistry('member'), {
      env: ENV,
      provenance: asGiven,
    });
    // Another source: refused before any AWS call, and not retried.
    const out = await handler({ Records: [record({}, { source: 'evil.source' })] }, context);
    expect(out).toEqual({ batchItemFailures: [] });
  });

  it('fails the whole batch, for redelivery, when the environment is incomplete', async () => {
    const handler = lambdaHandler('member', () => lambdaRegistry('member'), {
      env: { AWS_REGION: 'eu-west-1' },
    });
    await expect(handler({ Records: [record()] }, context)).rejects.toMatchObject({
      code: 'RUNTIME_SETTING_MISSING',
    });
  });

  it('hands audit-queue records to the audit store and reports its failures', async () => {
    const stored: string[] = [];
    const handler = lambdaHandler('audit', () => lambdaRegistry('audit'), {
      env: { ...ENV, ORGBRIDGE_ACCOUNT_KIND: 'audit' },
      provenance: asGiven,
      other: {
        claims: isAuditRecord,
        handle: (records) =>
          storeAuditRecords(
            records,
            {
              async putObject(key) {
                if (key.includes('BROKEN')) throw new Error('s3 down');
                stored.push(key);
              },
            },
            silent,
          ),
      },
    });
    const audit = (id: string, type: string) =>
      record(
        { messageId: id, eventSourceARN: 'arn:aws:sqs:eu-west-1:666666666666:orgbridge-audit' },
        { id, 'detail-type': type },
      );
    const out = await handler(
      { Records: [audit('a-1', 'CREATE_ACCOUNT'), audit('a-2', 'BROKEN'), record({}, { source: 'x' })] },
      context,
    );
    // Under its hour, then by nonce and by target account (layout: audit-store.test.ts).
    expect(stored).toEqual([
      'events/2026/06/01/12/CREATE_ACCOUNT/a-1.json',
      'by-nonce/687754b2-abd6-4ae6-ae2d-f98bd134512e/20260601T120000Z/CREATE_ACCOUNT/a-1.json',
      `by-account/999999999999/${9_999_999_999_999 - Date.parse('2026-06-01T12:00:00Z')}/CREATE_ACCOUNT/-/687754b2-abd6-4ae6-ae2d-f98bd134512e/a-1.json`,
    ]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'a-2' }]);
    expect(auditObjectKeys({ messageId: 'm-9', body: 'not json' })).toEqual(['events/unparsed/m-9.json']);
  });
});

/** An organization: root > Internal > Dev, root > Security, root > Morgue. */
function fakeOrganization(): OrganizationsPort {
  const parents: Record<string, string> = {
    'ou-int-00000001': 'r-root',
    'ou-int-00000002': 'ou-int-00000001',
    'ou-sec-00000001': 'r-root',
    'ou-mor-00000001': 'r-root',
  };
  const names: Record<string, string> = {
    'ou-int-00000001': 'Internal',
    'ou-int-00000002': 'Dev',
    'ou-sec-00000001': 'Security',
    'ou-mor-00000001': 'Morgue',
  };
  const notUsed = async (): Promise<never> => {
    throw new Error('not used by the guard');
  };
  return {
    managementAccountId: async () => '111111111111',
    rootId: async () => 'r-root',
    async listOrganizationalUnitsForParent(parentId) {
      return {
        items: Object.entries(parents)
          .filter(([, p]) => p === parentId)
          .map(([id]) => ({ id, name: names[id] as string })),
      };
    },
    async parentOf(childId) {
      const parent = parents[childId];
      if (!parent) throw Object.assign(new Error('no such child'), { name: 'ChildNotFoundException' });
      return parent;
    },
    listAccounts: notUsed,
    listAccountsForParent: notUsed,
    listTags: notUsed,
    describeAccount: notUsed,
    createAccount: notUsed,
    describeCreateAccountStatus: notUsed,
    listCreateAccountStatus: notUsed,
    moveAccount: notUsed,
    tagResource: notUsed,
    untagResource: notUsed,
    createOrganizationalUnit: notUsed,
    closeAccount: notUsed,
  };
}

describe('placement guard', () => {
  const guard = () => placementGuard(fakeOrganization(), { rootOu: 'Internal', morgueOu: 'Morgue' });
  const code = (p: Promise<void>) =>
    p.then(
      () => 'allowed',
      (e: { code: string }) => e.code,
    );

  it('places accounts only in root_ou or below it', async () => {
    expect(await code(guard().assertAccountDestination('ou-int-00000001', 'x'))).toBe('allowed');
    expect(await code(guard().assertAccountDestination('ou-int-00000002', 'x'))).toBe('allowed');
    expect(await code(guard().assertAccountDestination('r-root', 'x'))).toBe('ACCOUNT_OU_NOT_ALLOWED');
    expect(await code(guard().assertAccountDestination('ou-sec-00000001', 'x'))).toBe(
      'ACCOUNT_OU_NOT_ALLOWED',
    );
    expect(await code(guard().assertAccountDestination('ou-mor-00000001', 'x'))).toBe(
      'ACCOUNT_OU_NOT_ALLOWED',
    );
    expect(await code(guard().assertAccountDestination('ou-gone-00000009', 'x'))).toBe(
      'ACCOUNT_OU_NOT_FOUND',
    );
  });

  it('retires only into the morgue, creates only root_ou and morgue_ou under the root', async () => {
    expect(await code(guard().assertMorgue('ou-mor-00000001', 'x'))).toBe('allowed');
    expect(await code(guard().assertMorgue('ou-sec-00000001', 'x'))).toBe('MORGUE_OU_NOT_ALLOWED');
    expect(await code(guard().assertOuParent('r-root', 'Internal'))).toBe('allowed');
    expect(await code(guard().assertOuParent('r-root', 'Morgue'))).toBe('allowed');
    expect(await code(guard().assertOuParent('r-root', 'Security2'))).toBe('OU_PARENT_NOT_ALLOWED');
    expect(await code(guard().assertOuParent('ou-int-00000002', 'Team'))).toBe('allowed');
    expect(await code(guard().assertOuParent('ou-sec-00000001', 'Team'))).toBe('OU_PARENT_NOT_ALLOWED');
    expect(await code(guard().assertNotManagement('111111111111', 'x'))).toBe(
      'MANAGEMENT_ACCOUNT_NOT_ALLOWED',
    );
    expect(await code(guard().assertNotManagement('222222222222', 'x'))).toBe('allowed');
  });
});
