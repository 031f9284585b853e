import type { ResolvedConfig } from '../config/model.js';
import { managedAccountIds } from '../plan/accounts.js';
import { MARKERS } from '../plan/markers.js';
import type { AccountPlan } from '../plan/model.js';
import type { ObservedAccount, ObservedOrganization } from '../plan/observed.js';
import { describeAction } from '../plan/render.js';

/**
 * The report's accounts table: every account the configuration wants next to what AWS holds for
 * it, and every account AWS holds that the configuration does not (retired, unmanaged). Pure:
 * built from the resolved config, the observed organization and the account plan.
 */
export const ROW_STATES = [
  'active',
  'to-create',
  'retired',
  'suspended',
  'pending-closure',
  'unmanaged',
  'removed',
] as const;
export type RowState = (typeof ROW_STATES)[number];

export const ROW_STATE_LABELS: Readonly<Record<RowState, string>> = {
  active: 'active',
  'to-create': 'not in AWS yet',
  retired: 'retired',
  suspended: 'closed',
  'pending-closure': 'closing',
  unmanaged: 'unmanaged',
  removed: 'removed from config',
};

export interface ReportRow {
  /** The account's key in accounts.yml; absent for accounts only AWS has. */
  readonly key?: string;
  readonly kind: string;
  readonly scope?: string;
  /** Name and OU the configuration wants. */
  readonly wantedName?: string;
  readonly wantedOu?: string;
  readonly email?: string;
  /** What AWS holds (when the organization was read). */
  readonly id?: string;
  readonly awsName?: string;
  readonly awsOu?: string;
  readonly state: RowState;
  readonly protect: boolean;
  /** `orgbridge:retired` date. */
  readonly retired?: string;
  readonly drift: readonly string[];
  /** Pending plan actions on this account (not applied). */
  readonly actions: readonly string[];
  readonly blocked: readonly string[];
  readonly warnings: readonly string[];
}

/** `morgue`: the morgue OU path, when the config has one. */
function stateOf(account: ObservedAccount, morgue: string | undefined): RowState {
  if (account.status === 'SUSPENDED') return 'suspended';
  if (account.status === 'PENDING_CLOSURE') return 'pending-closure';
  const inMorgue = morgue !== undefined && (account.ou === morgue || account.ou.startsWith(`${morgue}/`));
  if (account.tags[MARKERS.retired] || inMorgue) return 'retired';
  return 'active';
}

export function reportRows(
  config: ResolvedConfig,
  observed: ObservedOrganization | undefined,
  plan: AccountPlan | undefined,
): ReportRow[] {
  const ids = observed ? managedAccountIds(config, observed) : {};
  const byId = new Map((observed?.accounts ?? []).map((a) => [a.id, a]));
  const morgue = config.organization.morgue_ou;
  const about = (key: string | undefined, id: string | undefined) => ({
    drift: (plan?.drift ?? []).filter((d) => d.key === key || d.accountId === id).map((d) => d.detail),
    actions: (plan?.actions ?? [])
      .filter((a) => ('key' in a && a.key === key) || ('accountId' in a && a.accountId === id))
      .map((a) => `${a.action} ${describeAction(a)}`),
    blocked: (plan?.blocked ?? [])
      .filter((n) => (key && n.key === key) || (id && n.accountId === id))
      .map((n) => `${n.message} [${n.code}]`),
    warnings: (plan?.warnings ?? [])
      .filter((n) => (key && n.key === key) || (id && n.accountId === id))
      .map((n) => `${n.message} [${n.code}]`),
  });
  const rows: ReportRow[] = [];
  const seen = new Set<string>();
  for (const account of config.accounts) {
    const id = ids[account.key] ?? account.id;
    const aws = id ? byId.get(id) : undefined;
    if (aws) seen.add(aws.id);
    rows.push({
      key: account.key,
      kind: account.kind,
      scope: account.scope,
      wantedName: account.name,
      wantedOu: account.organization_unit,
      email: account.email,
      ...(id ? { id } : {}),
      ...(aws ? { awsName: aws.name, awsOu: aws.ou } : {}),
      state: aws ? stateOf(aws, morgue) : observed ? 'to-create' : 'active',
      protect: account.protect || aws?.tags[MARKERS.protect] === 'true',
      ...(aws?.tags[MARKERS.retired] ? { retired: aws.tags[MARKERS.retired] } : {}),
      ...about(account.key, id),
    });
  }
  for (const aws of observed?.accounts ?? []) {
    if (seen.has(aws.id)) continue;
    const key = aws.tags[MARKERS.key];
    const state = stateOf(aws, morgue);
    rows.push({
      ...(key ? { key } : {}),
      kind: aws.id === observed?.managementAccountId ? 'management' : 'member',
      id: aws.id,
      awsName: aws.name,
      awsOu: aws.ou,
      email: aws.email,
      // Active and carrying a key the config no longer has: the plan retires it.
      state: state === 'active' ? (key ? 'removed' : 'unmanaged') : state,
      protect: aws.tags[MARKERS.protect] === 'true',
      ...(aws.tags[MARKERS.retired] ? { retired: aws.tags[MARKERS.retired] } : {}),
      ...about(undefined, aws.id),
    });
  }
  return rows.sort((a, b) => (a.key ?? `~${a.awsName ?? ''}`).localeCompare(b.key ?? `~${b.awsName ?? ''}`));
}
