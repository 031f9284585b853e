import type { ResolvedAccount, ResolvedScope } from '../src/config/model.js';

/**
 * Synthetic organizations for the benchmarks: scopes named after their OU under `Internal/`, and
 * member accounts `svc<i>` in production, in us-east-1, tagged like the DSL tags them.
 */

export function syntheticScopes(names: readonly string[]): Record<string, ResolvedScope> {
  return Object.fromEntries(
    names.map((name) => [name, { name, organization_unit: `Internal/${name}`, access: {}, settings: {} }]),
  );
}

export function syntheticAccount(i: number, scope: string): ResolvedAccount {
  const key = `svc${i}`;
  return {
    key,
    name: `${key}-prod-us-east-1`,
    email: `aws+${key}@example.com`,
    kind: 'member',
    scope,
    organization_unit: `Internal/${scope}`,
    region: 'us-east-1',
    environment: 'prod',
    service: key,
    tags: { scope, 'service-name': key, environment: 'prod' },
    protect: false,
    allowed_dns_domains: [],
    access: {},
    settings: {},
    provenance: {},
  };
}
