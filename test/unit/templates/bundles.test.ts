import { relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handledRequestTypes } from '../../../src/protocol/routing.js';
import { lambdaRegistry } from '../../../src/runtime/lambda/registries.js';
import { buildBundles, MAX_BUNDLE_BYTES } from '../../../src/templates/bundles.js';

/** Files esbuild took from a package, as `node_modules/<package>/...` (npm and pnpm layouts). */
const fromPackage = (inputs: readonly string[], name: string) =>
  inputs.filter((path) => path.split(sep).join('/').includes(`/node_modules/${name}/`));

describe('Lambda bundles', () => {
  it('carry no CDK, stay under 1 MiB, and handle every type the routing table gives their kind', {
    timeout: 60_000,
  }, async () => {
    const bundles = await buildBundles();
    expect(bundles.map((b) => b.kind).sort()).toEqual(
      ['audit', 'cicd', 'dns', 'identity', 'logs', 'management', 'member'].sort(),
    );
    for (const bundle of bundles) {
      expect(bundle.placeholder, bundle.kind).toBe(false);
      // aws-cdk-lib is CommonJS, ~40 MB and not tree-shakeable: one import of it anywhere
      // below the registries would make every bundle tens of MB.
      expect(fromPackage(bundle.inputs, 'aws-cdk-lib'), bundle.kind).toEqual([]);
      expect(fromPackage(bundle.inputs, 'constructs'), bundle.kind).toEqual([]);
      expect(bundle.code.byteLength, bundle.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(bundle.zip.byteLength, bundle.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      const sources = bundle.inputs.map((path) => relative(process.cwd(), path).split(sep).join('/'));
      // The provisioning handlers are in every bundle, and the template renderers in none.
      expect(sources, bundle.kind).toContain('src/handlers/provisioning/registrations.ts');
      expect(sources, bundle.kind).not.toContain('src/templates/provisioning.ts');
      expect(sources, bundle.kind).not.toContain('src/templates/vpc.ts');
    }
    // What each bundle's entry registers: no routed type answered HANDLER_MISSING.
    for (const bundle of bundles) {
      const registry = lambdaRegistry(bundle.kind, { accounts: { rootOu: 'Internal', morgueOu: 'Morgue' } });
      const missing = handledRequestTypes(bundle.kind).filter((type) => !Object.hasOwn(registry, type));
      expect(missing, bundle.kind).toEqual([]);
    }
  });

  it('would notice a CDK input', () => {
    const inputs = ['/x/node_modules/aws-cdk-lib/core/lib/stack.js', '/x/node_modules/zod/index.js'];
    expect(fromPackage(inputs, 'aws-cdk-lib')).toHaveLength(1);
    expect(fromPackage(inputs, 'constructs')).toEqual([]);
  });
});
