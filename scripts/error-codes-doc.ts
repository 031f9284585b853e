/**
 * Writes docs/errors.md from the error-code registry (src/error-codes.ts):
 *
 *   npm run docs:errors
 *
 * test/unit/error-codes.test.ts fails when the committed page differs from what this renders.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/error-codes.js';

/** The area of a code: its first word (`DSL`, `PLAN`, `SYNC`, ...). */
function areaOf(code: string): string {
  return code.split('_')[0] as string;
}

export function renderErrorCodesDoc(): string {
  const byArea = new Map<string, string[]>();
  for (const code of Object.keys(ERROR_CODES).sort()) {
    const area = areaOf(code);
    byArea.set(area, [...(byArea.get(area) ?? []), code]);
  }
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/error-codes.ts by `npm run docs:errors`; edit the registry, not this page. -->',
    '',
    'Every error orgbridge reports carries one of these codes, in brackets after the message',
    '(`file:line:col: message [CODE]`), in `--json` output and in `REQUEST_FAILED` replies. A program',
    'may branch on the code; the message and hint are for people. Each code links to the page that',
    'explains it, or is explained here.',
    '',
  ];
  for (const [area, codes] of byArea) {
    lines.push(`## ${area}`, '', '| code | meaning |', '|---|---|');
    for (const code of codes) {
      const entry = ERROR_CODES[code as keyof typeof ERROR_CODES];
      const meaning = 'page' in entry ? `see [${entry.page}](${entry.page})` : entry.summary;
      lines.push(`| \`${code}\` | ${meaning.replaceAll('|', '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorCodesDoc());
}
