import type { AuditedEvent, AuditReader } from '../../src/pipeline/trace.js';
import { auditObjectKeys } from '../../src/runtime/lambda/audit-store.js';

/** The audit store in memory, each event under the keys the audit Lambda writes. */
export function memoryAuditReader(events: readonly AuditedEvent[]): AuditReader & { gets: number } {
  const objects = new Map<string, string>();
  for (const e of events) {
    const body = JSON.stringify({ version: '0', source: 'app.infra', region: 'us-east-1', ...e });
    for (const key of auditObjectKeys({ messageId: e.id, body })) objects.set(key, body);
  }
  const reader = {
    gets: 0,
    async *keys(prefix: string) {
      yield* [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
    async get(key: string) {
      reader.gets++;
      return objects.get(key) ?? '';
    },
  };
  return reader;
}
