import { isMarker, MARKERS } from '../../plan/markers.js';
import { RequestRejected } from '../types.js';
import { allPages, type OrganizationsPort } from './ports.js';

/**
 * What the management handler refuses whatever the (authorised) cicd account asks: an event is
 * never trusted to be the product of a correct plan (docs/security.md, "The management handler").
 *
 * - Special accounts (cicd, identity, dns, logs, audit; the handler knows them from its own
 *   configuration, ORGBRIDGE_SPECIAL_ACCOUNTS) are never moved, retired or closed, and lose no
 *   marker, by an event.
 * - Markers the handler writes itself are never set by an event: `orgbridge:closed` (it counts
 *   closures against the quota) and `orgbridge:retired`; `orgbridge:ou` only to the OU the account
 *   is in; `orgbridge:key` never changes once an account carries one (a forged key would make a
 *   member look like another account, a special one included).
 */
export interface TrustRules {
  /** Special account id -> its kind. */
  readonly special: ReadonlyMap<string, string>;
}

export function trustRules(special: Readonly<Partial<Record<string, string>>> | undefined): TrustRules {
  return {
    special: new Map(Object.entries(special ?? {}).flatMap(([kind, id]) => (id ? [[id, kind]] : []))),
  };
}

/** SPECIAL_ACCOUNT_NOT_ALLOWED unless `accountId` is an ordinary member. */
export function assertNotSpecial(rules: TrustRules, accountId: string, doing: string): void {
  const kind = rules.special.get(accountId);
  if (kind) {
    throw new RequestRejected(
      'SPECIAL_ACCOUNT_NOT_ALLOWED',
      `${doing}: ${accountId} is the ${kind} account, which no event may move, retire, close or unmark`,
    );
  }
}

/** Markers no event may set: the handler writes them itself. */
const HANDLER_WRITTEN = new Set<string>([MARKERS.closed, MARKERS.retired, MARKERS.unprotected]);

/** CREATE_ACCOUNT: its tags may carry the plan's markers, never the ones the handler writes. */
export function assertCreateTags(tags: Readonly<Record<string, string>>, doing: string): void {
  const refused = Object.keys(tags).filter(
    (k) => isMarker(k) && (HANDLER_WRITTEN.has(k) || k === MARKERS.ou),
  );
  if (refused.length > 0) {
    throw new RequestRejected(
      'MARKER_NOT_ALLOWED',
      `${doing}: ${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} written by the handler itself, never by a request`,
    );
  }
}

/** TAG_ACCOUNT: the marker changes the handler accepts from an event (see TrustRules). */
export async function assertTagChange(
  port: OrganizationsPort,
  rules: TrustRules,
  request: { accountId: string; set: Readonly<Record<string, string>>; remove: readonly string[] },
  doing: string,
): Promise<void> {
  const refuse = (why: string) => {
    throw new RequestRejected('MARKER_NOT_ALLOWED', `${doing}: ${why}`);
  };
  const setMarkers = Object.keys(request.set).filter(isMarker);
  const removedMarkers = request.remove.filter(isMarker);
  for (const k of setMarkers) if (HANDLER_WRITTEN.has(k)) refuse(`${k} is written by the handler itself`);
  if (request.remove.includes(MARKERS.closed)) refuse(`${MARKERS.closed} is never removed`);
  if (request.remove.includes(MARKERS.unprotected)) {
    refuse(`${MARKERS.unprotected} is removed by the handler only, when the account is protected again`);
  }
  const special = rules.special.get(request.accountId);
  if (special && removedMarkers.length > 0) {
    refuse(`${request.accountId} is the ${special} account, whose markers no event removes`);
  }
  if (setMarkers.length === 0) return;
  if (request.set[MARKERS.key] !== undefined) {
    const tags = await allPages((t) => port.listTags(request.accountId, t));
    const current = tags.find((t) => t.key === MARKERS.key)?.value;
    if (current !== undefined && current !== request.set[MARKERS.key]) {
      refuse(
        `${request.accountId} carries ${MARKERS.key}=${current}; an event may not re-key it to '${request.set[MARKERS.key]}'`,
      );
    }
  }
  const ou = request.set[MARKERS.ou];
  if (ou !== undefined) {
    const parent = await port.parentOf(request.accountId);
    if (parent !== ou)
      refuse(`${MARKERS.ou} may only record the OU the account is in (${parent}), not ${ou}`);
  }
}
