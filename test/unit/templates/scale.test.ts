import { describe, expect, it } from 'vitest';
import { MAX_RULES_PER_BUS, shardCountFor } from '../../../src/protocol/topology.js';
import { checkTemplates, LIMITS } from '../../../src/templates/guardrails.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { renderTemplates } from '../../../src/templates/synth.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/** 5,000 member accounts plus the six special ones: rendered once for the whole file. */
const MEMBERS = 5_000;
const config = syntheticConfig(MEMBERS);
const started = performance.now();
const templates = renderTemplates(
  templateInputs(config, { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
);
const renderMs = performance.now() - started;

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (name: string) =>
  Object.values(templates.find((t) => t.name === name)?.template.Resources as Record<string, Resource>);

describe(`templates of a ${MEMBERS.toLocaleString('en')}-account organization`, () => {
  it('stay within CloudFormation, IAM, EventBridge and S3 limits (every guardrail)', () => {
    const report = checkTemplates(templates);
    expect(report.findings).toEqual([]);
    for (const t of templates) {
      expect(Object.keys(t.template.Resources as object).length, t.name).toBeLessThanOrEqual(
        LIMITS.resourcesPerTemplate,
      );
      expect(Buffer.byteLength(t.body), t.name).toBeLessThanOrEqual(LIMITS.templateBytes);
    }
    console.info(`rendered ${templates.length} templates in ${Math.round(renderMs)} ms`);
  });

  it('shard the cicd forward rules so no cicd bus holds more than 300 rules, one rule per account', () => {
    const shards = templates.filter((t) => t.name.startsWith('forward-'));
    const targets = MEMBERS + 5; // every account but cicd itself
    expect(shards).toHaveLength(shardCountFor(targets));
    // Every template deployed in the cicd account counts: shard 0 shares the main bus.
    const perBus = new Map<string, number>();
    const patterns = new Set<string>();
    for (const name of ['event-bus', 'handlers-cicd', ...shards.map((s) => s.name)]) {
      for (const r of resources(name).filter((r) => r.Type === 'AWS::Events::Rule')) {
        // The default bus holds only the alarm forward (src/templates/stacks/notifications.ts).
        const bus = String(r.Properties.EventBusName ?? 'default');
        perBus.set(bus, (perBus.get(bus) ?? 0) + 1);
        if (name.startsWith('forward-') && r.Properties.Name !== 'orgbridge-to-audit')
          patterns.add(JSON.stringify(r.Properties.EventPattern));
      }
    }
    expect(perBus.get('default')).toBe(1);
    perBus.delete('default');
    expect(perBus.size).toBe(shards.length);
    for (const [bus, n] of perBus) expect(n, bus).toBeLessThanOrEqual(MAX_RULES_PER_BUS);
    expect(patterns.size).toBe(targets);
  });

  it('keep the stack set templates independent of the number of accounts', () => {
    const small = renderTemplates(
      templateInputs(syntheticConfig(3), { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
    );
    for (const name of ['event-bus', 'handlers-member', 'handlers-management', 'log-buckets']) {
      expect(templates.find((t) => t.name === name)?.body, name).toBe(
        small.find((t) => t.name === name)?.body,
      );
    }
  });
});
