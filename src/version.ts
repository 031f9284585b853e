import { readFileSync } from 'node:fs';

/** orgbridge's own version, from its package.json (one level above src/ and dist/). */
export function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
