import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { batchEntries, EventSender, entrySize, type PutEventsPort } from '../../../src/bus/sender.js';

const event = (i: number, bytes = 10) => ({
  busName: 'bus',
  source: 'app.infra',
  detailType: 'PING',
  detail: { nonce: `n${i}`, pad: 'x'.repeat(bytes) },
});

function recordingPort(fail: (entry: PutEventsRequestEntry, call: number) => boolean = () => false) {
  const calls: PutEventsRequestEntry[][] = [];
  const port: PutEventsPort = {
    async putEvents(entries) {
      calls.push(entries);
      const results = entries.map((e) =>
        fail(e, calls.length)
          ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
          : { EventId: 'id' },
      );
      return { failedEntryCount: results.filter((r) => 'ErrorCode' in r).length, entries: results };
    },
  };
  return { port, calls };
}
const noSleep = { sleep: async () => {} };

describe('EventSender', () => {
  it('sends at most 10 entries per PutEvents call', async () => {
    const { port, calls } = recordingPort();
    await new EventSender(port, noSleep).send(Array.from({ length: 25 }, (_, i) => event(i)));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('keeps every call under 256 KB', () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({
      EventBusName: 'bus',
      Source: 'app.infra',
      DetailType: 'X',
      Detail: JSON.stringify({ i, pad: 'x'.repeat(100_000) }),
    }));
    const batches = batchEntries(entries);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const b of batches) expect(b.reduce((n, e) => n + entrySize(e), 0)).toBeLessThan(256 * 1024);
    expect(() => batchEntries([{ ...entries[0], Detail: 'x'.repeat(300_000) }])).toThrow(
      /EVENT_TOO_LARGE|bytes/,
    );
  });

  it('re-sends only the entries PutEvents reported as failed', async () => {
    const { port, calls } = recordingPort((e, call) => call === 1 && e.Detail?.includes('"n3"') === true);
    await new EventSender(port, noSleep).send([event(1), event(2), event(3)]);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.map((e) => JSON.parse(e.Detail ?? '{}').nonce)).toEqual(['n3']);
  });

  it('throws naming the entries that never got through', async () => {
    const { port, calls } = recordingPort((e) => e.Detail?.includes('"n2"') === true);
    const sending = new EventSender(port, { ...noSleep, maxAttempts: 3 }).send([event(1), event(2)]);
    await expect(sending).rejects.toThrow(
      /1 event\(s\) after 3 attempts: PING \(nonce n2\) on bus: ThrottlingException/,
    );
    expect(calls).toHaveLength(3);
  });
});
