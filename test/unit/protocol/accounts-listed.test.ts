import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservedOrganization } from '../../../src/plan/observed.js';
import {
  joinObservedOrganization,
  splitObservedOrganization,
} from '../../../src/protocol/accounts-listed.js';
import { runs } from '../../support/property.js';
import { observed, observedAccount } from '../plan/fixtures.js';

describe('chunked ACCOUNTS_LISTED', () => {
  const big: ObservedOrganization = observed(
    Array.from({ length: 500 }, (_, i) =>
      observedAccount(String(100000000001 + i), {
        tags: Object.fromEntries(Array.from({ length: 10 }, (__, t) => [`tag-${t}`, `value-${i}-${t}`])),
      }),
    ),
    { Internal: 'ou-i' },
  );
  const sorted = { ...big, accounts: [...big.accounts].sort((a, b) => (a.id < b.id ? -1 : 1)) };
  const parts = splitObservedOrganization(big, 20_000);

  it('splits into parts under the size limit', () => {
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) {
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(20_000);
      expect(p.parts).toBe(parts.length);
    }
  });

  it('joins back from any permutation of the parts, duplicates included', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }),
        fc.subarray(parts),
        (shuffled, duplicates) => {
          expect(joinObservedOrganization([...shuffled, ...duplicates])).toEqual(sorted);
        },
      ),
      { numRuns: runs(50) },
    );
  });

  it('refuses to join when any part is missing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: parts.length - 1 }), (missing) => {
        const rest = parts.filter((_, i) => i !== missing);
        expect(() => joinObservedOrganization(rest)).toThrow(
          new RegExp(`parts missing: ${missing + 1} of ${parts.length}`),
        );
      }),
      { numRuns: runs(20) },
    );
  });
});
