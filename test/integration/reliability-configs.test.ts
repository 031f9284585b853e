import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeConfig } from '../../src/config/index.js';
import { BREAKAGE_KINDS, runBadConfigs, validConfigArbitrary } from '../chaos/scenarios/bad-configs.js';

describe('reliability (fast): generated bad configurations', () => {
  it('the generator without breakages gives valid configurations (the control)', () => {
    for (const files of fc.sample(validConfigArbitrary, { numRuns: 30, seed: 3 })) {
      const result = analyzeConfig(files);
      expect(result.ok ? [] : result.errors.map((e) => e.format())).toEqual([]);
    }
  });

  it('200 bad configurations: each refused with file:line errors carrying its breakage code, none crashes', () => {
    const { figures, failure } = runBadConfigs(200, 2026);
    expect(failure).toBeUndefined();
    expect(figures).toEqual({
      badConfigs: 200,
      badConfigsRejected: 200,
      badConfigErrorsWithoutPosition: 0,
      configCrashes: 0,
    });
    expect(BREAKAGE_KINDS.length).toBeGreaterThanOrEqual(15);
  });
});
