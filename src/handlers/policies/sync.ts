import type { PolicyDocument, PolicyType } from '../../config/model.js';
import { awsPolicyName } from '../../config/policies.js';
import { DEFAULT_LIMITS } from '../../config/resolve.js';
import { massPolicyChange } from '../../plan/blast-radius.js';
import {
  accountTarget,
  MANAGED_POLICY_TAG,
  type ObservedPolicies,
  type ObservedPolicy,
  type PolicyAction,
  type PolicyPlan,
  planPolicies,
} from '../../plan/policies.js';
import { policyDescription } from '../../plan/policy-drift.js';
import { renderPolicyPlanWithDiffs } from '../../plan/section-policies.js';
import {
  type Detail,
  MAX_SUMMARY_ENTRIES,
  MAX_SUMMARY_VALUE_CHARS,
  type ReplyBody,
  type ScpFile,
} from '../../protocol/catalog.js';
import {
  artifactBucketName,
  artifactObjectKey,
  POLICY_BUNDLE_PREFIX,
  policyBundleKey,
} from '../../protocol/names.js';
import { decodeScpBundle, MAX_SCP_BUNDLE_BYTES } from '../../protocol/scp-bundle.js';
import { walkOuTree } from '../accounts/observe.js';
import { allPages, mapWithConcurrency } from '../accounts/ports.js';
import type { HandlerRegistration } from '../types.js';
import { RequestRejected } from '../types.js';
import {
  type ArtifactReadPort,
  artifactReadPort,
  type OrganizationsPolicyPort,
  organizationsPolicyPort,
  type PolicySummary,
} from './ports.js';

export interface ObservePoliciesOptions {
  /** Whether the content of a policy the config describes is read (orgbridge's own always are). */
  readonly described?: (type: PolicyType, name: string) => boolean;
  /** Read every policy's content (`orgbridge import`). */
  readonly allContent?: boolean;
  /** ListTargetsForPolicy / DescribePolicy calls in flight. */
  readonly concurrency?: number;
}

/**
 * The management-account side of policy sync (and of `orgbridge import`): the OU tree, every
 * policy of the given types with where it is attached, and the content of the policies the plan
 * compares. Calls: ListRoots, one ListOrganizationalUnitsForParent per OU, ListPolicies pages,
 * and per policy ListTargetsForPolicy pages (+ DescribePolicy where content is read, + one
 * ListTagsForResource per `orgbridge-` policy): linear in OUs, policies and attachments, never
 * per account.
 */
export async function observePolicies(
  port: OrganizationsPolicyPort,
  types: readonly PolicyType[],
  options: ObservePoliciesOptions = {},
): Promise<ObservedPolicies> {
  const concurrency = options.concurrency ?? 8;
  const root = await port.root();
  // The OU tree and the policies are read at the same time: each is a chain of round trips, and
  // only a target's path needs the tree (a policy's targets wait for it, nothing else does).
  const tree = walkOuTree((id, t) => port.listOrganizationalUnits(id, t), root.id, concurrency);
  // Awaited below; until then a failed walk must not be an unhandled rejection when a policy
  // read fails first and the function leaves without reaching that await.
  tree.catch(() => {});
  /** An OU created while the tree was walked: found by its parents. */
  const pathOf = async (id: string): Promise<string> => {
    const { ous, pathById } = await tree;
    const known = pathById.get(id);
    if (known !== undefined) return known;
    const { name, parentId } = await port.describeOrganizationalUnit(id);
    const parent = await pathOf(parentId);
    const path = parent ? `${parent}/${name}` : name;
    pathById.set(id, path);
    ous[path] ??= id;
    return path;
  };
  const observeOne = async (type: PolicyType, p: PolicySummary): Promise<ObservedPolicy> => {
    const candidate = !p.awsManaged && p.name.startsWith(awsPolicyName(type, ''));
    const managed = candidate && (await port.policyTags(p.id))[MANAGED_POLICY_TAG] === 'true';
    const readContent =
      options.allContent === true || managed || (!p.awsManaged && options.described?.(type, p.name) === true);
    const [content, listed] = await Promise.all([
      readContent ? port.policyContent(p.id) : undefined,
      allPages((t) => port.listTargetsForPolicy(p.id, t)),
    ]);
    const targets: string[] = [];
    for (const target of listed) {
      if (target.type === 'ACCOUNT') targets.push(accountTarget(target.id));
      else if (target.type === 'ORGANIZATIONAL_UNIT' || target.type === 'ROOT')
        targets.push(await pathOf(target.id));
    }
    return {
      id: p.id,
      name: p.name,
      type,
      awsManaged: p.awsManaged,
      managed,
      ...(content !== undefined ? { content } : {}),
      ...(managed && p.description !== undefined ? { description: p.description } : {}),
      targets: targets.sort(),
    };
  };
  const enabled = types.filter((type) => root.enabledTypes.includes(type));
  const listed = await Promise.all(
    enabled.map(async (type) =>
      (await allPages((t) => port.listPolicies(type, t))).map((p) => ({ type, p })),
    ),
  );
  const policies = await mapWithConcurrency(listed.flat(), concurrency, ({ type, p }) => observeOne(type, p));
  const { ous } = await tree;
  const attached: Record<string, string[]> = {};
  for (const p of policies) {
    for (const target of p.targets) {
      const ids = attached[target] ?? [];
      ids.push(p.id);
      attached[target] = ids;
    }
  }
  return { rootId: root.id, enabledTypes: root.enabledTypes, policies, ous, attached };
}

export interface ApplyResult {
  readonly done: number;
  readonly failures: readonly { readonly action: PolicyAction; readonly error: string }[];
}

/** Applies the actions in plan order; a failure is recorded and the rest still run. */
export async function applyPolicyPlan(
  port: OrganizationsPolicyPort,
  plan: PolicyPlan,
  onAction: (action: PolicyAction) => void = () => {},
): Promise<ApplyResult> {
  const created = new Map<string, string>();
  const failures: { action: PolicyAction; error: string }[] = [];
  let done = 0;
  for (const action of plan.actions) {
    try {
      switch (action.action) {
        case 'enable-policy-type':
          await port.enablePolicyType(action.rootId, action.type);
          break;
        case 'create-policy':
          created.set(
            action.awsName,
            await port.createPolicy({
              type: action.type,
              name: action.awsName,
              description: policyDescription(action.file, action.content),
              content: action.content,
              tags: { [MANAGED_POLICY_TAG]: 'true' },
            }),
          );
          break;
        case 'update-policy':
          await port.updatePolicy(
            action.policyId,
            action.content,
            policyDescription(action.file, action.content),
          );
          break;
        case 'attach-policy': {
          const id = action.policyId ?? created.get(action.awsName);
          if (!id) throw new Error(`${action.awsName} was not created`);
          await port.attachPolicy(id, action.ouId);
          break;
        }
        case 'detach-policy':
          await port.detachPolicy(action.policyId, action.ouId);
          break;
        case 'delete-policy':
          await port.deletePolicy(action.policyId);
          break;
      }
      done++;
      onAction(action);
    } catch (e) {
      failures.push({ action, error: (e as Error).message });
    }
  }
  return { done, failures };
}

export interface ScpBundleSource {
  readonly read: ArtifactReadPort;
  /** The sender, the cicd account: only its artifact bucket is read. */
  readonly cicdAccountId: string;
  /** The home region (the handler's own): only that region's artifact bucket is read. */
  readonly region: string;
  readonly maxBytes?: number;
}

/**
 * The SCP files a SYNC_SCPS request stands for: inline, or read from the bundle it refers to.
 * A reference is refused (RequestRejected, nothing applied) unless it names exactly the
 * content-addressed key of its `sha256` under `policies/` in the cicd account's artifact bucket
 * of the home region, the object is at most `maxBytes`, and its bytes hash to `sha256` and hold
 * `count` files of the inline form's schema.
 */
export async function scpFilesOfRequest(
  detail: Detail<'SYNC_SCPS'>,
  source: ScpBundleSource,
): Promise<readonly ScpFile[]> {
  if (detail.policies) return detail.policies;
  const { policies_url: url, sha256, count } = detail;
  if (url === undefined || sha256 === undefined || count === undefined) {
    // The catalog's refinement makes this unreachable for a parsed detail.
    throw new RequestRejected('SYNC_SCPS_BUNDLE_INVALID', 'SYNC_SCPS has neither policies nor a bundle');
  }
  const key = artifactObjectKey(url, source.cicdAccountId, source.region, POLICY_BUNDLE_PREFIX);
  if (key !== policyBundleKey(sha256)) {
    throw new RequestRejected(
      'SYNC_SCPS_BUNDLE_LOCATION',
      `policies_url ${url} is not the bundle of sha256 ${sha256} in the cicd account's artifact bucket of ${source.region}; expected ${policyBundleKey(sha256)} in ${artifactBucketName(source.cicdAccountId, source.region)}`.slice(
        0,
        2000,
      ),
    );
  }
  const bucket = artifactBucketName(source.cicdAccountId, source.region);
  const maxBytes = source.maxBytes ?? MAX_SCP_BUNDLE_BYTES;
  const read = await source.read.getObject(bucket, key, maxBytes);
  if (read.status === 'missing') {
    // Uploaded before the event was sent, under a key that never changes: it will not appear later.
    throw new RequestRejected(
      'SYNC_SCPS_BUNDLE_MISSING',
      `s3://${bucket}/${key} does not exist; run the sync again (it uploads the bundle first)`,
    );
  }
  if (read.status === 'too-large') {
    throw new RequestRejected(
      'SYNC_SCPS_BUNDLE_TOO_LARGE',
      `s3://${bucket}/${key} is ${read.bytes} bytes; the handler reads at most ${maxBytes}`,
    );
  }
  const checked = decodeScpBundle(read.body, { sha256, count });
  if (!checked.ok) throw new RequestRejected(checked.code, `s3://${bucket}/${key}: ${checked.message}`);
  return checked.files;
}

const PLAN_KEY = 'plan';
const planKey = (n: number) => (n === 1 ? PLAN_KEY : `${PLAN_KEY}-${n}`);

/**
 * `summary` plus the rendered plan (renderPolicyPlanWithDiffs) in the entries left of REQUEST_COMPLETED's
 * summary: `plan`, `plan-2`, ..., each whole lines of at most MAX_SUMMARY_VALUE_CHARS. A plan
 * longer than that room ends with a line saying how many lines were left out.
 */
export function withPlanText(
  summary: Readonly<Record<string, string>>,
  text: string,
): Record<string, string> {
  const room = MAX_SUMMARY_ENTRIES - Object.keys(summary).length;
  const clip = (line: string) =>
    line.length > MAX_SUMMARY_VALUE_CHARS ? `${line.slice(0, MAX_SUMMARY_VALUE_CHARS - 1)}…` : line;
  const lines = text.split('\n').map(clip);
  const chunks: string[][] = [];
  let size = Number.POSITIVE_INFINITY;
  let used = 0;
  for (const line of lines) {
    if (size + 1 + line.length > MAX_SUMMARY_VALUE_CHARS) {
      if (chunks.length === room) break;
      chunks.push([]);
      size = -1;
    }
    chunks.at(-1)?.push(line);
    size += 1 + line.length;
    used++;
  }
  const last = chunks.at(-1);
  if (last && used < lines.length) {
    const note = (n: number) => `  … ${n} more lines: the management handler's log has the whole plan`;
    while (
      last.length > 0 &&
      [...last, note(lines.length - used)].join('\n').length > MAX_SUMMARY_VALUE_CHARS
    ) {
      last.pop();
      used--;
    }
    last.push(note(lines.length - used));
  }
  const out: Record<string, string> = { ...summary };
  chunks.forEach((chunk, i) => {
    out[planKey(i + 1)] = chunk.join('\n');
  });
  return out;
}

/** The plan text `withPlanText` put in a summary, or undefined when it has none. */
export function planTextOf(summary: Readonly<Record<string, string>> | undefined): string | undefined {
  const chunks: string[] = [];
  for (let n = 1; summary?.[planKey(n)] !== undefined; n++) chunks.push(summary[planKey(n)] as string);
  return chunks.length > 0 ? chunks.join('\n') : undefined;
}

/**
 * SYNC_SCPS in the management account: the request carries every SCP file (name, OU path,
 * minified content) inline or as a bundle in the cicd artifact bucket, and the DSL's SCP quotas
 * (`limits`; absent, AWS's defaults); the handler observes, plans and (unless dryrun) applies,
 * and answers with the counts and the plan as text. Tag and backup policies sync with management
 * credentials (`run --action sync-policies`, direct).
 */
export const syncScpsHandler: HandlerRegistration<'SYNC_SCPS'> = {
  async handle(detail, ctx): Promise<ReplyBody<'REQUEST_COMPLETED'>> {
    // The handler runs in the home region (its stack is deployed there), where the bundle is.
    const region = ctx.clients.context.region;
    const files = await scpFilesOfRequest(detail, {
      read: artifactReadPort(ctx.clients.s3(region)),
      cicdAccountId: ctx.sender.id,
      region,
    });
    const port = organizationsPolicyPort(ctx.clients.organizations());
    const desired: PolicyDocument[] = files.map((p) => ({
      type: 'scp',
      name: p.name,
      organization_unit: p.organization_unit,
      file: `policies/scp/${p.organization_unit}/${p.name}.json`,
      content: p.content,
    }));
    const names = new Set(desired.map((d) => d.name));
    const observed = await observePolicies(port, ['scp'], { described: (_type, name) => names.has(name) });
    const limits = { ...DEFAULT_LIMITS, ...detail.limits };
    const plan = planPolicies({ desired, observed, limits, types: ['scp'] });
    const blocking = plan.problems.filter((p) => p.blocking);
    if (blocking.length > 0) {
      throw new RequestRejected(
        'SYNC_SCPS_BLOCKED',
        blocking
          .map((p) => p.message)
          .join('; ')
          .slice(0, 2000),
      );
    }
    // Checked for a dry run too: it answers what the real run would.
    const mass = massPolicyChange(plan, observed);
    if (mass && detail.allow_mass_change !== true) {
      throw new RequestRejected(
        'SYNC_SCPS_MASS_CHANGE',
        `refusing this SCP sync: ${mass}; if that is intended, run it again with --allow-mass-change`,
      );
    }
    const counts: Record<string, string> = {
      actions: String(plan.actions.length),
      ...(detail.policies ? {} : { bundle: `${files.length} files` }),
    };
    for (const a of plan.actions) counts[a.action] = String(Number(counts[a.action] ?? 0) + 1);
    const text = renderPolicyPlanWithDiffs(plan, observed);
    ctx.log.info(`SYNC_SCPS ${detail.dryrun ? 'dry run' : 'plan'}`, { plan: text });
    const summary = withPlanText(counts, text);
    if (detail.dryrun || plan.actions.length === 0)
      return { request_type: 'SYNC_SCPS', changed: false, summary };
    const result = await applyPolicyPlan(port, plan, (a) =>
      ctx.log.info(`SYNC_SCPS: ${a.action}`, { ...a, content: undefined }),
    );
    if (result.failures.length > 0) {
      // Thrown (not rejected): the runtime retries, and the plan of the retry skips what is done.
      throw new Error(result.failures.map((f) => `${f.action.action}: ${f.error}`).join('; '));
    }
    return { request_type: 'SYNC_SCPS', changed: true, summary };
  },
};
