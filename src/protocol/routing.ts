import type { AccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { type DetailType, REQUEST_TYPES, type RequestType } from './catalog.js';

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

/**
 * Requests every kind of account handles: health check, its SSM parameters, its baseline (access
 * roles, AutomationRole, backup vault and role), its VPC.
 */
const COMMON: Readonly<Partial<Record<RequestType, readonly AccountKind[]>>> = {
  PING: ONLY_CICD,
  PUT_SSM_PARAMETERS: ONLY_CICD,
  UPDATE_ACCOUNT_BASELINE: ONLY_CICD,
  CREATE_VPC: ONLY_CICD,
};

export const ROUTING_TABLE: Readonly<
  Record<AccountKind, Readonly<Partial<Record<RequestType, readonly AccountKind[]>>>>
> = {
  management: {
    ...COMMON,
    LIST_ACCOUNTS: ONLY_CICD,
    CREATE_ACCOUNT: ONLY_CICD,
    MOVE_ACCOUNT: ONLY_CICD,
    TAG_ACCOUNT: ONLY_CICD,
    RETIRE_ACCOUNT: ONLY_CICD,
    ENSURE_ORGANIZATIONAL_UNIT: ONLY_CICD,
    STACK_INSTANCE_STATUS: ONLY_CICD,
    SYNC_SCPS: ONLY_CICD,
  },
  cicd: { ...COMMON },
  identity: { ...COMMON, UPDATE_IAM_MAPPING: ONLY_CICD },
  dns: {
    ...COMMON,
    DNS_CREATE_ALIAS: ACCOUNT_KINDS,
    DNS_CREATE_VALIDATION_RECORD: ACCOUNT_KINDS,
    // Zones and the permissions they imply are the pipeline's decision, never an account's.
    ENSURE_ACCOUNT_ZONE: ONLY_CICD,
  },
  logs: { ...COMMON, UPDATE_LOG_BUCKETS: ONLY_CICD },
  audit: { ...COMMON },
  member: { ...COMMON },
};

/** Requests any account may send to the DNS account (each account's bus forwards them there). */
export const DNS_REQUEST_TYPES: readonly RequestType[] = ['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD'];

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
