import { randomUUID } from 'node:crypto';
import { isErrorCode } from '../error-codes.js';
import { OrgbridgeError } from '../errors.js';
import {
  type Detail,
  type EnvelopeFields,
  isResponseType,
  parseDetail,
  type QueueEnvelope,
  QueueEnvelopeSchema,
  REPLY_TYPE,
  type ReplyTypeOf,
  type RequestType,
} from '../protocol/catalog.js';
import { senderBusName, type Topology } from '../protocol/topology.js';
import { type MessagingLog, silentLog } from './log.js';
import type { QueueMessage, QueuePort } from './queue.js';
import type { EventSender } from './sender.js';

/** What a caller fills in for a request; the client adds nonce, dryrun, target and reply_to. */
export type RequestBody<T extends RequestType> = Omit<Detail<T>, keyof EnvelopeFields>;

export interface RequestOptions {
  readonly dryrun?: boolean;
  readonly timeoutMs?: number;
}

export interface RequestClientOptions {
  readonly topology: Topology;
  readonly sender: EventSender;
  /** The cicd account's reply queue. */
  readonly replies: QueuePort;
  readonly log?: MessagingLog;
  /** Default 60 s. */
  readonly timeoutMs?: number;
  /** Long-poll wait of one ReceiveMessage (1-20 s; default 20). */
  readonly waitSeconds?: number;
  /**
   * Accept a reply only from the account the request was sent to (the envelope's `account`).
   * Default true; moto needs the fidelity patch that src/aws/emulator.ts launches it with.
   */
  readonly verifyResponder?: boolean;
  /**
   * A reply nobody here waits for whose SentTimestamp is older than this is an orphan and is
   * deleted. Must exceed the longest request timeout of EVERY process sharing the queue (the
   * 16-min stack deployment wait is the longest orgbridge uses). Default 20 minutes.
   */
  readonly orphanAfterMs?: number;
  /** Longest time an unclaimed reply is hidden from every poller (seconds; default 30). */
  readonly maxHideSeconds?: number;
  /** Clock for reply ages (ms since the epoch); tests inject one. Default `Date.now`. */
  readonly now?: () => number;
}

/** Default `orphanAfterMs`: 4 minutes of slack (clock skew, slow handlers) over the 16-min wait. */
export const DEFAULT_ORPHAN_AFTER_MS = 20 * 60_000;
/** Default `maxHideSeconds`: well under the shortest request timeout orgbridge uses (2 min). */
export const DEFAULT_MAX_HIDE_SECONDS = 30;

/**
 * How long an unclaimed reply on its `receiveCount`-th receive is hidden: 0 on the first receive,
 * so its owner (another process long-polling the same queue) gets it at once, then 2, 4, 8, 16 s
 * ... up to `maxSeconds`, but at most 2 s while the reply is under a minute old. A reply its owner
 * is waiting for is almost always claimed within a few receives; one still unclaimed after a
 * minute is most likely an orphan, and hiding it keeps it out of the 10-message receives that
 * real replies must get through.
 */
export function unclaimedHideSeconds(receiveCount: number, maxSeconds: number, ageMs?: number): number {
  if (receiveCount <= 1) return 0;
  const hide = Math.min(maxSeconds, 2 ** Math.min(receiveCount - 1, 16));
  // A young reply most likely has a live owner polling the same queue (another run of the
  // pipeline): when this process keeps receiving it first, growing the hide would delay that
  // owner by up to `maxSeconds` each time. Young ones are hidden briefly; the back-off is for
  // replies old enough to be orphans.
  return ageMs !== undefined && ageMs < YOUNG_REPLY_MS ? Math.min(hide, YOUNG_REPLY_HIDE_SECONDS) : hide;
}

/** Replies younger than this (since SQS received them) are hidden at most YOUNG_REPLY_HIDE_SECONDS. */
export const YOUNG_REPLY_MS = 60_000;
const YOUNG_REPLY_HIDE_SECONDS = 2;

/** A REQUEST_FAILED answer: the remote handler's stable code is `remoteCode`. */
export class RequestFailedError extends OrgbridgeError {
  constructor(
    readonly requestType: string,
    readonly targetAccount: string,
    readonly nonce: string,
    readonly remoteCode: string,
    remoteMessage: string,
  ) {
    super(
      'REQUEST_FAILED',
      `${requestType} to account ${targetAccount} (nonce ${nonce}) failed there: ${remoteCode}: ${remoteMessage}`,
      { source: remoteCode === 'HANDLER_FAILED' ? 'internal' : 'user' },
    );
  }

  /**
   * The failure as the remote handler named it: an OrgbridgeError whose code is the remote code
   * (e.g. PROVISION_STACK_NOT_ALLOWED), so a pipeline step reports it like a local failure.
   */
  asRemoteError(): OrgbridgeError {
    // A code from the wire is trusted only when orgbridge knows it (a forged reply cannot invent one).
    const code = isErrorCode(this.remoteCode) ? this.remoteCode : 'REQUEST_FAILED';
    return new OrgbridgeError(code, this.message, { source: this.source, cause: this });
  }
}

interface Waiter {
  readonly label: string;
  readonly from: string;
  readonly replies: QueueEnvelope[];
  readonly isComplete: (replies: readonly QueueEnvelope[]) => boolean;
  readonly resolve: (replies: QueueEnvelope[]) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Unclaimed {
  readonly claimed: false;
  readonly nonce: string;
  readonly type: string;
}
type Dispatched = { readonly claimed: true } | Unclaimed;
const CLAIMED: Dispatched = { claimed: true };

/** Replies keep arriving after a waiter is done (duplicates, parts): delete them for this long. */
const FINISHED_MEMORY_MS = 10 * 60_000;

/**
 * Request/response over EventBridge and the cicd reply queue (the EventBridge design: "have a nonce
 * token in the requesting message, and the response will send the same token back").
 *
 * One poller per queue serves every waiting request: it long-polls while anyone waits, hands each
 * reply to the waiter of its nonce and deletes it. Fifty concurrent requests therefore cost one
 * ReceiveMessage per ten replies, not fifty pollers competing for the same messages.
 *
 * A reply for a nonce this process does not wait for (unclaimed) may belong to another process
 * sharing the queue, or to nobody: the answer to a forged request, or to one whose requester
 * timed out or died. Released at visibility 0 forever, such orphans fill every receive and delay
 * real replies (18 of them turned a 1.5 s CREATE_ACCOUNT into 12 s). The rule:
 * - older than `orphanAfterMs` (by SQS's SentTimestamp): deleted and logged. A reply is sent after
 *   its request, so its requester has waited longer than any request timeout and is gone.
 * - otherwise hidden for `unclaimedHideSeconds(receiveCount)`: 0 the first time, so a live owner
 *   in another process gets it at once, then growing up to `maxHideSeconds`, so an orphan is
 *   seen a few times a minute instead of on every poll.
 * A process's own replies never depend on either rule: they are claimed on receipt, whatever
 * their age. Late duplicates of nonces it finished are deleted as before.
 */
export class RequestClient {
  private readonly waiters = new Map<string, Waiter>();
  private readonly finished = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly log: MessagingLog;
  private readonly waitSeconds: number;
  private readonly orphanAfterMs: number;
  private readonly maxHideSeconds: number;
  private readonly now: () => number;
  /** ReceiveMessage calls made, for benchmarks. */
  receives = 0;
  /** Orphan replies deleted, for benchmarks and tests. */
  orphansDeleted = 0;

  constructor(private readonly options: RequestClientOptions) {
    this.log = options.log ?? silentLog;
    this.waitSeconds = options.waitSeconds ?? 20;
    this.orphanAfterMs = options.orphanAfterMs ?? DEFAULT_ORPHAN_AFTER_MS;
    this.maxHideSeconds = options.maxHideSeconds ?? DEFAULT_MAX_HIDE_SECONDS;
    this.now = options.now ?? Date.now;
  }

  private get cicd(): string {
    return this.options.topology.cicdAccountId;
  }

  /** The topology requests are sent by (the bus of a target: `senderBusName`). */
  get topology(): Topology {
    return this.options.topology;
  }

  /** Sends a request and resolves with its single reply; REQUEST_FAILED and timeouts reject. */
  async request<T extends RequestType>(
    type: T,
    targetAccount: string,
    body: RequestBody<T>,
    options: RequestOptions = {},
  ): Promise<Detail<ReplyTypeOf<T>>> {
    const [reply] = await this.requestReplies(type, targetAccount, body, () => true, options);
    return reply as Detail<ReplyTypeOf<T>>;
  }

  /**
   * Sends a request whose answer comes in `parts` (ACCOUNTS_LISTED): resolves with every part
   * once all parts 1..parts arrived, in part order.
   */
  async requestParts<T extends RequestType>(
    type: T,
    targetAccount: string,
    body: RequestBody<T>,
    options: RequestOptions = {},
  ): Promise<Detail<ReplyTypeOf<T>>[]> {
    const complete = (replies: readonly QueueEnvelope[]) => {
      const parts = new Map<number, number>();
      for (const r of replies) {
        const d = r.detail as { part?: number; parts?: number };
        if (typeof d.part === 'number' && typeof d.parts === 'number') parts.set(d.part, d.parts);
      }
      const total = [...parts.values()][0];
      return total !== undefined && parts.size >= total;
    };
    const replies = await this.requestReplies(type, targetAccount, body, complete, options);
    const byPart = new Map<number, Detail<ReplyTypeOf<T>>>();
    for (const r of replies) byPart.set((r as { part: number }).part, r as Detail<ReplyTypeOf<T>>);
    return [...byPart.entries()].sort(([a], [b]) => a - b).map(([, d]) => d);
  }

  /** Fire and forget (the default style): no reply_to, resolves with the nonce once sent. */
  async send<T extends RequestType>(
    type: T,
    targetAccount: string,
    body: RequestBody<T>,
    options: { dryrun?: boolean; nonce?: string } = {},
  ): Promise<string> {
    const nonce = options.nonce ?? randomUUID();
    await this.put(type, targetAccount, {
      ...body,
      nonce,
      dryrun: options.dryrun ?? false,
      target_account: targetAccount,
    });
    return nonce;
  }

  /**
   * Waits for replies with `nonce` from account `from` until `isComplete` says so. Register
   * before sending (the reply can arrive before `send` returns); `request` does both.
   */
  expectReplies(
    nonce: string,
    from: string,
    label: string,
    isComplete: (replies: readonly QueueEnvelope[]) => boolean = () => true,
    timeoutMs: number = this.options.timeoutMs ?? 60_000,
  ): Promise<QueueEnvelope[]> {
    if (this.closed)
      return Promise.reject(new OrgbridgeError('REQUEST_CLIENT_CLOSED', `${label}: client closed`));
    if (timeoutMs > this.orphanAfterMs) {
      // Another process would delete this request's late reply as an orphan.
      this.log.warn('request timeout exceeds the orphan bound of the reply queue', {
        label,
        timeoutMs,
        orphanAfterMs: this.orphanAfterMs,
      });
    }
    return new Promise<QueueEnvelope[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish(nonce);
        reject(
          new OrgbridgeError('REQUEST_TIMEOUT', `${label} got no complete reply within ${timeoutMs} ms`, {
            source: 'aws',
            hint: `look for the request in the target account's orgbridge-handler-dlq and its handler logs (nonce ${nonce})`,
          }),
        );
      }, timeoutMs);
      this.waiters.set(nonce, { label, from, replies: [], isComplete, resolve, reject, timer });
      this.ensurePolling();
    });
  }

  private async requestReplies<T extends RequestType>(
    type: T,
    targetAccount: string,
    body: RequestBody<T>,
    isComplete: (replies: readonly QueueEnvelope[]) => boolean,
    options: RequestOptions,
  ): Promise<Detail<ReplyTypeOf<T>>[]> {
    const nonce = randomUUID();
    const label = `${type} to account ${targetAccount} (nonce ${nonce})`;
    const waiting = this.expectReplies(nonce, targetAccount, label, isComplete, options.timeoutMs);
    try {
      await this.put(type, targetAccount, {
        ...body,
        nonce,
        dryrun: options.dryrun ?? false,
        target_account: targetAccount,
        reply_to: this.cicd,
      });
    } catch (e) {
      this.cancel(nonce, e as Error);
    }
    const replies = await waiting;
    // A reply that says it answers another request type (same nonce, another request) is not
    // this request's answer, a failure included.
    const other = replies.find((r) => {
      const answered = (r.detail as { request_type?: unknown }).request_type;
      return answered !== undefined && answered !== type;
    });
    if (other) {
      throw new OrgbridgeError(
        'REPLY_UNEXPECTED',
        `${label} was answered with ${other['detail-type']} for ${String((other.detail as { request_type?: unknown }).request_type)}, not ${type}`,
        { source: 'internal' },
      );
    }
    const failed = replies.find((r) => r['detail-type'] === 'REQUEST_FAILED');
    if (failed) {
      const d = failed.detail as Detail<'REQUEST_FAILED'>;
      throw new RequestFailedError(type, targetAccount, nonce, d.code, d.message);
    }
    const expected: string = REPLY_TYPE[type];
    const wrong = replies.find((r) => r['detail-type'] !== expected);
    if (wrong) {
      throw new OrgbridgeError(
        'REPLY_UNEXPECTED',
        `${label} was answered with ${wrong['detail-type']}, expected ${expected}`,
        {
          source: 'internal',
        },
      );
    }
    return replies.map((r) => r.detail as Detail<ReplyTypeOf<T>>);
  }

  private async put(
    type: RequestType,
    targetAccount: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const { topology } = this.options;
    await this.options.sender.send([
      {
        busName: senderBusName(topology, this.cicd, targetAccount),
        source: topology.source,
        detailType: type,
        detail,
      },
    ]);
  }

  private cancel(nonce: string, error: Error): void {
    const w = this.waiters.get(nonce);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiters.delete(nonce);
    w.reject(error);
  }

  private finish(nonce: string): void {
    const w = this.waiters.get(nonce);
    if (w) clearTimeout(w.timer);
    this.waiters.delete(nonce);
    this.finished.set(nonce, this.now());
  }

  private ensurePolling(): void {
    if (this.loop || this.closed) return;
    this.loop = this.poll().finally(() => {
      this.loop = undefined;
      if (this.waiters.size > 0 && !this.closed) this.ensurePolling();
    });
  }

  private async poll(): Promise<void> {
    const { replies } = this.options;
    while (this.waiters.size > 0 && !this.closed) {
      let messages: QueueMessage[];
      try {
        this.receives++;
        messages = await replies.receive({
          max: 10,
          waitSeconds: this.waitSeconds,
          signal: this.abort.signal,
        });
      } catch (e) {
        if (this.closed) return;
        this.log.warn('receiving replies failed; retrying', { error: String(e) });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const mine: string[] = [];
      const toDelete: string[] = [];
      const hidden = new Map<number, string[]>();
      for (const m of messages) {
        const outcome = this.dispatch(m);
        if (outcome.claimed) {
          mine.push(m.receiptHandle);
          toDelete.push(m.receiptHandle);
        } else if (this.isOrphan(m, outcome)) {
          toDelete.push(m.receiptHandle);
        } else {
          const seconds = unclaimedHideSeconds(m.receiveCount, this.maxHideSeconds, this.ageOf(m));
          hidden.set(seconds, [...(hidden.get(seconds) ?? []), m.receiptHandle]);
        }
      }
      await Promise.all([
        toDelete.length ? replies.delete(toDelete) : undefined,
        ...[...hidden].map(([seconds, handles]) => replies.changeVisibility(handles, seconds)),
      ]).catch((e) => this.log.warn('acknowledging replies failed', { error: String(e) }));
      // Only other processes' replies came back: let their pollers have them first.
      if (messages.length > 0 && mine.length === 0) await new Promise((r) => setTimeout(r, 200));
      this.forgetOldNonces();
    }
  }

  /**
   * Unclaimed and older than the orphan bound: deleted (and logged). Without a SentTimestamp
   * the age is unknown and the message is only hidden (the queue's redrive limit ends it).
   */
  private isOrphan(message: QueueMessage, outcome: Unclaimed): boolean {
    const ageMs = this.ageOf(message);
    if (ageMs === undefined || ageMs <= this.orphanAfterMs) return false;
    this.orphansDeleted++;
    this.log.warn('reply queue: deleting an orphan reply no request waits for', {
      messageId: message.messageId,
      nonce: outcome.nonce,
      type: outcome.type,
      ageSeconds: Math.round(ageMs / 1000),
      orphanAfterSeconds: Math.round(this.orphanAfterMs / 1000),
    });
    return true;
  }

  /** How long ago SQS received the message (its SentTimestamp); undefined without one. */
  private ageOf(message: QueueMessage): number | undefined {
    const sent = Number(message.sentTimestamp);
    return message.sentTimestamp && Number.isFinite(sent) ? this.now() - sent : undefined;
  }

  /** `claimed`: the message is this process's to delete (handed to a waiter, or garbage). */
  private dispatch(message: QueueMessage): Dispatched {
    let envelope: QueueEnvelope;
    try {
      envelope = QueueEnvelopeSchema.parse(JSON.parse(message.body));
    } catch {
      this.log.warn('reply queue: dropping a message that is not an orgbridge envelope', {
        messageId: message.messageId,
      });
      return CLAIMED;
    }
    const nonce = typeof envelope.detail.nonce === 'string' ? envelope.detail.nonce : '';
    const waiter = this.waiters.get(nonce);
    if (!waiter) {
      return this.finished.has(nonce) ? CLAIMED : { claimed: false, nonce, type: envelope['detail-type'] };
    }
    const type = envelope['detail-type'];
    const parsed = isResponseType(type) ? parseDetail(type, envelope.detail) : undefined;
    if (!parsed?.ok) {
      this.log.warn('reply queue: dropping an invalid reply', {
        nonce,
        type,
        reason: parsed ? parsed.reason : 'not a response type',
      });
      return CLAIMED;
    }
    if ((this.options.verifyResponder ?? true) && envelope.account !== waiter.from) {
      this.log.warn('reply queue: dropping a reply from the wrong account', {
        nonce,
        expected: waiter.from,
        got: envelope.account,
      });
      return CLAIMED;
    }
    waiter.replies.push({ ...envelope, detail: parsed.detail as Record<string, unknown> });
    if (type === 'REQUEST_FAILED' || waiter.isComplete(waiter.replies)) {
      this.finish(nonce);
      waiter.resolve(type === 'REQUEST_FAILED' ? [waiter.replies.at(-1) as QueueEnvelope] : waiter.replies);
    }
    return CLAIMED;
  }

  private forgetOldNonces(): void {
    const cutoff = this.now() - FINISHED_MEMORY_MS;
    for (const [nonce, at] of this.finished) if (at < cutoff) this.finished.delete(nonce);
  }

  /** Rejects every waiting request and stops polling. */
  async close(): Promise<void> {
    this.closed = true;
    for (const nonce of [...this.waiters.keys()]) {
      this.cancel(
        nonce,
        new OrgbridgeError('REQUEST_CLIENT_CLOSED', `request ${nonce} abandoned: client closed`),
      );
    }
    this.abort.abort();
    await this.loop?.catch(() => {});
  }
}
