import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorCodesDoc } from '../../scripts/error-codes-doc.js';
import { RequestFailedError } from '../../src/bus/requests.js';
import { ERROR_CODES, ErrorCodeSchema, isErrorCode } from '../../src/error-codes.js';
import { OrgbridgeError } from '../../src/errors.js';

function sourcesUnder(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sourcesUnder(path);
      return e.name.endsWith('.ts') && path !== join('src', 'error-codes.ts')
        ? readFileSync(path, 'utf8')
        : '';
    })
    .join('\n');
}

describe('error-code registry', () => {
  const codes = Object.keys(ERROR_CODES);

  it('docs/errors.md is generated from the registry (npm run docs:errors)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(renderErrorCodesDoc());
  });

  it('every code that points to a page is explained there', () => {
    const missing = Object.entries(ERROR_CODES)
      .filter(([, entry]) => 'page' in entry)
      .filter(([code, entry]) => {
        const page = readFileSync(join('docs', (entry as { page: string }).page), 'utf8');
        return !page.includes(`\`${code}\``);
      })
      .map(([code, entry]) => `${code} -> ${(entry as { page: string }).page}`);
    expect(codes.length).toBeGreaterThan(150);
    expect(missing).toEqual([]);
  });

  it('lists no code that src never raises', () => {
    const src = sourcesUnder('src');
    expect(codes.filter((code) => !src.includes(`'${code}'`))).toEqual([]);
  });

  it('accepts only registered codes, in types and on the wire', () => {
    // @ts-expect-error: an unregistered code does not compile.
    const unregistered = new OrgbridgeError('NOT_A_REGISTERED_CODE', 'x');
    expect(isErrorCode(unregistered.code)).toBe(false);
    expect(isErrorCode('DSL_YAML_SYNTAX')).toBe(true);
    expect(ErrorCodeSchema.safeParse('PLAN_RESERVED_TAG').success).toBe(true);
    expect(ErrorCodeSchema.safeParse('plan_reserved_tag').success).toBe(false);
  });

  it('keeps a remote code only when it is registered (a forged reply cannot invent one)', () => {
    const known = new RequestFailedError('TAG_ACCOUNT', '111111111111', 'n-1', 'PLAN_RESERVED_TAG', 'no');
    expect(known.asRemoteError().code).toBe('PLAN_RESERVED_TAG');
    const forged = new RequestFailedError('TAG_ACCOUNT', '111111111111', 'n-2', 'ALL_GOOD_REALLY', 'x');
    expect(forged.asRemoteError().code).toBe('REQUEST_FAILED');
    expect(forged.asRemoteError().message).toContain('ALL_GOOD_REALLY');
  });
});
