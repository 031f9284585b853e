import type { AwsClients } from '../aws/clients.js';
import type { MessagingLog } from '../bus/log.js';
import type { AccountKind } from '../config/model.js';
import type { ErrorCode } from '../error-codes.js';
import { OrgbridgeError } from '../errors.js';
import type { Detail, ReplyBody, ReplyTypeOf, RequestType, ResponseType } from '../protocol/catalog.js';

/** What the runtime hands a handler besides the validated detail. */
export interface HandlerContext {
  /** Clients acting in this (the receiving) account. */
  readonly clients: AwsClients;
  readonly log: MessagingLog;
  /** The account that handles the event. */
  readonly account: { readonly id: string; readonly kind: AccountKind };
  /** The account that sent it (already authorised by the routing table). */
  readonly sender: { readonly id: string; readonly kind: AccountKind };
  readonly nonce: string;
  readonly dryrun: boolean;
  /**
   * Which delivery of this message this is (SQS ApproximateReceiveCount; 1 = first). Above 1, an
   * earlier attempt may have died half-way, so handlers re-read what they cached.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
   */
  readonly attempt?: number;
  /**
   * Time left before the invocation is cut off (Lambda's getRemainingTimeInMillis; local mode:
   * the poller's lease). Handlers that wait on AWS stop waiting before it runs out.
   */
  readonly remainingTimeMs?: () => number;
  /**
   * Puts an extra answer (e.g. one part of a chunked ACCOUNTS_LISTED) on the local bus at once,
   * with this request's nonce, addressed to `reply_to`. The handler's return value is the usual
   * answer; only that one is stored for idempotency and re-sent on a duplicate.
   */
  reply<R extends ResponseType>(type: R, body: ReplyBody<R>): Promise<void>;
}

/** Handles one request; returns the body of its success answer (sent when the request has reply_to). */
export type Handler<T extends RequestType> = (
  detail: Detail<T>,
  ctx: HandlerContext,
) => Promise<ReplyBody<ReplyTypeOf<T>> | undefined>;

export interface HandlerRegistration<T extends RequestType> {
  readonly handle: Handler<T>;
  /**
   * Deduplicate by nonce + detail-type (default true). Reads (LIST_ACCOUNTS, status queries) may
   * opt out: running them again is harmless and re-sends fresh (possibly multi-part) answers.
   */
  readonly idempotent?: boolean;
}

/** The handlers one account kind runs, by detail-type. */
export type HandlerRegistry = { readonly [T in RequestType]?: HandlerRegistration<T> };

/**
 * Thrown by a handler to refuse a request for good (e.g. a DNS name outside the sender's zone):
 * the runtime answers REQUEST_FAILED with `code` and does not retry.
 */
export class RequestRejected extends OrgbridgeError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, { source: 'user' });
    this.name = 'RequestRejected';
  }
}

/**
 * Keeps the registrations the routing table gives `kind`: an account never runs a handler its
 * rules would not deliver to it. Local mode's registry and each Lambda's bundled registry both
 * go through here.
 */
export function registryForKind(
  kind: AccountKind,
  all: HandlerRegistry,
  handled: (kind: AccountKind) => readonly RequestType[],
): HandlerRegistry {
  const registry: Partial<Record<RequestType, unknown>> = {};
  for (const type of handled(kind)) if (all[type]) registry[type] = all[type];
  return registry as HandlerRegistry;
}
