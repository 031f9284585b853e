/**
 * "Did you mean" suggestions for misspelt keys, scopes and account keys, like a compiler's.
 * Edit distance (Levenshtein plus transpositions) with a budget that grows with the word: one typo in a short word, about
 * one in three characters in a longer one, so `standrd` finds `standard` but `foo` never
 * suggests `bar`.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  // Optimal string alignment: a swap of two neighbours (`nmae`) counts as one typo.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (beforePrevious[j - 2] as number) + 1);
      }
      current[j] = distance;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The closest candidate within the typo budget (or one the input is a prefix of), or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  const budget = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const list = [...candidates];
  // A truncated name (`nat_gateway` for `nat_gateway_count`) is a typo of a kind too.
  if (needle.length >= 4) {
    const prefixed = list.find((c) => c !== input && c.toLowerCase().startsWith(needle));
    if (prefixed !== undefined) return prefixed;
  }
  for (const candidate of list) {
    if (candidate === input) continue;
    // A different spelling of case alone is always the answer.
    if (candidate.toLowerCase() === needle) return candidate;
    // Cheap bound before the quadratic distance: lengths alone already exceed the budget.
    if (Math.abs(candidate.length - needle.length) > budget) continue;
    const distance = levenshtein(needle, candidate.toLowerCase());
    if (distance <= budget && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean 'x'?` or the empty string: ready to append to a message. */
export function didYouMeanSuffix(input: string, candidates: Iterable<string>): string {
  const suggestion = didYouMean(input, candidates);
  return suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
}
