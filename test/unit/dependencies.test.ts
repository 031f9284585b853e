import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('dependencies', () => {
  it('one version of every Powertools package, so the Lambda bundles hold one copy of commons', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const versions = new Map<string, Set<string>>();
    for (const [path, meta] of Object.entries(lock.packages)) {
      const name = path.match(/node_modules\/(@aws-lambda-powertools\/[^/]+)$/)?.[1];
      if (name && meta.version) versions.set(name, (versions.get(name) ?? new Set()).add(meta.version));
    }
    expect(versions.get('@aws-lambda-powertools/commons')?.size).toBe(1);
    const all = new Set([...versions.values()].flatMap((v) => [...v]));
    expect([...all]).toHaveLength(1);
  });
});
