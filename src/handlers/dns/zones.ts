import { OrgbridgeError } from '../../errors.js';
import { awsErrorName } from '../accounts/ports.js';
import { accountZoneName, normaliseDnsName } from './authorize.js';
import type { HostedZone, ParameterPort, Route53Port } from './ports.js';
import type { TokenBucket } from './rate-limit.js';
import { type AccountZoneBatch, accountZoneBatch } from './zone-batch.js';

/**
 * One public hosted zone per account, delegated from the parent zone, and each account's DNS
 * permissions exported as SSM parameters in the DNS account (the EventBridge design: "exported to dns account
 * as ssm"). The pipeline calls these in the DNS account; the record handlers read them back.
 */

/** The parent domain, written once by the pipeline; the handlers refuse names under it. */
export const PARENT_DOMAIN_PARAMETER = '/orgbridge/dns/parent-domain';

/**
 * The account an allowed domain belongs to now, one parameter per domain. An account's own
 * `allowed-dns-domains` parameter outlives its retirement, so a domain moved to another account
 * would stay writable by both; the record handlers take a domain's grant only from the account
 * this names (a domain without one predates it and is taken as before).
 */
export function domainOwnerParameter(domain: string): string {
  return `/orgbridge/dns/domain-owners/${normaliseDnsName(domain)}`;
}

/** SSM parameter names holding one account's DNS permissions in the DNS account. */
export function accountDnsParameters(accountId: string): { zone: string; allowedDomains: string } {
  return {
    zone: `/orgbridge/accounts/${accountId}/dns-zone`,
    allowedDomains: `/orgbridge/accounts/${accountId}/allowed-dns-domains`,
  };
}

/**
 * Whether the pipeline registered `accountId` with the DNS account (ENSURE_ACCOUNT_ZONE wrote its
 * zone parameter): the DNS account's handler knows the members of the organization by that, since
 * a list of every member would not fit its environment at 5,000 accounts. A positive answer is
 * kept for the life of the container; a negative one is asked again. A retired account stays
 * registered (its zone and parameters are left for an operator to remove), which is why a zone
 * made for one account is never handed to another (ensureAccountZone).
 */
export function registeredMembers(parameters: ParameterPort): (accountId: string) => Promise<boolean> {
  const known = new Set<string>();
  return async (accountId) => {
    if (known.has(accountId)) return true;
    const { zone } = accountDnsParameters(accountId);
    const found = (await parameters.getMany([zone])).has(zone);
    if (found) known.add(accountId);
    return found;
  };
}

/** NS delegations are long-lived; two days is Route 53's own TTL for NS records. */
export const DELEGATION_TTL_SECONDS = 172_800;

export interface AccountZoneRequest {
  readonly accountId: string;
  readonly accountName: string;
  readonly parentDomain: string;
  readonly allowedDomains: readonly string[];
}

export interface AccountZoneResult {
  readonly zone: string;
  readonly zoneId: string;
  readonly created: boolean;
  readonly nameServers: readonly string[];
}

export interface DnsPorts {
  readonly route53: Route53Port;
  readonly parameters: ParameterPort;
  /** Route 53's 5 requests/s; every Route 53 call takes a token first. */
  readonly bucket: TokenBucket;
  /**
   * Shared by the requests one handler instance works on at once (./zone-batch.ts): one listing
   * of the zones and one change batch of delegations serve many. Without it, each call lists
   * and delegates on its own.
   */
  readonly batch?: AccountZoneBatch;
}

/**
 * Creates `<account name>.<parent>` if missing, UPSERTs its NS delegation in the parent zone and
 * writes the account's parameters. Idempotent: a second run finds the zone and rewrites the same
 * delegation and parameters.
 */
export async function ensureAccountZone(
  ports: DnsPorts,
  request: AccountZoneRequest,
): Promise<AccountZoneResult> {
  const batch = ports.batch ?? accountZoneBatch(ports.route53, ports.bucket);
  const parentName = normaliseDnsName(request.parentDomain);
  const zone = accountZoneName(request.accountName, parentName);
  // Joined before the listing: the delegations of the requests beside this one wait for it.
  const turn = batch.join();
  try {
    const zones = await batch.zonesUnder(parentName);
    const parent = zones.get(parentName);
    if (!parent) {
      throw new OrgbridgeError(
        'DNS_PARENT_ZONE_MISSING',
        `the parent zone ${parentName} (dns_parent_domain) is not hosted in the DNS account`,
        { hint: 'create it there once, and delegate it from its registrar, then re-run the pipeline' },
      );
    }
    const found = zones.get(zone);
    if (found) refuseZoneOfAnotherAccount(found, request);
    const hosted = found ?? (await createAccountZone(ports, request, zone));
    const nameServers = await nameServersOf(ports, hosted);
    if (nameServers.length > 0) {
      await turn.delegate(parent.id, {
        name: zone,
        type: 'NS',
        ttl: DELEGATION_TTL_SECONDS,
        values: nameServers,
      });
    }
    await exportAccountDnsParameters(ports.parameters, request.accountId, zone, request.allowedDomains);
    await ports.parameters.put(PARENT_DOMAIN_PARAMETER, parentName, 'String');
    return { zone, zoneId: hosted.id, created: !found, nameServers };
  } finally {
    turn.leave();
  }
}

/** The CallerReference orgbridge creates an account's zone with (see createAccountZone). */
function zoneCallerReference(accountId: string, zone: string): string {
  return `orgbridge-${accountId}-${zone}`.slice(0, 128);
}

/**
 * A zone orgbridge made for one account is never handed to another: an account that took over a
 * retired account's name would share its zone, and the retired account, still registered with
 * the DNS account, could keep writing records there (certificate validation, aliases). The
 * zone's CallerReference names the account it was made for; a zone made by hand (another
 * reference) is adopted as before.
 */
function refuseZoneOfAnotherAccount(found: HostedZone, request: AccountZoneRequest): void {
  const reference = found.callerReference;
  if (reference === undefined || !reference.startsWith('orgbridge-')) return;
  if (reference === zoneCallerReference(request.accountId, found.name)) return;
  const owner = /^orgbridge-(\d{12})-/.exec(reference)?.[1] ?? 'another account';
  throw new OrgbridgeError(
    'DNS_ZONE_OF_ANOTHER_ACCOUNT',
    `the zone ${found.name} was made for account ${owner}, not for ${request.accountId} (${request.accountName})`,
    {
      hint: `an account name taken over from a retired account: delete the zone ${found.name} and the parameters /orgbridge/accounts/${owner}/* in the DNS account once nothing of ${owner} uses them, or give the account another name`,
    },
  );
}

/** A new zone's answer names its name servers; a zone found by the listing is asked. */
async function nameServersOf({ route53, bucket }: DnsPorts, zone: HostedZone): Promise<string[]> {
  if (zone.nameServers) return [...zone.nameServers];
  await bucket.take();
  return route53.nameServers(zone.id);
}

/**
 * CreateHostedZone with a caller reference fixed per account and zone: Route 53 refuses a second
 * zone with a used reference (HostedZoneAlreadyExists,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html), so a create
 * repeated by a redelivered request, or by a duplicate of it running beside it, finds the zone
 * the first one made instead of making a second.
 */
async function createAccountZone(
  { route53, bucket }: DnsPorts,
  request: AccountZoneRequest,
  zone: string,
): Promise<HostedZone> {
  await bucket.take();
  try {
    return await route53.createPublicZone(
      zone,
      zoneCallerReference(request.accountId, zone),
      `orgbridge: zone of account ${request.accountName} (${request.accountId})`,
    );
  } catch (e) {
    if (awsErrorName(e) !== 'HostedZoneAlreadyExists') throw e;
    await bucket.take();
    const made = await route53.findPublicZone(zone);
    if (!made) throw e;
    return made;
  }
}

/** Writes (or clears) the parameters the record handlers authorize against. */
export async function exportAccountDnsParameters(
  parameters: ParameterPort,
  accountId: string,
  zone: string | undefined,
  allowedDomains: readonly string[],
): Promise<void> {
  const names = accountDnsParameters(accountId);
  if (zone) await parameters.put(names.zone, normaliseDnsName(zone), 'String');
  else await parameters.delete(names.zone);
  const domains = [...new Set(allowedDomains.map(normaliseDnsName))].filter(Boolean).sort();
  // SSM values cannot be empty: no allowed domains means no parameter.
  if (domains.length > 0) await parameters.put(names.allowedDomains, domains.join(','), 'StringList');
  else await parameters.delete(names.allowedDomains);
  // The newest account given a domain owns it (validate keeps two listed accounts from sharing
  // one); written only where it changes, so a repeated request writes nothing more.
  const owners = await parameters.getMany(domains.map(domainOwnerParameter));
  for (const domain of domains) {
    const name = domainOwnerParameter(domain);
    if (owners.get(name) !== accountId) await parameters.put(name, accountId, 'String');
  }
}

/** The DNS permissions of one account as the record handlers see them. */
export interface AccountDnsPermissions {
  readonly zone: string | undefined;
  readonly allowedDomains: readonly string[];
  /** `dns_parent_domain`, when the pipeline has written it. */
  readonly parentDomain: string | undefined;
}

export async function readAccountDnsPermissions(
  parameters: ParameterPort,
  accountId: string,
): Promise<AccountDnsPermissions> {
  const names = accountDnsParameters(accountId);
  const values = await parameters.getMany([names.zone, names.allowedDomains, PARENT_DOMAIN_PARAMETER]);
  const domains = values.get(names.allowedDomains);
  return {
    zone: values.get(names.zone),
    parentDomain: values.get(PARENT_DOMAIN_PARAMETER),
    allowedDomains: domains ? domains.split(',').map(normaliseDnsName).filter(Boolean) : [],
  };
}
