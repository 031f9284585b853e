/**
 * Who may write which DNS name through the DNS account: the pure core of the DNS handlers.
 *
 * An account may write a record only inside its own zone (`<account name>.<dns_parent_domain>`)
 * or inside one of its `allowed_dns_domains`. "Inside" is decided on DNS label boundaries, never
 * on string suffixes, so `evil-a-domain.com` is not inside `a-domain.com`. Names under the parent
 * domain are only ever allowed inside the sender's own zone: the parent zone itself and the other
 * accounts' zones stay out of reach even if an allowed domain were misconfigured to cover them.
 */

/** RFC 1035: 63 octets a label, 253 a name (without the trailing dot). */
const MAX_LABEL = 63;
const MAX_NAME = 253;
/** Letters, digits and hyphens; `_` for service/validation labels (`_acme`, ACM's `_x1y2`). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

export type DnsNameProblem = 'empty' | 'too-long' | 'bad-label' | 'misplaced-wildcard';

/** Lowercases, strips one trailing dot; undefined labels mean the name is not a valid DNS name. */
export function normaliseDnsName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

/** Why a (normalised) name is not a valid record name, or undefined when it is. */
export function dnsNameProblem(name: string): DnsNameProblem | undefined {
  if (name === '') return 'empty';
  if (name.length > MAX_NAME) return 'too-long';
  const labels = name.split('.');
  for (const [i, label] of labels.entries()) {
    if (label === '*') {
      if (i !== 0) return 'misplaced-wildcard';
      continue;
    }
    if (label.length === 0 || label.length > MAX_LABEL || !LABEL.test(label)) return 'bad-label';
  }
  return undefined;
}

/** True when `name` equals `domain` or is a subdomain of it, on label boundaries. */
export function isWithinDomain(name: string, domain: string): boolean {
  const n = normaliseDnsName(name);
  const d = normaliseDnsName(domain);
  if (d === '') return false;
  return n === d || n.endsWith(`.${d}`);
}

/** The zone the DNS account hosts for one account: `<account name>.<parent domain>`. */
export function accountZoneName(accountName: string, parentDomain: string): string {
  return `${normaliseDnsName(accountName)}.${normaliseDnsName(parentDomain)}`;
}

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME';

export interface DnsRecordRequest {
  /** The account that sent the request (the event's `account`). */
  readonly senderAccountId: string;
  /** The sender's own zone, `<account name>.<parent domain>`; undefined if it has none. */
  readonly senderZone: string | undefined;
  /** The sender's `allowed_dns_domains`. */
  readonly allowedDomains: readonly string[];
  /** The parent domain of every account zone (`dns_parent_domain`), if configured. */
  readonly parentDomain: string | undefined;
  readonly name: string;
  readonly type: DnsRecordType;
}

export type DnsAuthorization =
  | {
      readonly allowed: true;
      /** The normalised record name. */
      readonly name: string;
      /** The domain that grants it: the sender's zone or one of its allowed domains. */
      readonly grantedBy: string;
      readonly via: 'own-zone' | 'allowed-domain';
    }
  | { readonly allowed: false; readonly name: string; readonly reason: string };

export function authorizeDnsRecord(request: DnsRecordRequest): DnsAuthorization {
  const name = normaliseDnsName(request.name);
  const deny = (reason: string): DnsAuthorization => ({ allowed: false, name, reason });
  const problem = dnsNameProblem(name);
  if (problem) return deny(`'${request.name}' is not a valid DNS record name (${problem})`);

  const zone = request.senderZone ? normaliseDnsName(request.senderZone) : undefined;
  if (zone && isWithinDomain(name, zone)) {
    if (request.type === 'CNAME' && name === zone) {
      // A CNAME cannot sit at a zone apex next to its SOA and NS records (RFC 1912 2.4).
      return deny(`a CNAME cannot be created at the apex of zone ${zone}`);
    }
    return { allowed: true, name, grantedBy: zone, via: 'own-zone' };
  }
  const parent = request.parentDomain ? normaliseDnsName(request.parentDomain) : undefined;
  if (parent && isWithinDomain(name, parent)) {
    return deny(
      name === parent
        ? `${name} is the parent zone; accounts may only write inside their own zone ${zone ?? '(none)'}`
        : `${name} is under the parent domain ${parent} but outside account ${request.senderAccountId}'s zone ${zone ?? '(none)'}`,
    );
  }
  const domain = request.allowedDomains
    .map(normaliseDnsName)
    .filter((d) => d !== '' && isWithinDomain(name, d))
    .sort((a, b) => b.length - a.length)[0];
  if (domain) {
    // The same rule at the apex of an allowed domain's zone: Route 53 refuses the change
    // (InvalidChangeBatch), which would fail the handler into the DLQ instead of an answer.
    if (request.type === 'CNAME' && name === domain) {
      return deny(`a CNAME cannot be created at the apex of the allowed domain ${domain}`);
    }
    return { allowed: true, name, grantedBy: domain, via: 'allowed-domain' };
  }
  const allowed = [zone, ...request.allowedDomains.map(normaliseDnsName)].filter(Boolean).join(', ');
  return deny(
    `${name} is outside the domains account ${request.senderAccountId} may write (${allowed || 'none'})`,
  );
}
