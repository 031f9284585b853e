import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/config/model.js';
import { awsPolicyName } from '../../../src/config/policies.js';
import { DEFAULT_LIMITS } from '../../../src/config/resolve.js';
import { type ObservedPolicies, planPolicies } from '../../../src/plan/policies.js';
import {
  contentStamp,
  policyDescription,
  policyDrift,
  writtenStamp,
} from '../../../src/plan/policy-drift.js';
import { repositoryDocument } from '../../../src/plan/section-ecr.js';
import {
  policiesSection,
  policiesSectionFromText,
  renderPolicyPlanWithDiffs,
} from '../../../src/plan/section-policies.js';
import {
  GITHUB_COMMENT_MAX_CHARS,
  renderOrganizationPlanMarkdown,
  renderOrganizationPlanText,
} from '../../../src/plan/section-render.js';
import { stacksSection } from '../../../src/plan/section-stacks.js';
import {
  type OrganizationPlan,
  OrganizationPlanSchema,
  organizationPlan,
  organizationPlanExitCode,
  section,
} from '../../../src/plan/sections.js';

const NOW = new Date('2026-06-01T12:00:00Z');

describe('plan sections', () => {
  it('derive their status and the plan its exit code: failed/blocked 1, changes 2, else 0', () => {
    const inSync = section({ kind: 'a', title: 'A', summary: 'ok' });
    const skipped = section({ kind: 'b', title: 'B', summary: '-', skipped: true });
    const changes = section({
      kind: 'c',
      title: 'C',
      summary: '1',
      changes: [{ group: 'g', symbol: '+', target: 't' }],
      apply: 'orgbridge run --action x --execute',
    });
    const failed = section({ kind: 'd', title: 'D', summary: '-', failed: 'boom' });
    expect([inSync.status, skipped.status, changes.status, failed.status]).toEqual([
      'in-sync',
      'skipped',
      'changes',
      'failed',
    ]);
    expect(failed.blocked).toEqual([{ code: 'PLAN_SECTION_FAILED', message: 'boom' }]);
    // Only a section with changes says how to apply them.
    expect(inSync.apply).toBeUndefined();
    expect(changes.apply).toBe('orgbridge run --action x --execute');
    expect(organizationPlanExitCode([inSync, skipped])).toBe(0);
    expect(organizationPlanExitCode([inSync, changes])).toBe(2);
    expect(organizationPlanExitCode([changes, failed])).toBe(1);
    const plan = organizationPlan([inSync, changes], NOW);
    expect(OrganizationPlanSchema.parse(plan)).toEqual(plan);
    expect(plan.summary).toEqual({
      exitCode: 2,
      changes: 1,
      drift: 0,
      blocked: 0,
      sections: { a: 'in-sync', c: 'changes' },
    });
  });
});

/** A plan with `n` stacks to update, each with a 40-line resource list: large on purpose. */
function bigPlan(n: number): OrganizationPlan {
  const stacks = Array.from({ length: n }, (_, i) => ({
    template: 'handlers-member',
    stackName: 'orgbridge-handlers',
    accountKey: `member-${i}`,
    accountId: String(100000000000 + i),
    region: 'us-east-1',
    change: 'update' as const,
    resources: Array.from({ length: 40 }, (_, r) => ({
      action: 'Modify',
      logicalId: `Resource${r}`,
      type: 'AWS::SQS::Queue',
    })),
    drift: i % 10 === 0 ? ['the deployed template is none orgbridge rendered'] : [],
  }));
  return organizationPlan(
    [
      section({ kind: 'accounts', title: 'Accounts and OUs', summary: 'no changes' }),
      stacksSection({ stacks, uploads: [] }),
      section({ kind: 'ecr', title: 'ECR repositories', summary: 'no changes' }),
    ],
    NOW,
  );
}

describe('Markdown for a pull-request comment', () => {
  it('fits a small plan whole, each section in its own <details>', () => {
    const md = renderOrganizationPlanMarkdown(bigPlan(3));
    expect(md).not.toContain('Truncated');
    expect(md.match(/<details/g)).toHaveLength(3);
    expect(md.match(/<\/details>/g)).toHaveLength(3);
    expect(md).toContain("| orgbridge's stacks | changes pending | 3 | 1 | 0 |");
    // Drift opens its section.
    expect(md).toContain("<details open><summary><b>orgbridge's stacks</b>");
    expect(md).toContain('```diff\n~ Resource0 (AWS::SQS::Queue)');
  });

  it('stays within GitHub comment limit, keeps the markup balanced, and says what was left out', () => {
    const plan = bigPlan(400);
    const whole = renderOrganizationPlanMarkdown(plan, { maxChars: 10_000_000 });
    expect(whole.length).toBeGreaterThan(GITHUB_COMMENT_MAX_CHARS);
    const md = renderOrganizationPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect(md).toMatch(
      /> :scissors: \*\*Truncated\*\*: \d+ parts of this plan left out to stay within GitHub's comment limit of 65,536 characters/,
    );
    expect(md.match(/<details/g)?.length).toBe(md.match(/<\/details>/g)?.length);
    expect((md.match(/```/g)?.length ?? 0) % 2).toBe(0);
    // The overview table lists every section even when their bodies are left out.
    expect(md).toContain('| ECR repositories | no changes | 0 | 0 | 0 |');
    expect(md.split('\n').at(-1)).toMatch(/^_Plan: accounts no changes, stacks 400 changes/);
  });

  it('respects any smaller limit too', () => {
    for (const max of [3_000, 8_000, 20_000]) {
      const md = renderOrganizationPlanMarkdown(bigPlan(50), { maxChars: max });
      expect(md.length).toBeLessThanOrEqual(max);
      expect(md.match(/<details/g)?.length ?? 0).toBe(md.match(/<\/details>/g)?.length ?? 0);
    }
  });

  it('fences a diff that itself holds backticks with a longer fence', () => {
    const plan = organizationPlan(
      [
        section({
          kind: 'policies',
          title: 'Organization policies',
          summary: '1',
          changes: [{ group: 'create policy', symbol: '+', target: 'x', diff: ['+ "```"'] }],
        }),
      ],
      NOW,
    );
    expect(renderOrganizationPlanMarkdown(plan)).toContain('````diff\n+ "```"\n````');
  });
});

const doc = (ou: string, name: string, content: object): PolicyDocument => ({
  type: 'scp',
  organization_unit: ou,
  name,
  file: `policies/scp/${ou}/${name}.json`,
  content: JSON.stringify(content),
});

function observedWith(
  content: string,
  description: string | undefined,
  attachedByHand = false,
): ObservedPolicies {
  return {
    rootId: 'r-root',
    enabledTypes: ['scp'],
    policies: [
      { id: 'p-full', name: 'FullAWSAccess', type: 'scp', awsManaged: true, managed: false, targets: [] },
      {
        id: 'p-deny',
        name: awsPolicyName('scp', 'deny'),
        type: 'scp',
        awsManaged: false,
        managed: true,
        content,
        ...(description ? { description } : {}),
        targets: ['Internal/Dev'],
      },
      { id: 'p-hand', name: 'by-hand', type: 'scp', awsManaged: false, managed: false, targets: [] },
    ],
    ous: { Internal: 'ou-1', 'Internal/Dev': 'ou-2' },
    attached: { 'Internal/Dev': ['p-full', 'p-deny', ...(attachedByHand ? ['p-hand'] : [])] },
  };
}

describe('policy drift and diffs', () => {
  const v1 = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'a:*', Resource: '*' }] };
  const v2 = { ...v1, Statement: [{ ...v1.Statement[0], Action: 'b:*' }] };
  const handEdit = JSON.stringify({ ...v1, Statement: [{ ...v1.Statement[0], Action: 'c:*' }] });
  const file = doc('Internal/Dev', 'deny', v2);

  it('stamps the description with the content written, within 512 characters', () => {
    const d = policyDescription('policies/scp/Internal/Dev/deny.json', JSON.stringify(v1));
    expect(d).toBe(
      `orgbridge: policies/scp/Internal/Dev/deny.json [sha256:${contentStamp(JSON.stringify(v1))}]`,
    );
    expect(writtenStamp(d)).toBe(contentStamp(JSON.stringify(v1)));
    const long = policyDescription(`policies/scp/${'x'.repeat(600)}.json`, '{}');
    expect(long.length).toBe(512);
    expect(writtenStamp(long)).toBe(contentStamp('{}'));
  });

  it('a file change is a planned update, not drift; an edit in AWS is drift', () => {
    const stamped = policyDescription(file.file, JSON.stringify(v1));
    expect(policyDrift(observedWith(JSON.stringify(v1), stamped), [file])).toEqual([]);
    const drift = policyDrift(observedWith(handEdit, stamped), [file]);
    expect(drift).toMatchObject([{ kind: 'edited', policyId: 'p-deny' }]);
    // Content that is what the files want is right, whoever wrote it.
    expect(policyDrift(observedWith(JSON.stringify(v2), stamped), [file])).toEqual([]);
    // No stamp (written by an older orgbridge): nothing can be said.
    expect(policyDrift(observedWith(handEdit, 'orgbridge: old'), [file])).toEqual([]);
  });

  it('a customer policy attached by hand to a managed OU is drift; FullAWSAccess is not', () => {
    const stamped = policyDescription(file.file, JSON.stringify(v2));
    const drift = policyDrift(observedWith(JSON.stringify(v2), stamped, true), [file]);
    expect(drift).toMatchObject([{ kind: 'attached', name: 'by-hand', ou: 'Internal/Dev' }]);
  });

  it('the section shows the update with a JSON diff; the handler text round-trips to the same changes', () => {
    const observed = observedWith(JSON.stringify(v1), policyDescription(file.file, JSON.stringify(v1)));
    const plan = planPolicies({ desired: [file], observed, limits: DEFAULT_LIMITS, types: ['scp'] });
    const direct = policiesSection({ plan, observed, desired: [file] });
    expect(direct.changes).toHaveLength(1);
    expect(direct.changes[0]?.diff).toEqual([
      '--- AWS p-deny',
      `+++ ${file.file}`,
      '@@ -3,7 +3,7 @@',
      '   "Statement": [',
      '     {',
      '       "Effect": "Deny",',
      '-      "Action": "a:*",',
      '+      "Action": "b:*",',
      '       "Resource": "*"',
      '     }',
      '   ]',
    ]);
    const text = renderPolicyPlanWithDiffs(plan, observed);
    const byEvent = policiesSectionFromText({ text, types: ['scp'] });
    expect(byEvent.changes.map((c) => [c.group, c.symbol, c.diff])).toEqual(
      direct.changes.map((c) => [c.group, c.symbol, c.diff]),
    );
    expect(byEvent.status).toBe('changes');
    expect(renderOrganizationPlanText(organizationPlan([direct], NOW))).toContain(
      '        -      "Action": "a:*",',
    );
  });
});

describe('ECR repository documents', () => {
  it('show the lifecycle policy, a JSON string in the template, as JSON', () => {
    const doc = repositoryDocument({
      RepositoryName: 'api',
      LifecyclePolicy: { LifecyclePolicyText: '{"rules":[{"rulePriority":1}]}' },
    });
    expect(JSON.parse(doc)).toEqual({
      RepositoryName: 'api',
      LifecyclePolicy: { LifecyclePolicyText: { rules: [{ rulePriority: 1 }] } },
    });
  });
});
