import { unifiedJsonDiff } from './json-diff.js';
import { type PlanSection, section } from './sections.js';

/**
 * The ECR repositories of ecr.yml (the `orgbridge-ecr` stack in the cicd account) as the plan's
 * `ecr` section: each repository added, changed or removed, with a JSON diff of its settings
 * (lifecycle policy and pull policy included) between the deployed template and ecr.yml.
 */
export interface EcrRepositoryPlan {
  readonly repository: string;
  readonly change: 'add' | 'update' | 'remove';
  /** The repository's settings as deployed (JSON), absent for `add`. */
  readonly before?: string;
  /** The settings ecr.yml renders (JSON), absent for `remove`. */
  readonly after?: string;
}

export interface EcrDriftEntry {
  readonly repository: string;
  readonly detail: string;
  readonly diff?: readonly string[];
}

export const APPLY_ECR = 'orgbridge run --action sync-ecr --execute';

const CHANGE: Readonly<Record<EcrRepositoryPlan['change'], { group: string; symbol: string }>> = {
  add: { group: 'add repository', symbol: '+' },
  update: { group: 'update repository', symbol: '~' },
  remove: { group: 'remove repository', symbol: '-' },
};

/**
 * A repository's CloudFormation properties as a reviewer compares them: the lifecycle policy,
 * which CloudFormation takes as a JSON string, is shown as JSON.
 */
export function repositoryDocument(properties: Readonly<Record<string, unknown>>): string {
  const lifecycle = properties.LifecyclePolicy as { LifecyclePolicyText?: unknown } | undefined;
  if (typeof lifecycle?.LifecyclePolicyText !== 'string') return JSON.stringify(properties);
  let text: unknown = lifecycle.LifecyclePolicyText;
  try {
    text = JSON.parse(lifecycle.LifecyclePolicyText);
  } catch {
    // Not JSON: shown as the string it is.
  }
  return JSON.stringify({ ...properties, LifecyclePolicy: { ...lifecycle, LifecyclePolicyText: text } });
}

export function ecrSection(input: {
  readonly stackName: string;
  readonly repositories: readonly EcrRepositoryPlan[];
  readonly drift?: readonly EcrDriftEntry[];
  readonly notes?: readonly string[];
}): PlanSection {
  const changes = input.repositories.map((r) => {
    const diff = unifiedJsonDiff(r.before, r.after, {
      from: r.before === undefined ? '(no repository)' : `${input.stackName} (deployed)`,
      to: r.after === undefined ? '(no repository)' : 'ecr.yml',
    });
    return {
      ...CHANGE[r.change],
      target: r.repository,
      ...(r.change === 'remove'
        ? { reason: 'CloudFormation deletes a repository only when it holds no images' }
        : {}),
      ...(diff.length ? { diff } : {}),
    };
  });
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.group, (counts.get(c.group) ?? 0) + 1);
  return section({
    kind: 'ecr',
    title: 'ECR repositories',
    summary: `${[...counts].map(([g, n]) => `${n} ${g}`).join(', ') || 'no changes'} (${input.stackName})`,
    changes,
    drift: (input.drift ?? []).map((d) => ({
      target: d.repository,
      detail: d.detail,
      ...(d.diff?.length ? { diff: [...d.diff] } : {}),
    })),
    notes: [...(input.notes ?? [])],
    apply: APPLY_ECR,
    plan: { stackName: input.stackName, repositories: input.repositories },
  });
}
