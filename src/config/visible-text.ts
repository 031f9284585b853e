/**
 * `text` as an error message shows it: one line (control characters escaped as JSON does), and
 * characters that print as nothing or as a plain space (zero-width and other format characters,
 * no-break and other Unicode spaces) as `\u200b`, so the reader sees what is refused.
 */
export function visibleText(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(/[\p{Cf}\p{Z}\p{Co}\p{Cn}]/gu, (c) =>
      c === ' ' ? c : `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
    );
}
