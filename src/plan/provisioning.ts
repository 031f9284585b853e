import { createHash } from 'node:crypto';
import type { ResolvedAccount, ResolvedConfig, SpecialAccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { DEFAULT_VPC_CIDR } from '../config/resolve.js';
import { OrgbridgeError } from '../errors.js';
import { isMarker } from './markers.js';
import { compareText } from './observed.js';

/**
 * What provisioning writes into a new account, as plain data: its SSM parameters and its VPC
 * request. Pure, so the pipeline can fingerprint it (a changed value means a changed step id,
 * hence a re-run of just that step).
 */

/** Every parameter orgbridge writes into an account lives under this path (and only there). */
export const ACCOUNT_PARAMETER_PATH = '/orgbridge/account/';

export interface SsmParameter {
  readonly name: string;
  readonly value: string;
}

/** SSM names allow `a-zA-Z0-9_.-/`; tag keys allow more (`:`, `+`, `=`, `@`, space). */
export function parameterSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

export interface AccountParameterInputs {
  readonly config: ResolvedConfig;
  readonly accountId: string;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
}

/**
 * The `/orgbridge/account/*` parameters of one account (the EventBridge design: "SSM entries
 * including account tags and some other global info"). Sorted by name; at most ~70 (50 tags + fixed
 * ones), under the PUT_SSM_PARAMETERS limit of 100.
 */
export function accountParameters(account: ResolvedAccount, inputs: AccountParameterInputs): SsmParameter[] {
  const p = ACCOUNT_PARAMETER_PATH;
  const params: SsmParameter[] = [
    { name: `${p}id`, value: inputs.accountId },
    { name: `${p}key`, value: account.key },
    { name: `${p}name`, value: account.name },
    { name: `${p}scope`, value: account.scope },
    { name: `${p}organization-unit`, value: account.organization_unit },
    { name: `${p}environment`, value: account.environment },
    { name: `${p}service`, value: account.service },
    { name: `${p}region`, value: account.region },
    { name: `${p}event-bus`, value: inputs.config.organization.event_bus },
    { name: `${p}event-source`, value: inputs.config.organization.event_source },
  ];
  const regions = stringList(account.settings.regions) ??
    stringList(inputs.config.defaults.regions) ?? [account.region];
  params.push({ name: `${p}regions`, value: regions.join(',') });
  if (typeof account.settings.global_region === 'string') {
    params.push({ name: `${p}global-region`, value: account.settings.global_region });
  }
  if (account.allowed_dns_domains.length) {
    params.push({ name: `${p}allowed-dns-domains`, value: account.allowed_dns_domains.join(',') });
  }
  if (inputs.config.organization.dns_parent_domain) {
    params.push({ name: `${p}dns-parent-domain`, value: inputs.config.organization.dns_parent_domain });
  }
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    params.push({ name: `${p}accounts/${kind}`, value: inputs.specialIds[kind] });
  }
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(account.tags)) {
    if (isMarker(key) || value === '') continue;
    const name = `${p}tags/${parameterSegment(key)}`;
    const clash = seen.get(name);
    if (clash !== undefined) {
      throw new OrgbridgeError(
        'PROVISION_TAG_PARAMETER_CLASH',
        `account '${account.key}': tags '${clash}' and '${key}' both map to SSM parameter ${name}`,
        { hint: 'SSM names allow only letters, digits and _ . - /: rename one of the tags' },
      );
    }
    seen.set(name, key);
    params.push({ name, value });
  }
  return params.sort((a, b) => compareText(a.name, b.name));
}

/** CREATE_VPC carries at most 6 NAT gateways (one per AZ; regions have 3 to 6 AZs). */
export const MAX_NAT_GATEWAYS = 6;

export interface VpcRequest {
  readonly region: string;
  readonly cidr: string;
  readonly nat_gateway_count: number;
}

/** The CREATE_VPC request of an account, or undefined when `create_vpc` does not resolve true. */
export function vpcRequest(account: ResolvedAccount): VpcRequest | undefined {
  if (account.settings.create_vpc !== true) return undefined;
  const nat = typeof account.settings.nat_gateway_count === 'number' ? account.settings.nat_gateway_count : 1;
  if (nat > MAX_NAT_GATEWAYS) {
    throw new OrgbridgeError(
      'PROVISION_TOO_MANY_NAT_GATEWAYS',
      `account '${account.key}': nat_gateway_count ${nat} is more than the ${MAX_NAT_GATEWAYS} the standard VPC supports (one per AZ)`,
      { hint: `set nat_gateway_count to at most ${MAX_NAT_GATEWAYS}` },
    );
  }
  // `vpc_cidr` is a DSL setting (validated /16-/24, default 10.0.0.0/16); configs built in code may omit it.
  const cidr = typeof account.settings.vpc_cidr === 'string' ? account.settings.vpc_cidr : DEFAULT_VPC_CIDR;
  return { region: account.region, cidr, nat_gateway_count: nat };
}

/** Short stable hash of any JSON value with sorted keys (never hash key-order-dependent JSON). */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
