import { createHash } from 'node:crypto';
import type { PolicyDocument } from '../config/model.js';
import { normalizePolicyContent, type ObservedPolicies } from './policies.js';

/**
 * What orgbridge wrote into a policy, so the plan can tell a policy edited by hand (drift) from a
 * policy file that changed (a plan change). Organizations has no place for tool state on a policy
 * but its tags and its description; the description is written by the same CreatePolicy and
 * UpdatePolicy calls that write the content (no extra call, no extra permission) and comes back
 * in ListPolicies, which the observation makes anyway:
 * `orgbridge: policies/scp/Internal/deny.json [sha256:3f2a9c0d1e4b5a67]`.
 * Organizations limits a description to 512 characters
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html), so the
 * file part is shortened, never the stamp.
 */
const DESCRIPTION_MAX = 512;
const STAMP = /\[sha256:([0-9a-f]{16})\]$/;

/** The stamp of a content, whitespace aside (Organizations compares JSON documents). */
export function contentStamp(content: string): string {
  return createHash('sha256')
    .update(normalizePolicyContent(content) ?? content)
    .digest('hex')
    .slice(0, 16);
}

/** The description orgbridge gives a policy it writes from `file` with `content`. */
export function policyDescription(file: string, content: string): string {
  const stamp = ` [sha256:${contentStamp(content)}]`;
  return `orgbridge: ${file}`.slice(0, DESCRIPTION_MAX - stamp.length) + stamp;
}

/** The stamp of what orgbridge last wrote, when the description carries one. */
export function writtenStamp(description: string | undefined): string | undefined {
  return description?.match(STAMP)?.[1];
}

export interface PolicyDrift {
  readonly kind: 'edited' | 'attached';
  readonly type: PolicyDocument['type'];
  readonly policyId: string;
  readonly name: string;
  /** The OU, for `attached`. */
  readonly ou?: string;
  readonly detail: string;
}

/**
 * Policy changes made outside orgbridge:
 * - `edited`: an orgbridge policy whose content is neither what orgbridge last wrote (its stamp)
 *   nor what the files want now. (Content equal to the files is right whoever wrote it; content
 *   equal to the stamp but not to the files is a file change, planned as an update.)
 * - `attached`: a customer-managed policy orgbridge did not create, attached to an OU whose
 *   policies of that type orgbridge manages. orgbridge leaves it alone; it still applies to every
 *   account below and counts against the OU's quota. AWS-managed policies (FullAWSAccess, attached
 *   to every OU by Organizations), policies the config describes by name (adopted) and the ones it
 *   declares under `unmanaged.policies` are not drift.
 */
export function policyDrift(
  observed: ObservedPolicies,
  desired: readonly Pick<PolicyDocument, 'type' | 'name' | 'content' | 'organization_unit'>[],
  options: {
    /** Policies the config describes without placing them on an OU (attached to accounts). */
    readonly described?: readonly Pick<PolicyDocument, 'type' | 'name'>[];
    /** Ids of `unmanaged.policies`: declared, never touched, never drift. */
    readonly unmanagedPolicies?: readonly string[];
  } = {},
): PolicyDrift[] {
  const drift: PolicyDrift[] = [];
  const wantedContent = new Map(
    desired.map((d) => [`${d.type}/${d.name}`, normalizePolicyContent(d.content)]),
  );
  // Policies the config describes by name (adopted by name, or attached to accounts) are not
  // "attached outside orgbridge" wherever they are.
  const describedNames = new Set(
    [...desired, ...(options.described ?? [])].map((d) => `${d.type}/${d.name}`),
  );
  const declared = new Set(options.unmanagedPolicies ?? []);
  for (const p of observed.policies) {
    if (!p.managed || p.content === undefined) continue;
    const stamp = writtenStamp(p.description);
    if (stamp === undefined || stamp === contentStamp(p.content)) continue;
    const name = p.name.replace(`orgbridge-${p.type}-`, '');
    const wanted = wantedContent.get(`${p.type}/${name}`);
    if (wanted === normalizePolicyContent(p.content)) continue;
    drift.push({
      kind: 'edited',
      type: p.type,
      policyId: p.id,
      name: p.name,
      detail: `content edited outside orgbridge: it is not what orgbridge wrote (sha256 ${stamp}…)${wanted === undefined ? '' : '; the update below restores the file'}`,
    });
  }
  const byId = new Map(observed.policies.map((p) => [p.id, p]));
  const typesAt = new Map<string, Set<string>>();
  for (const d of desired)
    typesAt.set(d.organization_unit, (typesAt.get(d.organization_unit) ?? new Set()).add(d.type));
  for (const [ou, ids] of Object.entries(observed.attached).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    for (const id of ids) {
      const p = byId.get(id);
      if (!p || p.managed || p.awsManaged || !typesAt.get(ou)?.has(p.type)) continue;
      if (describedNames.has(`${p.type}/${p.name}`) || declared.has(p.id)) continue;
      drift.push({
        kind: 'attached',
        type: p.type,
        policyId: p.id,
        name: p.name,
        ou,
        detail: `attached to ${ou} outside orgbridge (not created by orgbridge; left alone unless the config is authoritative, it still applies to every account below and counts against the OU's quota)`,
      });
    }
  }
  return drift;
}
