import * as z from 'zod';
import { OrgbridgeError, ValidationFailed } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import type { ResolvedAccount, ResolvedConfig } from './model.js';
import { accountPolicyLevels, ouChain, policyLevels } from './policy-inheritance.js';
import { REGION_PATTERN } from './schema.js';
import { type ContextValue, evaluateScps, type ScpDecision, withFullAwsAccess } from './scp-evaluation.js';
import { parseYaml, type SourceFile, YamlSyntaxErrors } from './source.js';
import { knownOrganizationUnits } from './validate.js';

/**
 * `policies/scp-tests.yml`: cases `orgbridge scp test` evaluates against the SCP chain the
 * config describes, so an SCP can be tested before it reaches an OU.
 * @public a file name of the config directory, like ACCOUNTS_FILE
 */
export const SCP_TESTS_FILE = 'policies/scp-tests.yml';

const ContextValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number(), z.boolean()])),
]);

/**
 * One action as IAM names it, `service:ActionName` (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html):
 * anything else (`s3 GetObject`) matches no statement, so a case expecting allow would pass
 * without testing anything.
 */
const ACTION = z.string().regex(/^[A-Za-z0-9-]+:[A-Za-z0-9]+$/, {
  error: 'must be one action written service:ActionName, e.g. s3:GetObject',
});

export const ScpTestSchema = z
  .strictObject({
    name: z.string().min(1).describe('what the case checks'),
    account: z.string().min(1).optional().describe('account key, name or id whose SCP chain is evaluated'),
    ou: z.string().min(1).optional().describe('or an OU path, e.g. Internal/Dev (an account directly in it)'),
    action: z
      .union([ACTION, z.array(ACTION).min(1)])
      .describe('`service:Action`, or a list of them, each expected the same way'),
    resource: z.string().min(1).default('*').describe('resource ARN; `*` by default'),
    region: z
      .string()
      .regex(REGION_PATTERN, { error: 'must be an AWS region code such as us-east-1' })
      .optional()
      .describe("aws:RequestedRegion; the account's region by default"),
    principal: z.string().min(1).optional().describe('aws:PrincipalArn of the caller'),
    context: z.record(z.string(), ContextValueSchema).default({}).describe('more condition keys'),
    expect: z.enum(['allow', 'deny']),
  })
  .refine((t) => (t.account === undefined) !== (t.ou === undefined), {
    message: 'give exactly one of `account` or `ou`',
  });
export type ScpTest = z.infer<typeof ScpTestSchema>;
export const ScpTestsFileSchema = z.array(ScpTestSchema).describe('orgbridge policies/scp-tests.yml');

export interface LocatedScpTest extends ScpTest {
  readonly location: { readonly file: string; readonly line: number; readonly column: number };
}

/** Parses the file; every problem at once, each with its file:line. */
export function parseScpTests(file: SourceFile): LocatedScpTest[] {
  let parsed: ReturnType<typeof parseYaml>;
  try {
    parsed = parseYaml(file);
  } catch (e) {
    if (e instanceof YamlSyntaxErrors) throw new ValidationFailed(e.errors);
    throw e;
  }
  const value = parsed.value ?? [];
  const result = ScpTestsFileSchema.safeParse(value);
  if (!result.success) {
    throw new ValidationFailed(
      result.error.issues.map(
        (issue) =>
          new OrgbridgeError('SCP_TESTS_INVALID', `${caseLabel(value, issue.path)}${issue.message}`, {
            location: parsed.locate(issue.path.filter((p): p is string | number => typeof p !== 'symbol')),
            hint: 'each case: {name, account | ou, action, resource?, region?, principal?, context?, expect: allow|deny}; see docs/policies.md',
          }),
      ),
    );
  }
  return result.data.map((test, i) => ({ ...test, location: parsed.locate([i]) }));
}

export interface ScpTestResult {
  readonly test: LocatedScpTest;
  readonly action: string;
  readonly target: string;
  readonly outcome:
    | ScpDecision
    | { readonly decision: 'allow'; readonly reason: string; readonly missingKeys: readonly string[] };
  /** True when the decision is the expected one; an unsupported answer never passes. */
  readonly pass: boolean;
}

function findAccount(config: ResolvedConfig, ref: string): ResolvedAccount | undefined {
  return config.accounts.find((a) => a.key === ref || a.name === ref || a.id === ref);
}

const stringify = (v: z.infer<typeof ContextValueSchema>): ContextValue =>
  Array.isArray(v) ? v.map(String) : String(v);

/** Evaluates every case; throws ValidationFailed when a case names an unknown account or OU. */
export function runScpTests(config: ResolvedConfig, tests: readonly LocatedScpTest[]): ScpTestResult[] {
  const errors: OrgbridgeError[] = [];
  const ous = knownOrganizationUnits(config);
  const managementKey = config.organization.accounts.management;
  const scps = config.policies.filter((p) => p.type === 'scp');
  const results: ScpTestResult[] = [];
  for (const test of tests) {
    let account: ResolvedAccount | undefined;
    let ou: string;
    if (test.account !== undefined) {
      account = findAccount(config, test.account);
      if (!account) {
        const guess = didYouMean(
          test.account,
          config.accounts.map((a) => a.key),
        );
        errors.push(
          new OrgbridgeError(
            'SCP_TESTS_UNKNOWN_ACCOUNT',
            `no account '${test.account}'${guess ? `; did you mean '${guess}'?` : ''}`,
            {
              location: test.location,
              hint: 'name an account by its key, name or id (`orgbridge accounts` lists them)',
            },
          ),
        );
        continue;
      }
      ou = account.organization_unit;
    } else {
      ou = (test.ou as string).replace(/^\/+|\/+$/g, '');
      if (!ous.has(ou)) {
        const guess = didYouMean(ou, ous);
        errors.push(
          new OrgbridgeError(
            'SCP_TESTS_UNKNOWN_OU',
            `no OU '${ou}' in the configuration${guess ? `; did you mean '${guess}'?` : ''}`,
            {
              location: test.location,
              hint: 'use an OU path from the root, e.g. Internal/Dev',
            },
          ),
        );
        continue;
      }
    }
    const target = account ? `account ${account.key}` : `OU ${ou}`;
    const chain = account ? accountPolicyLevels(config, account, 'scp') : policyLevels(scps, 'scp', ou);
    const ouLevels = ouChain(ou).length;
    const levels = withFullAwsAccess(
      [
        ...chain,
        ...(chain.length > ouLevels
          ? []
          : [{ target: account ? `account ${account.key}` : 'an account in it', policies: [] }]),
      ],
      // FullAWSAccess is kept everywhere but where accounts.yml detaches it.
      (_level, i) =>
        i < ouLevels
          ? (config.full_aws_access?.detached_from_organization_units.includes(ouChain(ou)[i] as string) ??
            false)
          : account !== undefined &&
            (config.full_aws_access?.detached_from_accounts.includes(account.key) ?? false),
    );
    const context: Record<string, ContextValue> = Object.fromEntries(
      Object.entries(test.context).map(([k, v]) => [k, stringify(v)]),
    );
    const region = test.region ?? account?.region;
    if (region !== undefined) context['aws:RequestedRegion'] ??= region;
    if (test.principal !== undefined) context['aws:PrincipalArn'] ??= test.principal;
    if (account?.id !== undefined) context['aws:PrincipalAccount'] ??= account.id;
    for (const action of Array.isArray(test.action) ? test.action : [test.action]) {
      const outcome =
        account && account.key === managementKey
          ? {
              decision: 'allow' as const,
              reason: 'SCPs do not apply to the management account',
              missingKeys: [],
            }
          : evaluateScps(levels, { action, resource: test.resource, context });
      results.push({ test, action, target, outcome, pass: outcome.decision === test.expect });
    }
  }
  if (errors.length > 0) throw new ValidationFailed(errors);
  return results;
}

/** `case 2 ('deny leave'), action: ` for an issue at [1, 'action']: as a reader counts the cases. */
function caseLabel(value: unknown, path: readonly PropertyKey[]): string {
  const [index, ...rest] = path;
  if (typeof index !== 'number') return path.length ? `${path.map(String).join('.')}: ` : '';
  const name = (Array.isArray(value) ? (value[index] as { name?: unknown } | undefined) : undefined)?.name;
  const field = rest
    .map((p, i) => (typeof p === 'number' ? `[${p + 1}]` : `${i ? '.' : ''}${String(p)}`))
    .join('');
  return `case ${index + 1}${typeof name === 'string' ? ` ('${name}')` : ''}${field ? `, ${field}` : ''}: `;
}
