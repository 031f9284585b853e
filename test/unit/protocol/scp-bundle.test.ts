import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_INLINE_SCPS, parseDetail, type ScpFile } from '../../../src/protocol/catalog.js';
import { decodeScpBundle, encodeScpBundle, sha256Hex } from '../../../src/protocol/scp-bundle.js';
import { runs } from '../../support/property.js';

const envelope = {
  nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
  dryrun: false,
  target_account: '111111111111',
  reply_to: '222222222222',
};
const file = (n: number, ou = 'Internal'): ScpFile => ({
  name: `scp-${n}`,
  organization_unit: ou,
  content: `{"Version":"2012-10-17","Statement":[{"Sid":"S${n}","Effect":"Deny","Action":"x:Y","Resource":"*"}]}`,
});
const reference = {
  policies_url:
    'https://orgbridge-artifacts-222222222222-us-east-1.s3.us-east-1.amazonaws.com/policies/scp-0.json',
  sha256: 'a'.repeat(64),
  count: 45,
};
const bytes = (s: string) => new TextEncoder().encode(s);

describe('SYNC_SCPS carries its files exactly one way', () => {
  it('accepts the inline form, up to its limit, and the reference form', () => {
    expect(parseDetail('SYNC_SCPS', { ...envelope, policies: [file(1)] }).ok).toBe(true);
    expect(parseDetail('SYNC_SCPS', { ...envelope, policies: [] }).ok).toBe(true);
    const max = Array.from({ length: MAX_INLINE_SCPS }, (_, i) => file(i));
    expect(parseDetail('SYNC_SCPS', { ...envelope, policies: max }).ok).toBe(true);
    expect(parseDetail('SYNC_SCPS', { ...envelope, policies: [...max, file(99)] }).ok).toBe(false);
    expect(parseDetail('SYNC_SCPS', { ...envelope, ...reference }).ok).toBe(true);
  });

  it.each([
    ['neither', {}],
    ['both', { policies: [file(1)], ...reference }],
    ['policies and a stray sha256', { policies: [file(1)], sha256: reference.sha256 }],
    ['a reference without count', { policies_url: reference.policies_url, sha256: reference.sha256 }],
    ['a reference without sha256', { policies_url: reference.policies_url, count: 3 }],
    ['a reference without url', { sha256: reference.sha256, count: 3 }],
    ['an upper-case sha256', { ...reference, sha256: 'A'.repeat(64) }],
    ['a short sha256', { ...reference, sha256: 'a'.repeat(63) }],
    ['a negative count', { ...reference, count: -1 }],
    ['a fractional count', { ...reference, count: 1.5 }],
    ['a URL that is not one', { ...reference, policies_url: 'policies/scp-0.json' }],
  ])('refuses %s', (_why, body) => {
    const parsed = parseDetail('SYNC_SCPS', { ...envelope, ...body });
    expect(parsed.ok).toBe(false);
  });

  it('docs/events.md shows both forms, each valid', () => {
    const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    const start = doc.indexOf('### `SYNC_SCPS`');
    const section = doc.slice(start, doc.indexOf('\n### ', start + 1));
    const examples = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => JSON.parse(m[1] as string) as Record<string, unknown>,
    );
    expect(examples.map((e) => ('policies' in e ? 'inline' : 'reference'))).toEqual(['inline', 'reference']);
    for (const e of examples) {
      const parsed = parseDetail('SYNC_SCPS', e);
      expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
    }
  });

  it('names the rule when both or neither are given', () => {
    const parsed = parseDetail('SYNC_SCPS', envelope);
    expect(parsed.ok ? '' : parsed.reason).toContain('exactly one of `policies`');
  });
});

describe('SCP bundles', () => {
  const files = [file(2, 'Internal/Dev'), file(1, 'Internal/Dev'), file(3, 'Internal')];

  it('encode the same set to the same bytes whatever the order, hashed as sent', () => {
    const a = encodeScpBundle(files);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }),
        (order) => {
          expect(encodeScpBundle(order).body).toBe(a.body);
        },
      ),
      { numRuns: runs(20) },
    );
    expect(a.sha256).toBe(sha256Hex(a.body));
    expect(a.count).toBe(3);
    expect((JSON.parse(a.body) as { policies: ScpFile[] }).policies.map((p) => p.name)).toEqual([
      'scp-3',
      'scp-1',
      'scp-2',
    ]);
    expect(encodeScpBundle([file(4), ...files]).sha256).not.toBe(a.sha256);
  });

  it('decode only the bytes the event names, with its count', () => {
    const { body, sha256, count } = encodeScpBundle(files);
    const ok = decodeScpBundle(bytes(body), { sha256, count });
    expect(ok).toEqual({
      ok: true,
      files: [file(3, 'Internal'), file(1, 'Internal/Dev'), file(2, 'Internal/Dev')],
    });
    expect(decodeScpBundle(bytes(`${body} `), { sha256, count })).toMatchObject({
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_CHECKSUM',
    });
    expect(decodeScpBundle(bytes(body), { sha256, count: 4 })).toMatchObject({
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_COUNT',
      message: 'the SCP bundle has 3 files, the event says 4',
    });
  });

  it.each([
    ['not JSON', '{"policies": ['],
    ['a file with an unknown field', JSON.stringify({ policies: [{ ...file(1), extra: 1 }] })],
    ['oversized content', JSON.stringify({ policies: [{ ...file(1), content: 'x'.repeat(10_241) }] })],
    ['no policies array', JSON.stringify({ files: [] })],
  ])('refuse a bundle with %s even when its hash matches', (_why, body) => {
    expect(decodeScpBundle(bytes(body), { sha256: sha256Hex(body), count: 1 })).toMatchObject({
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_INVALID',
    });
  });

  it('refuse bytes that are not UTF-8', () => {
    const raw = new Uint8Array([0x7b, 0xff, 0x7d]);
    expect(decodeScpBundle(raw, { sha256: sha256Hex(raw), count: 0 })).toMatchObject({
      code: 'SYNC_SCPS_BUNDLE_INVALID',
    });
  });
});
