import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDocumentLines, lineDiff, unifiedJsonDiff } from '../../../src/plan/json-diff.js';

const sides = (lines: { op: string; text: string }[]) => ({
  before: lines.filter((l) => l.op !== '+').map((l) => l.text),
  after: lines.filter((l) => l.op !== '-').map((l) => l.text),
});

/** Length of a longest common subsequence, by dynamic programming: the minimal diff's yardstick. */
function lcs(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(row[j] as number, row[j - 1] as number);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

describe('lineDiff (Myers)', () => {
  it('reproduces both sides and keeps a longest common subsequence (property)', () => {
    const line = fc.constantFrom('a', 'b', 'c', '{', '}', '"x": 1,');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
        const diff = lineDiff(a, b);
        const { before, after } = sides(diff);
        expect(before).toEqual(a);
        expect(after).toEqual(b);
        // Minimal: exactly the lines outside one LCS are removed or added.
        expect(diff.filter((l) => l.op === ' ')).toHaveLength(lcs(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it('handles empty sides', () => {
    expect(lineDiff([], [])).toEqual([]);
    expect(lineDiff([], ['x'])).toEqual([{ op: '+', text: 'x' }]);
    expect(lineDiff(['x'], [])).toEqual([{ op: '-', text: 'x' }]);
  });
});

describe('unifiedJsonDiff', () => {
  const before = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'DenyLeave', Effect: 'Deny', Action: ['organizations:LeaveOrganization'], Resource: '*' },
    ],
  });
  const after = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyLeave',
        Effect: 'Deny',
        Action: ['organizations:LeaveOrganization', 'account:CloseAccount'],
        Resource: '*',
      },
    ],
  });

  it('shows a minified policy change as a git-style diff of the pretty-printed documents', () => {
    expect(unifiedJsonDiff(before, after, { from: 'AWS p-1', to: 'policies/scp/Dev/deny.json' })).toEqual([
      '--- AWS p-1',
      '+++ policies/scp/Dev/deny.json',
      '@@ -5,7 +5,8 @@',
      '       "Sid": "DenyLeave",',
      '       "Effect": "Deny",',
      '       "Action": [',
      '-        "organizations:LeaveOrganization"',
      '+        "organizations:LeaveOrganization",',
      '+        "account:CloseAccount"',
      '       ],',
      '       "Resource": "*"',
      '     }',
    ]);
  });

  it('is empty for the same document written differently', () => {
    expect(
      unifiedJsonDiff(before, JSON.stringify(JSON.parse(before), null, 4), { from: 'a', to: 'b' }),
    ).toEqual([]);
  });

  it('shows a created document as all additions, a deleted one as all removals', () => {
    const created = unifiedJsonDiff(undefined, '{"a":1}', { from: '(none)', to: 'new' });
    expect(created).toEqual(['--- (none)', '+++ new', '@@ -0,0 +1,3 @@', '+{', '+  "a": 1', '+}']);
    const deleted = unifiedJsonDiff('{"a":1}', undefined, { from: 'old', to: '(none)' });
    expect(deleted.slice(2)).toEqual(['@@ -1,3 +0,0 @@', '-{', '-  "a": 1', '-}']);
  });

  it('splits distant changes into separate hunks and joins close ones', () => {
    const doc = (changed: number[]) =>
      JSON.stringify(
        Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, changed.includes(i) ? 1 : 0])),
      );
    const far = unifiedJsonDiff(doc([]), doc([2, 25]), { from: 'a', to: 'b' });
    expect(far.filter((l) => l.startsWith('@@'))).toHaveLength(2);
    const near = unifiedJsonDiff(doc([]), doc([2, 7]), { from: 'a', to: 'b' });
    expect(near.filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,12 +1,12 @@']);
  });

  it('compares text that is not JSON line by line', () => {
    expect(jsonDocumentLines('not json\nsecond')).toEqual(['not json', 'second']);
  });
});
