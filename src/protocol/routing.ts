import type { AccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { type DetailType, REQUEST_TYPES, REQUESTS, type RequestType } from './catalog.js';

/**
 * The routing table, in one place: for each account kind, the request detail-types its handler
 * accepts and the kinds of account allowed to send each. Rules (src/protocol/topology.ts, and the
 * CloudFormation rendered from it) and the runtime's sender check (src/runtime) both read it.
 *
 * Least privilege (the EventBridge design: "think twice when you allow an account to receive a message from
 * another account"): only the cicd account sends requests, except the DNS requests, which any
 * account of the organization may send about its own records (the DNS handler checks the names).
 * Responses always flow back to the cicd account.
 */
export const ACCOUNT_KINDS: readonly AccountKind[] = [...SPECIAL_ACCOUNT_KINDS, 'member'];

const ONLY_CICD: readonly AccountKind[] = ['cicd'];

/** Derived from the request descriptors (REQUESTS in src/protocol/catalog.ts). */
export const ROUTING_TABLE: Readonly<
  Record<AccountKind, Readonly<Partial<Record<RequestType, readonly AccountKind[]>>>>
> = Object.fromEntries(
  ACCOUNT_KINDS.map((kind) => [
    kind,
    Object.fromEntries(
      REQUEST_TYPES.filter((type) => {
        const { handledBy } = REQUESTS[type];
        return handledBy === 'every' || handledBy.includes(kind);
      }).map((type) => [type, REQUESTS[type].senders === 'organization' ? ACCOUNT_KINDS : ONLY_CICD]),
    ),
  ]),
) as Record<AccountKind, Partial<Record<RequestType, readonly AccountKind[]>>>;

/** Requests any account may send to the DNS account (each account's bus forwards them there). */
export const DNS_REQUEST_TYPES: readonly RequestType[] = REQUEST_TYPES.filter((type) => {
  const { handledBy, senders } = REQUESTS[type];
  return senders === 'organization' && handledBy !== 'every' && handledBy.includes('dns');
});

/** The request types an account of `kind` handles, in catalog order. */
export function handledRequestTypes(kind: AccountKind): RequestType[] {
  const routes = ROUTING_TABLE[kind];
  return REQUEST_TYPES.filter((t) => Object.hasOwn(routes, t));
}

/** Whether an account of `kind` handles `type` at all. */
export function handles(kind: AccountKind, type: DetailType): type is RequestType {
  return Object.hasOwn(ROUTING_TABLE[kind], type);
}

/** The sender kinds an account of `kind` accepts `type` from (empty: not handled). */
export function allowedSenderKinds(kind: AccountKind, type: DetailType): readonly AccountKind[] {
  return (ROUTING_TABLE[kind] as Partial<Record<string, readonly AccountKind[]>>)[type] ?? [];
}

export function isSenderAllowed(receiver: AccountKind, type: DetailType, sender: AccountKind): boolean {
  return allowedSenderKinds(receiver, type).includes(sender);
}
