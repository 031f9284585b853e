import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** Installed packages of the lock file (optional ones of other platforms are not) and their Node range. */
function installedRanges(dev: boolean): [string, string][] {
  return Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && Boolean(p.dev) === dev && existsSync(join(ROOT, path)))
    .flatMap(([path, p]) => {
      const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
      return range
        ? [[`${path.replace(/^.*node_modules\//, '')}@${p.version}`, range] as [string, string]]
        : [];
    });
}

describe('the Node versions package.json promises', () => {
  it('engines: every runtime dependency runs on every version it allows', () => {
    const narrower = installedRanges(false).filter(([, range]) => !semver.subset(pkg.engines.node, range));
    expect(narrower).toEqual([]);
  });

  it('devEngines: every development dependency runs on every version it allows', () => {
    expect(pkg.devEngines.runtime.name).toBe('node');
    const narrower = installedRanges(true).filter(
      ([, range]) => !semver.subset(pkg.devEngines.runtime.version, range),
    );
    expect(narrower).toEqual([]);
  });

  it('allows the Node 20 of this machine (until it is retired) and Node 22, the recommended one', () => {
    // zlib.crc32 (the Lambda zips) came with 20.15 and 22.2: https://nodejs.org/api/zlib.html#zlibcrc32data-value
    expect(semver.satisfies('20.14.0', pkg.engines.node)).toBe(false);
    expect(semver.satisfies('21.7.0', pkg.engines.node)).toBe(false);
    for (const version of ['20.15.0', '22.2.0', '24.0.0'])
      expect(semver.satisfies(version, pkg.engines.node)).toBe(true);
    expect(semver.satisfies(process.versions.node, pkg.devEngines.runtime.version)).toBe(true);
  });
});
