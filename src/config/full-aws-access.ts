import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { valueAt } from './issues.js';
import { FULL_AWS_ACCESS } from './policies.js';
import { normalizePath } from './policy-attachments.js';
import { statementsOf } from './scp-evaluation.js';
import type { ParsedYaml } from './source.js';
import type { Rule } from './validate.js';

/**
 * Where `policies.scp.FullAWSAccess.detached_from` takes AWS's allow-everything SCP away, the
 * config must put an SCP there that allows something, and the one the run attaches first:
 *
 * - "Every root, OU, and account must have at least one SCP attached": Organizations refuses to
 *   detach the last one (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html),
 *   so without another SCP of the config on the target, the detach can never happen;
 * - an action is allowed only with an explicit `Allow` at every level from the root to the account
 *   (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html),
 *   so a target left with only `Deny` statements denies everything to every account at or below it.
 *
 * Both are checked against the SCPs this config attaches to the target itself. The first is an
 * error, unless `unmanaged.policies` names policies (one of those may be the target's other SCP;
 * the plan checks the organization as observed, POLICY_LAST_SCP). The second is a warning
 * (WARNING_CODES): a quarantine OU with a deny-all SCP instead of FullAWSAccess is deliberate.
 */
export const fullAwsAccessDetach: Rule = {
  name: 'full-aws-access-detach',
  check: ({ config, accountsDoc }) => {
    const detached = config.full_aws_access;
    if (!detached) return [];
    const contents = (list: readonly { type: string; content: string }[]) =>
      list.filter((p) => p.type === 'scp').map((p) => p.content);
    const errors: OrgbridgeError[] = [];
    const othersUnknown = config.unmanaged.policies.length > 0;
    const checkTarget = (label: string, scps: readonly string[], location: SourceLocation) =>
      scps.length === 0 && othersUnknown ? undefined : targetProblem(label, scps, location);
    for (const ou of detached.detached_from_organization_units) {
      const scps = contents(config.policies.filter((p) => p.organization_unit === ou));
      const label = ou === '' ? 'the root' : `OU '${ou}'`;
      const error = checkTarget(label, scps, locate(accountsDoc, 'organization_units', ou));
      if (error) errors.push(error);
    }
    for (const account of detached.detached_from_accounts) {
      const scps = contents(config.account_policies.filter((p) => p.account === account));
      const error = checkTarget(`account '${account}'`, scps, locate(accountsDoc, 'accounts', account));
      if (error) errors.push(error);
    }
    return errors;
  },
};

const ALLOW_ALL_HINT =
  'an allow list of your own, or {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]} to keep only the Deny SCPs in force';

function targetProblem(
  label: string,
  scps: readonly string[],
  location: SourceLocation,
): OrgbridgeError | undefined {
  if (scps.length === 0)
    return new OrgbridgeError(
      'DSL_SCP_DETACH_LAST',
      `${FULL_AWS_ACCESS} is detached from ${label}, where this config attaches no other SCP; Organizations refuses to detach a target's last SCP`,
      {
        location,
        hint: `attach an SCP that allows what its accounts may do to ${label} first (${ALLOW_ALL_HINT}), or drop ${label} from detached_from`,
      },
    );
  if (scps.some(allows)) return undefined;
  return new OrgbridgeError(
    'DSL_SCP_NO_ALLOW',
    `${FULL_AWS_ACCESS} is detached from ${label}, and no SCP this config attaches there has an Allow statement: SCPs allow only what every level from the root down allows, so every account at or below ${label} is denied everything`,
    {
      location,
      hint: `if that is not the intent (a quarantine OU), attach an SCP with an Allow statement to ${label} (${ALLOW_ALL_HINT}), or drop ${label} from detached_from`,
    },
  );
}

/** An SCP with at least one `Allow` statement (a policy's content is minified JSON, parsed before). */
function allows(content: string): boolean {
  return statementsOf(content).some((s) => s.Effect === 'Allow');
}

/** The entry of `detached_from.<list>` naming `target`, else the `detached_from` key. */
function locate(doc: ParsedYaml, list: 'organization_units' | 'accounts', target: string): SourceLocation {
  const base = ['policies', 'scp', FULL_AWS_ACCESS, 'detached_from'];
  const entries = valueAt(doc.value, [...base, list]);
  const normalize = list === 'organization_units' ? (v: unknown) => normalizePath(String(v)) : String;
  const index = Array.isArray(entries) ? entries.findIndex((e) => normalize(e) === target) : -1;
  return index >= 0 ? doc.locate([...base, list, index], 'value') : doc.locate(base, 'key');
}
