import { describe, expect, it } from 'vitest';
import { planAccountChanges } from '../../../src/plan/accounts.js';
import { MARKERS } from '../../../src/plan/markers.js';
import { AccountPlanSchema } from '../../../src/plan/model.js';

import { renderPlanJson, renderPlanMarkdown, renderPlanText } from '../../../src/plan/render.js';
import { simulatePlan } from '../../../src/plan/simulate.js';
import { config, desired, idGenerators, NOW, observed, STANDARD_OUS } from './fixtures.js';

function driftedPlan() {
  const cfg = config([desired('foo'), desired('bar'), desired('baz')]);
  const empty = observed();
  const state = simulatePlan(
    empty,
    planAccountChanges({ config: cfg, observed: empty, now: NOW }),
    idGenerators(),
  );
  const foo = state.accounts.find((a) => a.tags[MARKERS.key] === 'foo');
  if (foo) foo.ou = 'Internal/Standard';
  return planAccountChanges({
    config: config([desired('foo'), desired('bar'), desired('new')]),
    observed: state,
    now: NOW,
  });
}

describe('plan rendering', () => {
  it('text: drift first, then each action group with its count, then the summary', () => {
    const text = renderPlanText(driftedPlan());
    const lines = text.split('\n');
    expect(lines[0]).toBe('Drift: changed outside orgbridge (1)');
    const order = ['Drift:', 'create account (1)', 'move account (1)', 'retire account (1)', 'Plan:'].map(
      (h) => lines.findIndex((l) => l.startsWith(h)),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lines.at(-1)).toBe(
      'Plan: 1 create account, 1 move account, 1 retire account (1 drift, 1 unchanged)',
    );
  });

  it('text: says so when there is nothing to do', () => {
    const text = renderPlanText(
      planAccountChanges({ config: config([]), observed: observed([], STANDARD_OUS), now: NOW }),
    );
    expect(text).toBe('Plan: no changes (0 unchanged)');
  });

  it('markdown: summary table and one table per group, pipes escaped', () => {
    const md = renderPlanMarkdown(driftedPlan());
    expect(md).toContain('| retire account | 1 |');
    expect(md).toContain('#### :warning: Drift (changed outside orgbridge) (1)');
    expect(md.indexOf('Drift')).toBeLessThan(md.indexOf('#### move account'));
    const withPipe = planAccountChanges({
      config: config([desired('p', { name: 'a|b' })]),
      observed: observed(),
      now: NOW,
    });
    expect(renderPlanMarkdown(withPipe)).toContain('a\\|b');
  });

  it('json: versioned, parses back with the documented schema', () => {
    const parsed = AccountPlanSchema.parse(JSON.parse(renderPlanJson(driftedPlan())));
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed)).toEqual([
      'version',
      'now',
      'summary',
      'drift',
      'actions',
      'blocked',
      'warnings',
      'unmanaged',
    ]);
  });
});
