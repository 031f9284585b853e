import { describe, expect, it } from 'vitest';
import { planTextOf, withPlanText } from '../../../src/handlers/policies/sync.js';
import { MAX_SUMMARY_ENTRIES, MAX_SUMMARY_VALUE_CHARS, parseDetail } from '../../../src/protocol/catalog.js';

const counts = { actions: '3', 'create-policy': '2', 'attach-policy': '1' };
const reply = (summary: Record<string, string>) =>
  parseDetail('REQUEST_COMPLETED', {
    nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
    dryrun: true,
    target_account: '222222222222',
    request_type: 'SYNC_SCPS',
    changed: false,
    summary,
  });
const planOf = (lines: number, width = 80) =>
  [
    'policies (scp): header',
    ...Array.from({ length: lines }, (_, i) => `  + line ${String(i).padStart(5, '0')} ${'x'.repeat(width)}`),
  ].join('\n');

describe('SYNC_SCPS reply: the handler’s plan as text in the summary', () => {
  it('round-trips a short plan in one entry next to the counts', () => {
    const text = planOf(3);
    const summary = withPlanText(counts, text);
    expect(summary).toEqual({ ...counts, plan: text });
    expect(planTextOf(summary)).toBe(text);
    expect(reply(summary).ok).toBe(true);
  });

  it('splits a longer plan at line boundaries over the entries left, within the catalog’s limits', () => {
    const text = planOf(60);
    const summary = withPlanText(counts, text);
    expect(Object.keys(summary).length).toBeGreaterThan(Object.keys(counts).length + 1);
    expect(Object.keys(summary).length).toBeLessThanOrEqual(MAX_SUMMARY_ENTRIES);
    for (const value of Object.values(summary))
      expect(value.length).toBeLessThanOrEqual(MAX_SUMMARY_VALUE_CHARS);
    expect(planTextOf(summary)).toBe(text);
    expect(reply(summary).ok).toBe(true);
  });

  it('ends a plan too long for the summary with how many lines were left out', () => {
    const text = planOf(1000);
    const summary = withPlanText(counts, text);
    expect(Object.keys(summary)).toHaveLength(MAX_SUMMARY_ENTRIES);
    expect(reply(summary).ok).toBe(true);
    const shown = planTextOf(summary)?.split('\n') ?? [];
    const note = shown.at(-1) ?? '';
    const left = Number(/… (\d+) more lines/.exec(note)?.[1]);
    expect(shown.length - 1 + left).toBe(1001);
    expect(text.startsWith(shown.slice(0, -1).join('\n'))).toBe(true);
  });

  it('clips a single line longer than an entry, and has no plan text when none was added', () => {
    const summary = withPlanText({}, `policies (scp): 1 create-policy\n  + ${'y'.repeat(3000)}`);
    expect(Object.values(summary).every((v) => v.length <= MAX_SUMMARY_VALUE_CHARS)).toBe(true);
    expect(planTextOf(summary)).toMatch(/^policies \(scp\): 1 create-policy\n {2}\+ y+…$/);
    expect(planTextOf(counts)).toBeUndefined();
  });
});
