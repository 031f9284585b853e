import type {
  EventBridgeClient,
  PutEventsRequestEntry,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { Client } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import { MAX_ENTRY_BYTES } from '../protocol/catalog.js';

/** The one EventBridge call the sender makes: a narrow port, so tests can inject failures. */
export interface PutEventsPort {
  putEvents(
    entries: PutEventsRequestEntry[],
  ): Promise<{ failedEntryCount: number; entries: PutEventsResultEntry[] }>;
}

export function putEventsPort(client: Client<EventBridgeClient>): PutEventsPort {
  return {
    async putEvents(entries) {
      const { PutEventsCommand } = await sdk.eventBridge();
      const out = await client.send(new PutEventsCommand({ Entries: entries }));
      return { failedEntryCount: out.FailedEntryCount ?? 0, entries: out.Entries ?? [] };
    },
  };
}

export interface OutgoingEvent {
  readonly busName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface SenderOptions {
  /** Attempts per entry including the first (default 6). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** PutEvents: at most 10 entries per call (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html). */
export const MAX_ENTRIES_PER_CALL = 10;
/** The whole request must stay under 256 KB; entries are measured as AWS does (sum of parts). */
export const MAX_REQUEST_BYTES = MAX_ENTRY_BYTES;

/**
 * Size of an entry as EventBridge counts it: UTF-8 bytes of Source, DetailType, Detail, the bus
 * name, plus 14 bytes for Time (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const b = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return 14 + b(entry.Source) + b(entry.DetailType) + b(entry.Detail) + b(entry.EventBusName);
}

/** Cuts entries into PutEvents calls of at most 10 entries and under 256 KB. */
export function batchEntries(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const batches: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const s = entrySize(entry);
    if (s >= MAX_REQUEST_BYTES) {
      throw new OrgbridgeError(
        'EVENT_TOO_LARGE',
        `${entry.DetailType} event to ${entry.EventBusName} is ${s} bytes; EventBridge accepts < ${MAX_REQUEST_BYTES}`,
        { source: 'internal', hint: 'split the detail into parts (see ACCOUNTS_LISTED in docs/events.md)' },
      );
    }
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && size + s >= MAX_REQUEST_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += s;
  }
  if (current.length) batches.push(current);
  return batches;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Puts events on EventBridge. PutEvents is not all-or-nothing: it answers 200 with a
 * FailedEntryCount and an error per failed entry (throttling, internal errors). Those entries are
 * sent again with full-jitter backoff; an entry that still fails makes `send` throw an error that
 * names it. Nothing is dropped silently.
 */
export class EventSender {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** PutEvents calls made, for benchmarks. */
  calls = 0;

  constructor(
    private readonly port: PutEventsPort,
    options: SenderOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async send(events: readonly OutgoingEvent[]): Promise<void> {
    const entries = events.map(
      (e): PutEventsRequestEntry => ({
        EventBusName: e.busName,
        Source: e.source,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
      }),
    );
    for (const batch of batchEntries(entries)) await this.sendBatch(batch);
  }

  private async sendBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let lastErrors: string[] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 2));
        await this.sleep(Math.floor(Math.random() * ceiling));
      }
      this.calls++;
      let out: Awaited<ReturnType<PutEventsPort['putEvents']>>;
      try {
        out = await this.port.putEvents(pending);
      } catch (e) {
        throw new AwsOperationError(`putting ${describe(pending)} on EventBridge`, e);
      }
      if (out.failedEntryCount === 0) return;
      // Result entries are positional: the n-th result belongs to the n-th request entry.
      const failed: PutEventsRequestEntry[] = [];
      lastErrors = [];
      pending.forEach((entry, i) => {
        const result = out.entries[i];
        if (!result || result.ErrorCode || !result.EventId) {
          failed.push(entry);
          lastErrors.push(
            `${describeOne(entry)}: ${result?.ErrorCode ?? 'no result'} ${result?.ErrorMessage ?? ''}`.trim(),
          );
        }
      });
      if (failed.length === 0) return;
      pending = failed;
    }
    throw new OrgbridgeError(
      'EVENTS_NOT_DELIVERED',
      `EventBridge refused ${pending.length} event(s) after ${this.maxAttempts} attempts: ${lastErrors.join('; ')}`,
      {
        source: 'aws',
        hint: 'check the bus exists and its policy allows this account; throttling clears with time',
      },
    );
  }
}

function describeOne(entry: PutEventsRequestEntry): string {
  let nonce = '';
  try {
    nonce = String((JSON.parse(entry.Detail ?? '{}') as { nonce?: unknown }).nonce ?? '');
  } catch {
    // A detail the sender built itself is JSON; nothing to name otherwise.
  }
  return `${entry.DetailType} (nonce ${nonce || '?'}) on ${entry.EventBusName}`;
}

function describe(entries: readonly PutEventsRequestEntry[]): string {
  return entries.length === 1 ? describeOne(entries[0] as PutEventsRequestEntry) : `${entries.length} events`;
}
