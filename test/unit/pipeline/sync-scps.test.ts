import { describe, expect, it } from 'vitest';
import { batchEntries, entrySize, MAX_REQUEST_BYTES } from '../../../src/bus/sender.js';
import type { PolicyDocument } from '../../../src/config/model.js';
import { DEFAULT_LIMITS } from '../../../src/config/resolve.js';
import {
  bundleReusable,
  type PolicyBundleStore,
  scpFilesOf,
  scpLimitsOf,
  scpsFitInline,
  syncScpsBody,
} from '../../../src/pipeline/sync-scps.js';
import { MAX_DETAIL_BYTES, parseDetail, type ScpFile } from '../../../src/protocol/catalog.js';
import { artifactObjectKey, policyBundleKey } from '../../../src/protocol/names.js';
import { decodeScpBundle } from '../../../src/protocol/scp-bundle.js';

const CICD = '222222222222';
const HOME = 'eu-west-1';
const envelope = {
  nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
  dryrun: false,
  target_account: '111111111111',
  reply_to: CICD,
};
const file = (n: number, content = `{"Statement":[{"Sid":"S${n}"}]}`): ScpFile => ({
  name: `scp-${String(n).padStart(2, '0')}`,
  organization_unit: 'Internal/Dev',
  content,
});
const detailBytes = (files: readonly ScpFile[]) =>
  Buffer.byteLength(JSON.stringify({ ...envelope, policies: files }), 'utf8');

/** An artifact bucket in memory, counting writes. */
function memoryStore() {
  const objects = new Map<string, string>();
  const calls: string[] = [];
  const store: PolicyBundleStore = {
    async exists(key) {
      calls.push(`head ${key}`);
      return objects.has(key);
    },
    async put(key, body) {
      calls.push(`put ${key}`);
      objects.set(key, body);
    },
  };
  return { store, objects, calls };
}
const where = (store: PolicyBundleStore) => ({ store, cicdAccountId: CICD, homeRegion: HOME });

/**
 * 20 files whose detail is exactly `target` bytes: contents mostly of `"` (two bytes each once
 * JSON-escaped, so twenty 10,240-char SCPs can overflow an event), filled up one by one.
 */
function twentyFilesOf(target: number): ScpFile[] {
  const files = Array.from({ length: 20 }, (_, i) => file(i, 'x'));
  let remaining = target - detailBytes(files);
  for (let i = 0; i < files.length && remaining > 0; i++) {
    const quotes = Math.min(10_238, Math.floor(remaining / 2));
    const odd = remaining - 2 * quotes === 1 ? 'x' : '';
    files[i] = file(i, `x${odd}${'"'.repeat(quotes)}`);
    remaining -= 2 * quotes + odd.length;
  }
  expect(detailBytes(files)).toBe(target);
  return files;
}

describe('SYNC_SCPS sender: inline when it fits, else a bundle', () => {
  it('sends up to 20 files inline and the 21st makes it a bundle', async () => {
    const twenty = Array.from({ length: 20 }, (_, i) => file(i));
    const { store, calls } = memoryStore();
    expect(await syncScpsBody(twenty, where(store))).toEqual({
      body: { policies: twenty },
      carriage: 'inline',
    });
    expect(calls).toEqual([]);
    const more = await syncScpsBody([...twenty, file(20)], where(store));
    expect(more.carriage).toBe('uploaded');
    expect(more.body).toMatchObject({ count: 21 });
    expect(more.body.policies).toBeUndefined();
  });

  it('sends inline up to the detail limit and a bundle one byte over it, with 20 files', async () => {
    const fits = twentyFilesOf(MAX_DETAIL_BYTES);
    expect(scpsFitInline(fits)).toBe(true);
    expect(scpsFitInline(twentyFilesOf(MAX_DETAIL_BYTES + 1))).toBe(false);
    const { store } = memoryStore();
    expect((await syncScpsBody(twentyFilesOf(MAX_DETAIL_BYTES + 1), where(store))).carriage).toBe('uploaded');

    // What fits is accepted by the handler's parser and by the bus sender, with the longest
    // source and bus name the catalog allows.
    const detail = { ...envelope, policies: fits };
    expect(parseDetail('SYNC_SCPS', detail).ok).toBe(true);
    const entry = {
      EventBusName: 'b'.repeat(256),
      Source: 's'.repeat(256),
      DetailType: 'SYNC_SCPS',
      Detail: JSON.stringify(detail),
    };
    expect(entrySize(entry)).toBeLessThan(MAX_REQUEST_BYTES);
    expect(() => batchEntries([entry])).not.toThrow();
  });

  it('uploads a bundle once under its hash and refers to it by a URL the handler accepts', async () => {
    const files = Array.from({ length: 45 }, (_, i) => file(i));
    const { store, objects, calls } = memoryStore();
    const first = await syncScpsBody(files, where(store));
    const sha256 = first.body.sha256 as string;
    const key = policyBundleKey(sha256);
    expect(first.carriage).toBe('uploaded');
    expect(calls).toEqual([`head ${key}`, `put ${key}`]);
    expect(artifactObjectKey(first.body.policies_url as string, CICD, HOME, 'policies/')).toBe(key);
    expect(parseDetail('SYNC_SCPS', { ...envelope, ...first.body }).ok).toBe(true);
    const stored = new TextEncoder().encode(objects.get(key));
    expect(decodeScpBundle(stored, { sha256, count: 45 })).toMatchObject({ ok: true });

    // Same files in another order: same key, nothing written again.
    const again = await syncScpsBody([...files].reverse(), where(store));
    expect(again).toEqual({ body: first.body, carriage: 'already-uploaded' });
    expect(calls.filter((c) => c.startsWith('put'))).toHaveLength(1);
  });

  it('refuses files the handler would refuse before uploading anything', async () => {
    const files = Array.from({ length: 21 }, (_, i) => file(i, i === 3 ? 'x'.repeat(10_241) : undefined));
    const { store, calls } = memoryStore();
    await expect(syncScpsBody(files, where(store))).rejects.toMatchObject({ code: 'SYNC_SCPS_INVALID' });
    expect(calls).toEqual([]);
  });

  it('takes the SCP files of the config, not its tag or backup policies', () => {
    const doc = (type: PolicyDocument['type'], name: string): PolicyDocument => ({
      type,
      name,
      organization_unit: 'Internal',
      file: `policies/${type}/Internal/${name}.json`,
      content: '{}',
    });
    expect(scpFilesOf([doc('scp', 'a'), doc('tag', 'b'), doc('backup', 'c')])).toEqual([
      { name: 'a', organization_unit: 'Internal', content: '{}' },
    ]);
  });

  it('carries the DSL’s SCP quotas in either form, counting their bytes in the inline check', async () => {
    const limits = scpLimitsOf({ ...DEFAULT_LIMITS, scp_max_chars: 10_240, scp_per_target: 10 });
    expect(limits).toEqual({ scp_max_chars: 10_240, scp_per_target: 10 });
    const { store } = memoryStore();
    const two = [file(1), file(2)];
    const inline = await syncScpsBody(two, where(store), limits);
    expect(inline.body).toEqual({ policies: two, limits });
    expect(parseDetail('SYNC_SCPS', { ...envelope, ...inline.body }).ok).toBe(true);
    const bundle = await syncScpsBody(
      Array.from({ length: 21 }, (_, i) => file(i)),
      where(store),
      limits,
    );
    expect(bundle.body).toMatchObject({ count: 21, limits });
    expect(parseDetail('SYNC_SCPS', { ...envelope, ...bundle.body }).ok).toBe(true);

    // Exactly at the detail limit without quotas: the quotas' bytes tip it over into a bundle.
    const fits = twentyFilesOf(MAX_DETAIL_BYTES);
    expect(scpsFitInline(fits)).toBe(true);
    expect(scpsFitInline(fits, limits)).toBe(false);
  });

  it('caps quotas beyond what the catalog carries instead of failing the sync', () => {
    expect(scpLimitsOf({ ...DEFAULT_LIMITS, scp_max_chars: 50_000, scp_per_target: 5000 })).toEqual({
      scp_max_chars: 10_240,
      scp_per_target: 1000,
    });
    expect(scpLimitsOf(DEFAULT_LIMITS)).toEqual({ scp_max_chars: 5120, scp_per_target: 5 });
  });

  it('refers again to an uploaded bundle only while it has more than a day before it expires', () => {
    const uploaded = new Date('2026-01-01T00:00:00Z');
    expect(bundleReusable(uploaded, new Date('2026-01-29T23:59:59Z'))).toBe(true);
    expect(bundleReusable(uploaded, new Date('2026-01-30T00:00:00Z'))).toBe(false);
    expect(bundleReusable(undefined, uploaded)).toBe(false);
  });
});
