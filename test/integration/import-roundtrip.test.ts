import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  MoveAccountCommand,
  type OrganizationsClient,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Client } from '../../src/aws/clients.js';
import { AwsClients, emulatorContext, startMoto } from '../../src/aws/index.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/model.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { organizationsPolicyPort } from '../../src/handlers/policies/ports.js';
import { directAccountsGateway } from '../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../src/pipeline/sync-accounts.js';
import { syncPolicies } from '../../src/pipeline/sync-policies.js';
import { MARKER_PREFIX } from '../../src/plan/markers.js';
import { createOrganization } from '../support/moto.js';

/**
 * The round trip of `orgbridge import`, as a property over random organizations built through
 * the SDK on the emulator: OU trees up to 4 deep, accounts at every level including the root,
 * tags, SCPs and tag policies on the root, OUs and accounts, policies shared by several targets,
 * FullAWSAccess detached where another SCP stays. Then:
 *
 * 1. `import`, and `validate`, `plan` and the `sync-policies` dry run all exit 0;
 * 2. one random edit of the imported config (move, tag, new account, retire, policy content,
 *    attach, detach, new policy), and the account plan and the policy plan show exactly that
 *    change and nothing else.
 *
 * Each run starts its own emulator (a fresh organization). `npm test` runs a few;
 * ORGBRIDGE_IMPORT_RUNS=N runs more, ORGBRIDGE_IMPORT_SEED=S replays one (fast-check prints the
 * seed of a failure). Backup policies are not part of it: moto cannot create BACKUP_POLICY.
 */
const RUNS = Number(process.env.ORGBRIDGE_IMPORT_RUNS ?? 3);
const SEED = process.env.ORGBRIDGE_IMPORT_SEED ? Number(process.env.ORGBRIDGE_IMPORT_SEED) : undefined;

const OU_NAMES = ['Workloads', 'Prod', 'Dev', 'Security', 'Team A', 'Shared', 'Legacy', 'Apps'];
const ACCOUNT_NAMES = ['Payments', 'Ledger', 'Web Shop', 'Tools', 'Data Lake', 'Sandbox', 'Payments'];
const TAG_KEYS = ['team', 'cost-centre', 'env', 'owner:email'];
const TAG_VALUES = ['a', 'b', '042', 'true', 'x y'];
const SCP_NAMES = ['DenyLeave', 'region-lock', 'No Root User'];
const TAG_POLICY_NAMES = ['cost-tags', 'owner_tags'];

type TargetRef = { readonly ou: number } | { readonly account: number };
interface OrgSpec {
  /** [parent index (-1 = root), name]; parents come first. */
  readonly ous: readonly (readonly [number, string])[];
  readonly accounts: readonly { name: string; ou: number; tags: Record<string, string> }[];
  readonly scps: readonly { name: string; targets: readonly TargetRef[] }[];
  readonly tagPolicies: readonly { name: string; targets: readonly TargetRef[] }[];
  /** Targets FullAWSAccess is detached from (only where an SCP of the spec stays). */
  readonly detachFull: readonly TargetRef[];
}

const targetArb = (ous: number, accounts: number): fc.Arbitrary<TargetRef> =>
  fc.oneof(
    fc.integer({ min: -1, max: ous - 1 }).map((ou) => ({ ou })),
    fc.integer({ min: 0, max: accounts - 1 }).map((account) => ({ account })),
  );
const key = (t: TargetRef) => ('ou' in t ? `ou${t.ou}` : `account${t.account}`);
const uniqueTargets = (ous: number, accounts: number) =>
  fc.uniqueArray(targetArb(ous, accounts), { minLength: 1, maxLength: 3, selector: key });

const orgArb: fc.Arbitrary<OrgSpec> = fc
  .array(fc.tuple(fc.nat(), fc.constantFrom(...OU_NAMES)), { maxLength: 6 })
  .chain((raw) => {
    // A tree at most 4 deep (AWS allows 5), sibling names unique.
    const ous: [number, string][] = [];
    const depth: number[] = [];
    for (const [pick, name] of raw) {
      const candidates = [-1, ...ous.map((_, i) => i).filter((i) => (depth[i] as number) < 4)];
      const parent = candidates[pick % candidates.length] as number;
      if (ous.some(([p, n]) => p === parent && n === name)) continue;
      ous.push([parent, name]);
      depth.push(parent === -1 ? 1 : (depth[parent] as number) + 1);
    }
    const accountArb = fc.record({
      name: fc.constantFrom(...ACCOUNT_NAMES),
      ou: fc.integer({ min: -1, max: ous.length - 1 }),
      tags: fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.constantFrom(...TAG_VALUES), { maxKeys: 3 }),
    });
    return fc.array(accountArb, { minLength: 1, maxLength: 7 }).chain((accounts) => {
      const targets = uniqueTargets(ous.length, accounts.length);
      const policies = (names: readonly string[]) =>
        fc.uniqueArray(fc.record({ name: fc.constantFrom(...names), targets }), {
          maxLength: names.length,
          selector: (p) => p.name,
        });
      return fc.record({
        ous: fc.constant(ous),
        accounts: fc.constant(accounts),
        scps: policies(SCP_NAMES),
        tagPolicies: policies(TAG_POLICY_NAMES),
        detachFull: fc.uniqueArray(targetArb(ous.length, accounts.length), { maxLength: 2, selector: key }),
      });
    });
  });

const EDITS = [
  'move',
  'tag',
  'new-account',
  'retire',
  'policy-content',
  'policy-attach',
  'policy-detach',
  'policy-new',
] as const;
type EditKind = (typeof EDITS)[number];
const editArb = fc.record({ kind: fc.constantFrom(...EDITS), pick: fc.nat(), pick2: fc.nat() });

/** Builds the organization of `spec` in a fresh emulator's organization. */
async function buildOrganization(
  org: Client<OrganizationsClient>,
  rootId: string,
  spec: OrgSpec,
): Promise<void> {
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'TAG_POLICY' }));
  const ouIds: string[] = [];
  for (const [parent, name] of spec.ous) {
    const out = await org.send(
      new CreateOrganizationalUnitCommand({ ParentId: parent === -1 ? rootId : ouIds[parent], Name: name }),
    );
    ouIds.push(out.OrganizationalUnit?.Id as string);
  }
  const accountIds: string[] = [];
  for (const [i, a] of spec.accounts.entries()) {
    const created = await org.send(
      new CreateAccountCommand({
        AccountName: a.name,
        Email: `acct${i}.${a.name.replace(/\W/g, '')}@example.com`,
      }),
    );
    const id = created.CreateAccountStatus?.AccountId as string;
    accountIds.push(id);
    if (a.ou !== -1)
      await org.send(
        new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: ouIds[a.ou] }),
      );
    const tags = Object.entries(a.tags).map(([Key, Value]) => ({ Key, Value }));
    if (tags.length) await org.send(new TagResourceCommand({ ResourceId: id, Tags: tags }));
  }
  const idOf = (t: TargetRef) =>
    'ou' in t ? (t.ou === -1 ? rootId : (ouIds[t.ou] as string)) : (accountIds[t.account] as string);
  const create = async (
    type: 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY',
    p: { name: string; targets: readonly TargetRef[] },
    content: object,
  ) => {
    const out = await org.send(
      new CreatePolicyCommand({
        Name: p.name,
        Type: type,
        Description: p.name,
        Content: JSON.stringify(content),
      }),
    );
    for (const t of p.targets)
      await org.send(new AttachPolicyCommand({ PolicyId: out.Policy?.PolicySummary?.Id, TargetId: idOf(t) }));
  };
  for (const p of spec.scps) {
    await create('SERVICE_CONTROL_POLICY', p, {
      Version: '2012-10-17',
      Statement: [
        { Sid: p.name.replace(/\W/g, ''), Effect: 'Deny', Action: 'account:CloseAccount', Resource: '*' },
      ],
    });
  }
  for (const p of spec.tagPolicies) {
    await create('TAG_POLICY', p, { tags: { [p.name]: { tag_key: { '@@assign': p.name } } } });
  }
  // Organizations requires an SCP on every target: FullAWSAccess goes only where another stays.
  const withScp = new Set(spec.scps.flatMap((p) => p.targets.map(key)));
  for (const t of spec.detachFull) {
    if (withScp.has(key(t)))
      await org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: idOf(t) }));
  }
}

const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };

async function cli(...args: string[]): Promise<{ code: number; text: string }> {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, text: [...io.stdout, ...io.stderr].join('\n') };
}

interface Yaml {
  organization: Record<string, unknown>;
  scopes: Record<string, { organization_unit: string; tags?: Record<string, string> }>;
  accounts: Record<
    string,
    { scope: string; id?: string; name: string; email: string; tags?: Record<string, string> }
  >;
  policies?: Record<
    string,
    Record<
      string,
      {
        organization_units?: string[];
        accounts?: string[];
        detached_from?: { organization_units?: string[]; accounts?: string[] };
      }
    >
  >;
}

interface Expected {
  /** The account actions, as `action key-or-id` strings. */
  readonly accounts: string[];
  /** The policy actions, as `action type awsName [target]` strings. */
  readonly policies: string[];
  readonly description: string;
}

/** Applies one edit to the imported repository and says what the plans must show. */
function applyEdit(
  dir: string,
  config: ResolvedConfig,
  kind: EditKind,
  pick: number,
  pick2: number,
): Expected {
  const file = join(dir, 'accounts.yml');
  const doc = parse(readFileSync(file, 'utf8')) as Yaml;
  const members = config.accounts.filter((a) => a.kind === 'member');
  const save = () => writeFileSync(file, stringify(doc));
  const policyEntries = Object.entries(doc.policies ?? {}).flatMap(([type, entries]) =>
    Object.entries(entries)
      .filter(([name]) => name !== 'FullAWSAccess')
      .map(([name, entry]) => ({ type, name, entry })),
  );
  const targetsOf = (e: { organization_units?: string[]; accounts?: string[] }) => [
    ...(e.organization_units ?? []).map((ou) => ({ ou })),
    ...(e.accounts ?? []).map((account) => ({ account })),
  ];
  const label = (t: { ou: string } | { account: string }) =>
    'ou' in t ? (t.ou === '' ? 'Root' : t.ou) : `account ${t.account}`;
  const allOus = [
    ...new Set(
      Object.values(doc.scopes).flatMap((s) => {
        const parts = s.organization_unit.split('/').filter(Boolean);
        return ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
      }),
    ),
  ].sort();
  const allTargets = [
    ...allOus.map((ou) => ({ ou })),
    ...Object.keys(doc.accounts)
      .sort()
      .map((account) => ({ account })),
  ];
  const scpsAt = (t: { ou: string } | { account: string }) => {
    const full = doc.policies?.scp?.FullAWSAccess?.detached_from;
    const detached =
      'ou' in t ? full?.organization_units?.includes(t.ou) : full?.accounts?.includes(t.account);
    return (
      (detached ? 0 : 1) +
      policyEntries.filter((p) => p.type === 'scp' && targetsOf(p.entry).some((x) => label(x) === label(t)))
        .length
    );
  };

  if ((kind === 'move' || kind === 'tag' || kind === 'retire') && members.length === 0) kind = 'new-account';
  if (kind === 'move') {
    const a = members[pick % members.length] as (typeof members)[number];
    const others = Object.entries(doc.scopes).filter(([, s]) => s.organization_unit !== a.organization_unit);
    if (others.length > 0) {
      const [scope] = others[pick2 % others.length] as [string, unknown];
      (doc.accounts[a.key] as { scope: string }).scope = scope;
      save();
      return { accounts: [], policies: [], description: `move ${a.key} to ${scope}` };
    }
    kind = 'tag';
  }
  if (kind === 'tag') {
    const a = members[pick % members.length] as (typeof members)[number];
    const entry = doc.accounts[a.key] as { tags?: Record<string, string> };
    const own = Object.keys(entry.tags ?? {});
    if (own.length > 0 && pick2 % 2 === 0) {
      const tag = own[pick2 % own.length] as string;
      delete entry.tags?.[tag];
      if (Object.keys(entry.tags ?? {}).length === 0) delete entry.tags;
    } else {
      entry.tags = { ...entry.tags, edited: `v${pick2 % 7}` };
    }
    save();
    return { accounts: [], policies: [], description: `retag ${a.key}` };
  }
  if (kind === 'retire') {
    const a = members[pick % members.length] as (typeof members)[number];
    delete doc.accounts[a.key];
    doc.organization.morgue_ou = 'Morgue';
    for (const [type, entries] of Object.entries(doc.policies ?? {})) {
      for (const [name, entry] of Object.entries(entries)) {
        for (const e of [entry, entry.detached_from]) {
          if (e?.accounts) e.accounts = e.accounts.filter((k) => k !== a.key);
          if (e?.accounts?.length === 0) delete e.accounts;
        }
        if (name !== 'FullAWSAccess' && !entry.organization_units?.length && !entry.accounts?.length) {
          // Its only target was the retired account: the policy leaves the config with it.
          delete entries[name];
          rmSync(join(dir, 'policies', type, `${name}.json`));
        }
      }
    }
    save();
    return {
      accounts: ['create-ou Morgue', `retire-account ${a.id}`],
      policies: [],
      description: `retire ${a.key}`,
    };
  }
  if (kind === 'policy-content' && policyEntries.length > 0) {
    const p = policyEntries[pick % policyEntries.length] as (typeof policyEntries)[number];
    const path = join(dir, 'policies', p.type, `${p.name}.json`);
    const document = JSON.parse(readFileSync(path, 'utf8'));
    if (p.type === 'scp')
      document.Statement.push({ Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*' });
    else document.tags.edited = { tag_key: { '@@assign': 'edited' } };
    writeFileSync(path, JSON.stringify(document, null, 2));
    return { accounts: [], policies: [`update-policy ${p.type} ${p.name}`], description: `edit ${p.name}` };
  }
  if (kind === 'policy-attach' && policyEntries.length > 0) {
    const p = policyEntries[pick % policyEntries.length] as (typeof policyEntries)[number];
    const free = allTargets.filter(
      (t) => !targetsOf(p.entry).some((x) => label(x) === label(t)) && (p.type !== 'scp' || scpsAt(t) < 5),
    );
    if (free.length > 0) {
      const t = free[pick2 % free.length] as (typeof free)[number];
      if ('ou' in t) p.entry.organization_units = [...(p.entry.organization_units ?? []), t.ou];
      else p.entry.accounts = [...(p.entry.accounts ?? []), t.account];
      save();
      return {
        accounts: [],
        policies: [`attach-policy ${p.type} ${p.name} ${label(t)}`],
        description: `attach ${p.name} to ${label(t)}`,
      };
    }
  }
  if (kind === 'policy-detach') {
    const candidates = policyEntries.flatMap((p) =>
      targetsOf(p.entry).length < 2
        ? []
        : targetsOf(p.entry)
            .filter((t) => p.type !== 'scp' || scpsAt(t) > 1)
            .map((t) => ({ p, t })),
    );
    if (candidates.length > 0) {
      const { p, t } = candidates[pick % candidates.length] as (typeof candidates)[number];
      if ('ou' in t) p.entry.organization_units = p.entry.organization_units?.filter((x) => x !== t.ou);
      else p.entry.accounts = p.entry.accounts?.filter((x) => x !== t.account);
      if (p.entry.organization_units?.length === 0) delete p.entry.organization_units;
      if (p.entry.accounts?.length === 0) delete p.entry.accounts;
      save();
      return {
        accounts: [],
        policies: [`detach-policy ${p.type} ${p.name} ${label(t)}`],
        description: `detach ${p.name} from ${label(t)}`,
      };
    }
  }
  if (kind.startsWith('policy-')) {
    const targets = allTargets.filter((t) => scpsAt(t) < 5);
    const t = targets[pick2 % targets.length] as (typeof targets)[number];
    mkdirSync(join(dir, 'policies', 'scp'), { recursive: true });
    writeFileSync(
      join(dir, 'policies', 'scp', 'new-guard.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }],
      }),
    );
    doc.policies ??= {};
    doc.policies.scp ??= {};
    doc.policies.scp['new-guard'] = 'ou' in t ? { organization_units: [t.ou] } : { accounts: [t.account] };
    save();
    return {
      accounts: [],
      policies: [
        'create-policy scp orgbridge-scp-new-guard',
        `attach-policy scp orgbridge-scp-new-guard ${label(t)}`,
      ],
      description: `new SCP on ${label(t)}`,
    };
  }
  const scopes = Object.keys(doc.scopes).sort();
  doc.accounts['new-account'] = {
    scope: scopes[pick % scopes.length] as string,
    name: 'New Account',
    email: 'new.account@example.com',
  };
  save();
  return { accounts: ['create-account new-account'], policies: [], description: 'new account' };
}

describe('import round trip on random organizations', () => {
  it(
    `import, nothing to do, then one edit shows exactly that change (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(orgArb, editArb, async (spec, edit) => {
          const server = await startMoto();
          const clients = new AwsClients(emulatorContext(server.endpoint));
          const dir = join(tmpdir(), `orgbridge-roundtrip-${process.pid}-${server.port}`);
          const saved = { ...process.env };
          try {
            const { rootId } = await createOrganization(clients);
            const org = clients.organizations();
            await buildOrganization(org, rootId, spec);
            Object.assign(process.env, {
              AWS_ENDPOINT_URL: server.endpoint,
              AWS_ACCESS_KEY_ID: 'testing',
              AWS_SECRET_ACCESS_KEY: 'testing',
              AWS_REGION: 'us-east-1',
              ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
            });
            const imported = await cli('import', '--out', dir);
            expect(imported.text).not.toContain('DSL_');
            expect(imported.code).toBe(0);
            for (const args of [['validate'], ['plan'], ['run', '--action', 'sync-policies']]) {
              const run = await cli('-c', dir, ...args);
              if (run.code !== 0)
                throw new Error(`${args.join(' ')} right after import exited ${run.code}:\n${run.text}`);
            }

            const config = await loadConfig(dir);
            const expected = applyEdit(dir, config, edit.kind, edit.pick, edit.pick2);
            const edited = await loadConfig(dir);
            const accounts = await syncAccounts({
              config: edited,
              gateway: directAccountsGateway(organizationsPort(org)),
              now: new Date(),
              execute: false,
              output: quiet,
            });
            const policies = await syncPolicies({
              config: edited,
              port: organizationsPolicyPort(org),
              execute: false,
              output: quiet,
              emulator: true,
            });
            // Moves and tag changes: exactly what resolving the edited file changed, account by account.
            const before = new Map(config.accounts.map((a) => [a.key, a]));
            const derived = { move: [] as string[], tag: [] as string[] };
            const tagDiff = new Map<string, { set: Record<string, string>; remove: string[] }>();
            for (const a of edited.accounts) {
              const old = before.get(a.key);
              if (!old || a.kind !== 'member') continue;
              if (old.organization_unit !== a.organization_unit) derived.move.push(`move-account ${a.id}`);
              const set = Object.fromEntries(Object.entries(a.tags).filter(([k, v]) => old.tags[k] !== v));
              const remove = Object.keys(old.tags).filter((k) => !(k in a.tags));
              if (Object.keys(set).length || remove.length) {
                derived.tag.push(`tag-account ${a.id}`);
                tagDiff.set(a.id as string, { set, remove });
              }
            }
            const [ou, rest] = [
              expected.accounts.filter((x) => x.startsWith('create-ou')),
              expected.accounts.filter((x) => !x.startsWith('create-ou')),
            ];
            expected.accounts.splice(
              0,
              expected.accounts.length,
              ...ou,
              ...rest.filter((x) => x.startsWith('create-account')),
              ...derived.move,
              ...derived.tag,
              ...rest.filter((x) => x.startsWith('retire')),
            );
            const accountActions = accounts.plan.actions.map((a) =>
              a.action === 'create-ou'
                ? `create-ou ${a.path}`
                : a.action === 'create-account'
                  ? `create-account ${a.key}`
                  : `${a.action} ${a.accountId}`,
            );
            const policyActions = policies.plan.actions.map((a) =>
              a.action === 'attach-policy' || a.action === 'detach-policy'
                ? `${a.action} ${a.type} ${a.awsName} ${a.ou}`
                : a.action === 'enable-policy-type'
                  ? `${a.action} ${a.type}`
                  : `${a.action} ${a.type} ${a.awsName}`,
            );
            const context = `${expected.description}\n${readFileSync(join(dir, 'accounts.yml'), 'utf8')}`;
            expect(accounts.plan.blocked, context).toEqual([]);
            expect(accountActions, context).toEqual(expected.accounts);
            expect(policyActions, context).toEqual(expected.policies);
            expect(
              policies.plan.problems.filter((p) => p.blocking),
              context,
            ).toEqual([]);
            // A tag change is that change and nothing else the user sees (markers may ride along).
            for (const a of accounts.plan.actions) {
              if (a.action !== 'tag-account') continue;
              const userSet = Object.fromEntries(
                Object.entries(a.set).filter(([k]) => !k.startsWith(MARKER_PREFIX)),
              );
              const userRemoved = a.remove.filter((k) => !k.startsWith(MARKER_PREFIX));
              expect({ set: userSet, remove: userRemoved }, context).toEqual(tagDiff.get(a.accountId));
            }
            expect(expected.accounts.length + expected.policies.length, context).toBeGreaterThan(0);
          } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
            clients.destroy();
            await server.stop();
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: RUNS, endOnFailure: true, ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
    },
    60_000 + RUNS * 30_000,
  );
});
