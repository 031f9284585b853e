import fc from 'fast-check';
import { stringify } from 'yaml';
import { analyzeConfig } from '../../../src/config/index.js';
import type { SourceFile } from '../../../src/config/source.js';
import { OrgbridgeError } from '../../../src/errors.js';
import type { ChaosFigures } from '../../support/chaos-report.js';

/**
 * Generated bad configurations: a random VALID configuration (members, scopes, tags), then one to
 * three breakages, each known to be wrong and the error code it must produce. Unlike the unit
 * fuzz test (random damage that may still be valid), every case here must be refused; the check
 * is that it is, with every error an OrgbridgeError carrying file:line:column, the breakage's
 * code among them, and no exception escaping analyzeConfig.
 */

interface Member {
  scope?: string;
  description?: string;
  id?: string;
  email?: string;
  region?: string;
  create_vpc?: unknown;
  nat_gateway_count?: unknown;
  tags?: Record<string, string>;
  colour?: string;
}

interface Model {
  organization: Record<string, string>;
  defaults: Record<string, unknown>;
  scopes: Record<string, Record<string, unknown>>;
  accounts: Record<string, Member>;
}

export interface Breakage {
  readonly kind: string;
  /** The code analyzeConfig must report for it. */
  readonly code: string;
  /** Stops analysis early (nothing after the syntax error can be checked). */
  readonly masks?: boolean;
}

const BREAKAGES = [
  { kind: 'unknown-scope', code: 'DSL_UNKNOWN_SCOPE' },
  { kind: 'unknown-key', code: 'DSL_UNKNOWN_KEY' },
  { kind: 'wrong-type', code: 'DSL_INVALID_TYPE' },
  { kind: 'invalid-key', code: 'DSL_INVALID_KEY' },
  { kind: 'unknown-special-account', code: 'DSL_UNKNOWN_SPECIAL_ACCOUNT' },
  { kind: 'ou-too-deep', code: 'DSL_OU_TOO_DEEP' },
  { kind: 'duplicate-id', code: 'DSL_DUPLICATE_ACCOUNT_ID' },
  { kind: 'duplicate-email', code: 'DSL_DUPLICATE_EMAIL' },
  { kind: 'nat-out-of-range', code: 'DSL_INVALID_VALUE' },
  { kind: 'unknown-region', code: 'DSL_INVALID_VALUE' },
  { kind: 'too-many-tags', code: 'DSL_TOO_MANY_TAGS' },
  { kind: 'missing-scope', code: 'DSL_MISSING_KEY' },
  { kind: 'name-too-long', code: 'DSL_INVALID_ACCOUNT_NAME' },
  { kind: 'unknown-placeholder', code: 'DSL_UNKNOWN_PLACEHOLDER' },
  { kind: 'duplicate-key', code: 'DSL_DUPLICATE_KEY', masks: true },
  { kind: 'policy-bad-json', code: 'DSL_POLICY_INVALID_JSON' },
  { kind: 'policy-unknown-ou', code: 'DSL_POLICY_UNKNOWN_OU' },
  { kind: 'ecr-unknown-key', code: 'DSL_UNKNOWN_KEY' },
  { kind: 'yaml-syntax', code: 'DSL_YAML_SYNTAX', masks: true },
] as const satisfies readonly Breakage[];

export const BREAKAGE_KINDS: readonly string[] = BREAKAGES.map((b) => b.kind);

const SPECIALS = ['mgmt', 'cicd', 'identity', 'dns', 'logs', 'audit'] as const;

function validModel(members: readonly { key: string; scope: string; tags: Record<string, string> }[]): Model {
  const accounts: Record<string, Member> = {};
  for (const s of SPECIALS) accounts[s] = { scope: 'infra' };
  for (const m of members)
    accounts[m.key] = { scope: m.scope, ...(Object.keys(m.tags).length ? { tags: m.tags } : {}) };
  return {
    organization: {
      management: 'mgmt',
      cicd: 'cicd',
      identity: 'identity',
      dns: 'dns',
      logs: 'logs',
      audit: 'audit',
      root_ou: 'Internal',
      morgue_ou: 'Morgue',
      event_bus: 'bus',
      email_template: 'aws+{name}@example.com',
    },
    defaults: {
      region: 'ap-southeast-2',
      regions: ['ap-southeast-2', 'us-east-1'],
      tags: { team: 'platform' },
    },
    scopes: {
      dev: {
        organization_unit: 'Dev',
        create_vpc: true,
        access: { all: 'Admin', rw: 'PowerUser,Developer' },
      },
      infra: { organization_unit: 'Internal/Infra', environment: 'prod', tags: { team: 'sre' } },
    },
    accounts,
  };
}

/** Applies the breakages; returns the files to analyze. */
function breakConfig(model: Model, breakages: readonly Breakage[], salt: number): SourceFile[] {
  const extra: SourceFile[] = [];
  const textEdits: ((text: string) => string)[] = [];
  breakages.forEach((b, i) => {
    // Each breakage brings its own account(s), so two breakages never cancel each other out.
    const key = `bad${i}x${salt}`;
    const add = (member: Member, k = key) => {
      model.accounts[k] = member;
    };
    switch (b.kind) {
      case 'unknown-scope':
        add({ scope: `nope${i}` });
        break;
      case 'unknown-key':
        add({ scope: 'dev', colour: 'red' });
        break;
      case 'wrong-type':
        add({ scope: 'dev', create_vpc: 'maybe' });
        break;
      case 'invalid-key':
        add({ scope: 'dev' }, `Bad_Key!${i}`);
        break;
      case 'unknown-special-account':
        model.organization.audit = `nobody${i}`;
        break;
      case 'ou-too-deep':
        model.scopes[`deep${i}`] = { organization_unit: 'A/B/C/D/E/F/G' };
        add({ scope: `deep${i}` });
        break;
      case 'duplicate-id':
        add({ scope: 'dev', id: `1111111111${String(10 + i)}` });
        add({ scope: 'dev', id: `1111111111${String(10 + i)}` }, `${key}b`);
        break;
      case 'duplicate-email':
        add({ scope: 'dev', email: `same${i}@example.com` });
        add({ scope: 'dev', email: `same${i}@example.com` }, `${key}b`);
        break;
      case 'nat-out-of-range':
        add({ scope: 'dev', nat_gateway_count: 99 });
        break;
      case 'unknown-region':
        add({ scope: 'dev', region: 'mars-1' });
        break;
      case 'too-many-tags':
        add({ scope: 'dev', tags: Object.fromEntries(Array.from({ length: 60 }, (_, t) => [`t${t}`, 'v'])) });
        break;
      case 'missing-scope':
        add({ description: 'no scope' });
        break;
      case 'name-too-long':
        add({ scope: 'dev' }, `n${i}${'a'.repeat(60)}`);
        break;
      case 'unknown-placeholder':
        model.organization.email_template = 'aws+{nam}@example.com';
        break;
      case 'duplicate-key':
        // accounts: is the last section, so an appended entry lands in it.
        textEdits.push((text) => `${text}  cicd:\n    scope: infra\n`);
        break;
      case 'policy-bad-json':
        extra.push({ path: `policies/scp/Internal/bad${i}.json`, text: '{"Version": "2012-10-17", ' });
        break;
      case 'policy-unknown-ou':
        extra.push({ path: `policies/tag/Nowhere${i}/x.json`, text: '{"tags": {}}' });
        break;
      case 'ecr-unknown-key':
        extra.push({ path: 'ecr.yml', text: `- name: repo${i}\n  bogus: 1\n` });
        break;
      case 'yaml-syntax':
        textEdits.push((text) => text.replace('scopes:', 'scopes: [\n'));
        break;
    }
  });
  let text = stringify(model, { lineWidth: 0 });
  for (const edit of textEdits) text = edit(text);
  return [{ path: 'accounts.yml', text }, ...extra];
}

export interface BadConfigCase {
  readonly files: SourceFile[];
  readonly breakages: readonly Breakage[];
}

const membersArbitrary = (withTags: boolean) =>
  fc
    .uniqueArray(
      fc.record({
        key: fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/),
        scope: fc.constantFrom('dev', 'infra'),
        tags: withTags
          ? fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9]{0,6}$/), {
              maxKeys: 3,
            })
          : fc.constant({}),
      }),
      { maxLength: 6, selector: (m) => m.key },
    )
    .filter((members) => members.every((m) => !(SPECIALS as readonly string[]).includes(m.key)));

export const badConfigArbitrary: fc.Arbitrary<BadConfigCase> = fc
  .record({
    members: membersArbitrary(true),
    breakages: fc.array(fc.constantFrom(...BREAKAGES), { minLength: 1, maxLength: 3 }),
    salt: fc.nat(999),
  })
  .map(({ members, breakages, salt }) => ({
    files: breakConfig(validModel(members), breakages, salt),
    breakages,
  }));

/** The same generator without breakages: the control that proves the breakages are what fails. */
export const validConfigArbitrary: fc.Arbitrary<SourceFile[]> = membersArbitrary(true).map((members) => [
  { path: 'accounts.yml', text: stringify(validModel(members), { lineWidth: 0 }) },
]);

export interface BadConfigVerdict {
  readonly crashed?: string;
  readonly accepted: boolean;
  readonly unpositioned: readonly string[];
  readonly missingCodes: readonly string[];
}

/** Analyzes one case; never throws (a crash is part of the verdict). */
export function judgeBadConfig(c: BadConfigCase): BadConfigVerdict {
  let result: ReturnType<typeof analyzeConfig>;
  try {
    result = analyzeConfig(c.files);
  } catch (e) {
    return {
      crashed: e instanceof Error ? (e.stack ?? e.message) : String(e),
      accepted: false,
      unpositioned: [],
      missingCodes: [],
    };
  }
  if (result.ok) return { accepted: true, unpositioned: [], missingCodes: c.breakages.map((b) => b.code) };
  const unpositioned = result.errors
    .filter(
      (e) =>
        !(e instanceof OrgbridgeError) ||
        !e.location?.file ||
        !(e.location.line >= 1) ||
        !(e.location.column >= 1),
    )
    .map((e) => `${e.code}: ${e.message}`);
  const codes = new Set<string>(result.errors.map((e) => e.code));
  // A syntax error masks everything after it, a duplicate key there too (read out of step);
  // a duplicate key alone masks what the schema would find.
  const syntax = c.breakages.filter((b) => b.kind === 'yaml-syntax');
  const masked = c.breakages.some((b) => b.masks);
  const expected = syntax.length ? syntax : masked ? c.breakages.filter((b) => b.masks) : c.breakages;
  const missingCodes = expected.map((b) => b.code).filter((code) => !codes.has(code));
  return { accepted: false, unpositioned, missingCodes };
}

/**
 * Runs `runs` generated bad configs with `seed`; returns the figures and the first problem found
 * (fast-check shrinks it to a small case).
 */
export function runBadConfigs(
  runs: number,
  seed: number,
): { figures: Partial<ChaosFigures>; failure?: string } {
  let rejected = 0;
  let unpositioned = 0;
  let crashes = 0;
  let generated = 0;
  const details = fc.check(
    fc.property(badConfigArbitrary, (c) => {
      generated++;
      const v = judgeBadConfig(c);
      if (v.crashed) crashes++;
      if (!v.accepted && !v.crashed && v.unpositioned.length === 0) rejected++;
      unpositioned += v.unpositioned.length;
      return !v.crashed && !v.accepted && v.unpositioned.length === 0 && v.missingCodes.length === 0;
    }),
    { numRuns: runs, seed },
  );
  const figures: Partial<ChaosFigures> = {
    badConfigs: runs,
    badConfigsRejected: details.failed ? rejected : runs,
    badConfigErrorsWithoutPosition: unpositioned,
    configCrashes: crashes,
  };
  if (!details.failed) return { figures };
  const counterexample = details.counterexample?.[0] as BadConfigCase | undefined;
  const verdict = counterexample ? judgeBadConfig(counterexample) : undefined;
  return {
    figures: { ...figures, badConfigs: generated },
    failure: `seed ${seed}: ${JSON.stringify(counterexample?.breakages)} -> ${JSON.stringify(verdict)}\n${counterexample?.files.map((f) => `--- ${f.path}\n${f.text}`).join('\n')}`,
  };
}
