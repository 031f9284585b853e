import { describe, expect, it } from 'vitest';
import { deployPhases, deploySteps } from '../../../src/pipeline/bootstrap.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import { renderTemplates } from '../../../src/templates/synth.js';
import { BUNDLE_KEYS, syntheticConfig } from '../templates/fixtures.js';

/** The bootstrap deploys each phase's stacks concurrently: the phases must be safe to do that. */
const inputs = templateInputs(syntheticConfig(12), {
  organizationId: 'o-abcdefghij',
  bundleKeys: BUNDLE_KEYS,
});
const stepsOf = (local: boolean) =>
  deploySteps({
    inputs,
    templates: renderTemplates(inputs, { local }),
    local,
    rootId: 'r-ab12',
  });

describe('deployPhases', () => {
  it.each([
    true,
    false,
  ])('keeps dependency order and makes every step of a phase independent (local %s)', (local) => {
    const steps = stepsOf(local);
    const phases = deployPhases(steps);
    // Nothing lost or reordered across phases.
    expect(phases.flat()).toEqual(steps);
    expect(new Set(steps).size).toBe(stepsOf(local).length);
    const names = phases.map((p) => [...new Set(p.map((s) => s.template.replace(/-.*$/, '')))]);
    expect(names).toEqual(
      local
        ? [['artifacts'], ['event'], ['handlers'], ['log'], ['forward']]
        : [['artifacts'], ['event', 'stack'], ['handlers'], ['log'], ['forward']],
    );
    for (const phase of phases) {
      const stacks = phase.map((s) => `${s.accountId}/${s.region}/${s.stackName}`);
      expect(new Set(stacks).size, stacks.join(', ')).toBe(stacks.length);
    }
  });

  it('deploys the event bus and the handlers of all 18 accounts locally, each in one phase', () => {
    const [, buses, handlers] = deployPhases(stepsOf(true));
    expect(buses).toHaveLength(18);
    expect(handlers).toHaveLength(18);
    expect(new Set(handlers?.map((s) => s.accountId)).size).toBe(18);
  });

  it("in AWS, deploys the stack sets (every bus but the management account's) before any stack that puts rules on those buses", () => {
    // The special accounts get orgbridge-bus from the event bus stack set; their handler stacks
    // and the forward shards create rules on it, which CloudFormation refuses on a missing bus.
    const phases = deployPhases(stepsOf(false));
    const indexOf = (template: string) => phases.findIndex((p) => p.some((s) => s.template === template));
    const busPhase = indexOf('stack-sets');
    expect(busPhase).toBeGreaterThan(indexOf('artifacts-ap-southeast-2'));
    expect(phases[busPhase]?.map((s) => s.template).sort()).toEqual(['event-bus', 'stack-sets']);
    for (const name of [
      'handlers-cicd',
      'handlers-identity',
      'handlers-dns',
      'handlers-logs',
      'handlers-audit',
    ])
      expect(indexOf(name), name).toBeGreaterThan(busPhase);
    expect(indexOf('forward-00')).toBeGreaterThan(busPhase);
  });
});
