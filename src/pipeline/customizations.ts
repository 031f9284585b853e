import { type Customization, customizationRegions, templateResources } from '../config/customizations.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { operatingRegions } from '../config/regions.js';
import type { ErrorCode } from '../error-codes.js';
import { isOrgbridgeError } from '../errors.js';
import { mapWithConcurrency } from '../handlers/accounts/ports.js';
import type {
  CustomizationReport,
  CustomizationRequest,
} from '../handlers/customizations/deploy-customization.js';
import {
  APPLY_CUSTOMIZATIONS,
  applyOrder,
  type CustomizationDecision,
  customizationsSection,
  customizationTemplateKey,
  type ObservedCustomizationStack,
  planCustomizations,
} from '../plan/customizations.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { retiredAccounts } from '../plan/retired.js';
import { renderOrganizationPlanText } from '../plan/section-render.js';
import { organizationPlan } from '../plan/sections.js';
import type { Outcome, Output } from './output.js';

/**
 * `run --action customizations` (docs/customizations.md): the user's stacks in every account and
 * region the DSL selects. The pipeline uploads each template to the cicd artifact bucket of each
 * region under its content address, lists the `custom-*` stacks of each account and region
 * (DEPLOY_CUSTOMIZATION `list`), decides with planCustomizations, and then either shows the
 * plan (dry run; an `update` carries the resource changes of its change set, `observe`) or
 * applies it in applyOrder's waves, each failure kept to its account and region.
 */

/** How the pipeline reaches the accounts: over EventBridge, or in-process with assumed roles. */
export interface CustomizationGateway {
  /** Uploads a template (idempotent: its key is its hash); returns its URL in `region`. */
  uploadTemplate(customization: string, body: string, region: string): Promise<string>;
  request(accountId: string, request: CustomizationRequest): Promise<CustomizationReport>;
}

export interface CustomizationRunInput {
  readonly config: ResolvedConfig;
  /** Account key -> id of the accounts that exist. */
  readonly accountIds: Readonly<Record<string, string>>;
  readonly gateway: CustomizationGateway;
  readonly execute: boolean;
  readonly output: Output;
  /** Requests in flight at once (default: 32 `list` requests, 10 of the others). */
  readonly concurrency?: number;
  /**
   * Accounts retired to the morgue (retiredAccountsOf): their stacks are listed too, and deleted
   * unless the customization keeps them (`keep_on_retire`).
   */
  readonly retired?: readonly RetiredAccount[];
}

/** An account in the morgue that orgbridge managed: its former key, its id, where to look. */
export interface RetiredAccount {
  readonly key: string;
  readonly id: string;
  readonly regions: readonly string[];
}

/**
 * The active accounts in the morgue that carry an `orgbridge:key` the DSL no longer has: retired
 * by orgbridge, so their customization stacks are orgbridge's to delete (or keep). Looked for in
 * every region of `defaults.regions`. Closed accounts are left out: nothing can be deployed to
 * or deleted from them.
 */
export function retiredAccountsOf(config: ResolvedConfig, observed: ObservedOrganization): RetiredAccount[] {
  const regions = operatingRegions(config);
  return retiredAccounts(config, observed).map(({ key, account }) => ({ key, id: account.id, regions }));
}

/** What the reads of a run need: no output, no --execute. */
type CustomizationReadInput = Omit<CustomizationRunInput, 'output' | 'execute'>;

export interface CustomizationRunResult {
  readonly outcome: Outcome;
  readonly decisions: readonly CustomizationDecision[];
  /** `account/region/stack` -> the failure's message, for every stack that failed or was held back. */
  readonly failures: Readonly<Record<string, string>>;
}

const DEFAULT_CONCURRENCY = 10;
/**
 * `list` requests in flight. Each reads one account's stacks (its own CloudFormation quota) and,
 * in a plan, waits for that account's drift detections (seconds to minutes in AWS), so the
 * listing of a large organization is bounded by those waits, not by any one account.
 */
const LIST_CONCURRENCY = 32;
/** Stacks that cannot be updated in place (the handler deletes and re-creates them). */
const FAILED_STACK = /^(ROLLBACK_COMPLETE|ROLLBACK_FAILED|REVIEW_IN_PROGRESS|DELETE_FAILED)$/;
const where = (d: { account: string; region: string; stack_name: string }) =>
  `${d.account}/${d.region}/${d.stack_name}`;

/**
 * The regions to look for customization stacks in an account: where the config wants one now,
 * and the account's own regions, so a stack of a removed target or customization is found.
 */
function regionsToList(account: ResolvedAccount, customizations: readonly Customization[]): string[] {
  const regions = new Set<string>([account.region]);
  const own = account.settings.regions;
  if (Array.isArray(own)) for (const r of own) regions.add(String(r));
  for (const c of customizations) for (const r of customizationRegions(c, account)) regions.add(r);
  return [...regions].sort();
}

/**
 * A plan starts drift detection on every customization stack (a last detection of any age is
 * not trusted): like terraform's refresh, a plan must show a change made by hand a minute ago.
 */
const DRIFT_MAX_AGE_MINUTES = 0;

async function observeStacks(
  input: CustomizationReadInput & { readonly detectDrift?: boolean },
  accounts: readonly ResolvedAccount[],
  customizations: readonly Customization[],
): Promise<ObservedCustomizationStack[]> {
  // One `list` per account, of all its regions: a request's round trip costs more than the
  // ListStacks calls it makes.
  const lists = [
    ...accounts.map((a) => ({
      account: a.key,
      id: input.accountIds[a.key] as string,
      regions: regionsToList(a, customizations),
    })),
    ...(input.retired ?? []).map((r) => ({ account: r.key, id: r.id, regions: [...r.regions] })),
  ].filter((l) => l.regions.length > 0);
  const found = await mapWithConcurrency(lists, input.concurrency ?? LIST_CONCURRENCY, async (l) => {
    const [region, ...more] = l.regions as [string, ...string[]];
    const report = await input.gateway.request(l.id, {
      operation: 'list',
      region,
      ...(more.length ? { regions: l.regions } : {}),
      ...(input.detectDrift ? { detect_drift: { max_age_minutes: DRIFT_MAX_AGE_MINUTES } } : {}),
    });
    return report.stacks
      .filter((s) => s.customization !== '')
      .map((s) => ({
        customization: s.customization,
        stack_name: s.stack_name,
        account: l.account,
        region: s.region ?? region,
        template_sha256: s.template_sha256,
        parameters: s.parameters,
        termination_protection: s.termination_protection,
        // A stack left failed is re-created by the next deploy, whatever template it names.
        ...(FAILED_STACK.test(s.status) ? { template_sha256: '' } : {}),
        ...(s.drift_status ? { drift_status: s.drift_status } : {}),
        ...(s.drifted_resources ? { drifted_resources: s.drifted_resources } : {}),
        ...(s.drift_note ? { drift_note: s.drift_note } : {}),
      }));
  });
  return found.flat();
}

function request(
  d: CustomizationDecision,
  c: Customization | undefined,
  urls: ReadonlyMap<string, string>,
  operation: 'observe' | 'deploy' | 'delete',
): CustomizationRequest {
  const base = { operation, region: d.region, customization: d.customization, stack_name: d.stack_name };
  if (operation === 'delete' || !c) return { ...base, operation: 'delete' };
  const { sha256 } = customizationTemplateKey(c);
  return {
    ...base,
    template_url: urls.get(`${c.name} ${d.region}`) as string,
    template_sha256: sha256,
    parameters: { ...d.parameters },
    termination_protection: c.termination_protection,
  };
}

/** Dry run: the resources each create adds (from the template) and each update changes (change set). */
async function withResources(
  input: CustomizationReadInput,
  decisions: readonly CustomizationDecision[],
  byName: ReadonlyMap<string, Customization>,
  urls: ReadonlyMap<string, string>,
): Promise<CustomizationDecision[]> {
  return mapWithConcurrency(decisions, input.concurrency ?? DEFAULT_CONCURRENCY, async (d) => {
    const c = byName.get(d.customization);
    if (!c || (d.action !== 'create' && d.action !== 'update')) return d;
    if (d.action === 'create') {
      const resources = templateResources(c.template_body).map((r) => ({ action: 'Add', ...r }));
      return { ...d, resources };
    }
    const id = input.accountIds[d.account] as string;
    const report = await input.gateway.request(id, request(d, c, urls, 'observe'));
    const resources = (report.changes ?? []).map((r) => ({
      action: r.action,
      logicalId: r.logical_id,
      type: r.type,
      ...(r.replacement ? { replacement: r.replacement } : {}),
    }));
    return { ...d, resources };
  });
}

async function uploadTemplates(
  input: CustomizationReadInput,
  decisions: readonly CustomizationDecision[],
  byName: ReadonlyMap<string, Customization>,
): Promise<Map<string, string>> {
  const wanted = new Map<string, { c: Customization; region: string }>();
  for (const d of decisions) {
    const c = byName.get(d.customization);
    if (c && (d.action === 'create' || d.action === 'update'))
      wanted.set(`${c.name} ${d.region}`, { c, region: d.region });
  }
  const urls = new Map<string, string>();
  await mapWithConcurrency(
    [...wanted],
    input.concurrency ?? DEFAULT_CONCURRENCY,
    async ([key, { c, region }]) => {
      urls.set(key, await input.gateway.uploadTemplate(c.name, c.template_body, region));
    },
  );
  return urls;
}

/** Applies the waves; a failed stack holds back its dependants in the same account and region. */
async function apply(
  input: CustomizationRunInput,
  decisions: readonly CustomizationDecision[],
  customizations: readonly Customization[],
  urls: ReadonlyMap<string, string>,
): Promise<Record<string, string>> {
  const byName = new Map(customizations.map((c) => [c.name, c]));
  const failures: Record<string, string> = {};
  const failedAt = new Map<string, Set<string>>();
  const dependsOnFailed = (d: CustomizationDecision): string | undefined => {
    const failed = failedAt.get(`${d.account}/${d.region}`);
    if (!failed) return undefined;
    const deps = d.action === 'delete' ? [] : (byName.get(d.customization)?.depends_on ?? []);
    return deps.find((dep) => failed.has(dep));
  };
  for (const wave of applyOrder(decisions, customizations)) {
    await mapWithConcurrency(wave, input.concurrency ?? DEFAULT_CONCURRENCY, async (d) => {
      const started = Date.now();
      const step = `customization:${d.action}`;
      const at = { step, target: where(d), account: d.account, region: d.region };
      const held = dependsOnFailed(d);
      const fail = (message: string, code?: ErrorCode) => {
        failures[where(d)] = message;
        const set = failedAt.get(`${d.account}/${d.region}`) ?? new Set<string>();
        set.add(d.customization);
        failedAt.set(`${d.account}/${d.region}`, set);
        input.output.err(`  x ${where(d)}: ${message}`);
        input.output.emit?.({
          type: 'step',
          ...at,
          status: held ? 'skipped' : 'failed',
          message,
          ...(code ? { code } : {}),
        });
      };
      if (held) return fail(`not deployed: it depends on ${held}, which failed here`);
      try {
        const operation = d.action === 'delete' ? 'delete' : 'deploy';
        const report = await input.gateway.request(
          input.accountIds[d.account] as string,
          request(d, byName.get(d.customization), urls, operation),
        );
        input.output.err(
          `  ${d.action === 'delete' ? '-' : d.action === 'create' ? '+' : '~'} ${where(d)}: ${report.result}`,
        );
        input.output.emit?.({
          type: 'step',
          ...at,
          status: report.result === 'unchanged' ? 'unchanged' : 'done',
          durationMs: Date.now() - started,
        });
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e), isOrgbridgeError(e) ? e.code : undefined);
      }
    });
  }
  return failures;
}

/**
 * What a run would do, read-only but for the content-addressed template uploads its change sets
 * need: each stack's decision, with the resource changes of an update. `orgbridge plan` shows it
 * as its `customizations` section; `run --action customizations` applies it.
 */
export function planCustomizationRun(
  input: CustomizationReadInput & { readonly withChanges: boolean },
): Promise<{ decisions: CustomizationDecision[]; urls: Map<string, string> }> {
  return planWithIds({ ...withRetiredIds(input), withChanges: input.withChanges });
}

/** planCustomizationRun, its input's account ids already holding the retired accounts'. */
async function planWithIds(
  input: CustomizationReadInput & { readonly withChanges: boolean },
): Promise<{ decisions: CustomizationDecision[]; urls: Map<string, string> }> {
  const customizations = input.config.customizations ?? [];
  const byName = new Map(customizations.map((c) => [c.name, c]));
  // Only accounts that exist can hold stacks; the others get theirs once created.
  const accounts = input.config.accounts.filter((a) => input.accountIds[a.key] !== undefined);
  // A plan (withChanges) brings drift up to date; an apply only needs what exists.
  const observed = await observeStacks(
    { ...input, detectDrift: input.withChanges },
    accounts,
    customizations,
  );
  const retired = new Set((input.retired ?? []).map((r) => r.key));
  const planned = planCustomizations({ customizations, accounts, observed, retired });
  const urls = await uploadTemplates(input, planned, byName);
  const decisions = input.withChanges ? await withResources(input, planned, byName, urls) : planned;
  return { decisions, urls };
}

/** The retired accounts' ids under their former keys, so their stacks' requests find them. */
function withRetiredIds<T extends CustomizationReadInput>(input: T): T {
  if (!input.retired?.length) return input;
  const ids = Object.fromEntries(input.retired.map((r) => [r.key, r.id]));
  return { ...input, accountIds: { ...ids, ...input.accountIds } };
}

export async function runCustomizations(given: CustomizationRunInput): Promise<CustomizationRunResult> {
  const input = withRetiredIds(given);
  const customizations = input.config.customizations ?? [];
  const { decisions, urls } = await planWithIds({ ...input, withChanges: !input.execute });
  const section = customizationsSection(decisions);
  input.output.out(
    renderOrganizationPlanText(organizationPlan([section], new Date(0))).split('\nPlan:')[0] ?? '',
  );
  if (section.status === 'blocked') return { outcome: 'failed', decisions, failures: {} };
  const pending = decisions.some(
    (d) => d.action === 'create' || d.action === 'update' || d.action === 'delete',
  );
  if (!input.execute) {
    if (pending) input.output.err(`dry run: nothing changed; to apply: ${APPLY_CUSTOMIZATIONS}`);
    return { outcome: pending ? 'pending' : 'done', decisions, failures: {} };
  }
  const failures = await apply(input, decisions, customizations, urls);
  const count = Object.keys(failures).length;
  if (count)
    input.output.err(`customizations: ${count} stack${count === 1 ? '' : 's'} failed (the others are done)`);
  return { outcome: count ? 'failed' : 'done', decisions, failures };
}
