import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DETAIL_TYPES,
  isDetailType,
  NOTIFICATION_SCHEMAS,
  NOTIFICATION_TYPES,
  type NotificationType,
  parseDetail,
} from '../../../src/protocol/catalog.js';

const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/### `([A-Z_]+)`[\s\S]*?```json\n([\s\S]*?)```/g)].map((m) => ({
  type: m[1] as string,
  detail: JSON.parse(m[2] as string) as Record<string, unknown>,
}));

describe('catalog', () => {
  it('docs/events.md has one valid example for every detail-type and notification', () => {
    expect(examples.map((e) => e.type).sort()).toEqual([...DETAIL_TYPES, ...NOTIFICATION_TYPES].sort());
    for (const { type, detail } of examples) {
      if (Object.hasOwn(NOTIFICATION_SCHEMAS, type)) {
        const parsed = NOTIFICATION_SCHEMAS[type as NotificationType].safeParse(detail);
        expect(parsed.success ? 'ok' : parsed.error.message, type).toBe('ok');
        continue;
      }
      if (!isDetailType(type)) throw new Error(type);
      const parsed = parseDetail(type, detail);
      expect(parsed.ok ? 'ok' : parsed.reason, type).toBe('ok');
    }
  });

  it('refuses unknown keys, missing envelope fields and oversized details', () => {
    const ping = examples.find((e) => e.type === 'PING')?.detail ?? {};
    expect(parseDetail('PING', { ...ping, extra: 1 }).ok).toBe(false);
    const { nonce: _n, ...noNonce } = ping;
    expect(parseDetail('PING', noNonce).ok).toBe(false);
    expect(parseDetail('PING', { ...ping, target_account: '123' }).ok).toBe(false);
    const ssm = examples.find((e) => e.type === 'PUT_SSM_PARAMETERS')?.detail ?? {};
    const huge = Array.from({ length: 100 }, (_, i) => ({ name: `/p/${i}`, value: 'x'.repeat(4096) }));
    const result = parseDetail('PUT_SSM_PARAMETERS', { ...ssm, parameters: huge });
    expect(result.ok ? '' : result.reason).toMatch(/over the \d+-byte limit/);
  });

  it('refuses tags Organizations would refuse, as validate does: aws: keys or values, other characters', () => {
    const create = examples.find((e) => e.type === 'CREATE_ACCOUNT')?.detail ?? {};
    const withTags = (tags: Record<string, string>) =>
      parseDetail('CREATE_ACCOUNT', { ...create, tags: { ...(create.tags as object), ...tags } });
    expect(withTags({ team: 'payments', 'cost centre': 'a/b=c+d-e@f.g:h_i' }).ok).toBe(true);
    expect(withTags({ 'aws:created-by': 'x' }).ok).toBe(false);
    expect(withTags({ team: 'AWS:x' }).ok).toBe(false);
    expect(withTags({ team: 'a<script>' }).ok).toBe(false);
    const tag = examples.find((e) => e.type === 'TAG_ACCOUNT')?.detail ?? {};
    expect(parseDetail('TAG_ACCOUNT', { ...tag, remove: ['aws:cloudformation:stack-name'] }).ok).toBe(false);
  });
});
