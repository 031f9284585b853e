/**
 * Line diffs of JSON documents for the plan: a policy or repository policy is shown as a unified
 * diff of its pretty-printed JSON (what a reviewer reads in a pull request), never as
 * "342 -> 354 chars". Pure: no I/O, deterministic output for the same inputs.
 *
 * The line diff is Myers' O((N+M)D) algorithm ("An O(ND) Difference Algorithm and Its
 * Variations", 1986), the one `git diff` and GNU diff use, so hunks look like theirs.
 */
export type DiffOp = ' ' | '-' | '+';
export interface DiffLine {
  readonly op: DiffOp;
  readonly text: string;
}

/**
 * Above this many lines on both sides together the diff is not searched for: the document is
 * shown as removed and added whole. Organizations policies are at most 5,120 characters (SCP) or
 * 10,000 (tag/backup), a few hundred lines pretty-printed; this bound only protects against a
 * pathological input.
 */
export const MAX_DIFF_LINES = 20_000;

/** The shortest edit script turning `before` into `after`, as kept/removed/added lines. */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  if (n + m > MAX_DIFF_LINES) {
    return [
      ...before.map((text) => ({ op: '-' as const, text })),
      ...after.map((text) => ({ op: '+' as const, text })),
    ];
  }
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[k - 1 + offset] as number) < (v[k + 1 + offset] as number));
      let x = down ? (v[k + 1 + offset] as number) : (v[k - 1 + offset] as number) + 1;
      let y = x - k;
      while (x < n && y < m && before[x] === after[y]) {
        x++;
        y++;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  // Walk the trace back from (n, m) to (0, 0), collecting the edits in reverse.
  const reversed: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (vd[k - 1 + offset] as number) < (vd[k + 1 + offset] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = vd[prevK + offset] as number;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      reversed.push({ op: ' ', text: before[x - 1] as string });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) reversed.push({ op: '+', text: after[y - 1] as string });
      else reversed.push({ op: '-', text: before[x - 1] as string });
    }
    x = prevX;
    y = prevY;
  }
  return reversed.reverse();
}

/**
 * A JSON document as the lines a reviewer compares: parsed and pretty-printed with two spaces,
 * keys in the document's own order (policy files keep their authors' order). Text that is not
 * JSON is compared line by line as it is.
 */
export function jsonDocumentLines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  try {
    return JSON.stringify(JSON.parse(text), null, 2).split('\n');
  } catch {
    return text.split('\n');
  }
}

export interface UnifiedDiffOptions {
  /** Label of the old side (`--- <label>`), e.g. where it was read from. */
  readonly from: string;
  /** Label of the new side (`+++ <label>`). */
  readonly to: string;
  /** Unchanged lines shown around each change; 3 like `git diff`. */
  readonly context?: number;
}

/**
 * A unified diff (`---`/`+++` header, `@@ -a,b +c,d @@` hunks) of two JSON documents; empty when
 * they are the same document (whitespace and minification aside). `undefined` stands for a
 * document that does not exist on that side (created or deleted).
 */
export function unifiedJsonDiff(
  before: string | undefined,
  after: string | undefined,
  options: UnifiedDiffOptions,
): string[] {
  const lines = lineDiff(jsonDocumentLines(before), jsonDocumentLines(after));
  if (!lines.some((l) => l.op !== ' ')) return [];
  const context = options.context ?? 3;
  const out = [`--- ${options.from}`, `+++ ${options.to}`];
  // Old/new line numbers (1-based) of each diff line, to label the hunks.
  const oldNo: number[] = [];
  const newNo: number[] = [];
  let o = 1;
  let w = 1;
  for (const l of lines) {
    oldNo.push(o);
    newNo.push(w);
    if (l.op !== '+') o++;
    if (l.op !== '-') w++;
  }
  let i = 0;
  while (i < lines.length) {
    if ((lines[i] as DiffLine).op === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2*context unchanged lines away from the previous one.
    const start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < lines.length) {
      if ((lines[j] as DiffLine).op !== ' ') {
        end = j;
        j++;
        continue;
      }
      let run = 0;
      while (j + run < lines.length && (lines[j + run] as DiffLine).op === ' ') run++;
      if (j + run >= lines.length || run > 2 * context) break;
      j += run;
    }
    const stop = Math.min(lines.length, end + context + 1);
    const hunk = lines.slice(start, stop);
    const oldCount = hunk.filter((l) => l.op !== '+').length;
    const newCount = hunk.filter((l) => l.op !== '-').length;
    const oldStart = oldCount === 0 ? (oldNo[start] as number) - 1 : (oldNo[start] as number);
    const newStart = newCount === 0 ? (newNo[start] as number) - 1 : (newNo[start] as number);
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const l of hunk) out.push(`${l.op}${l.text}`);
    i = stop;
  }
  return out;
}

/** Key order does not matter in JSON objects: a value rewritten with its keys sorted, deeply. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * True when two JSON texts hold the same document, whatever their whitespace and key order (AWS
 * may return a policy reformatted). Texts that are not JSON are compared as they are.
 */
export function sameJsonDocument(a: string, b: string): boolean {
  try {
    return JSON.stringify(sortedKeys(JSON.parse(a))) === JSON.stringify(sortedKeys(JSON.parse(b)));
  } catch {
    return a === b;
  }
}
