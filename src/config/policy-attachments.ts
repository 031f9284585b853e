import { OrgbridgeError } from '../errors.js';
import { didYouMeanSuffix } from './did-you-mean.js';
import type { AccountPolicyDocument, FullAwsAccessSettings, PolicyDocument, PolicyType } from './model.js';
import { FULL_AWS_ACCESS } from './policies.js';
import { POLICY_TYPES, type PoliciesSectionInput } from './schema.js';
import type { ParsedYaml } from './source.js';

/**
 * `policies:` in accounts.yml: where each policy is attached, for policies with more than one
 * target, attached to the root or to accounts. An existing organization has such policies (one
 * SCP on the root, three OUs and two accounts), and they stay one policy with one document:
 *
 * ```yaml
 * policies:
 *   scp:
 *     deny-leave-organization:            # the document is policies/scp/deny-leave-organization.json
 *       organization_units: ['', Workloads/Prod]   # '' is the root
 *       accounts: [payments-sandbox]
 *     FullAWSAccess:                      # AWS-managed: attached everywhere unless detached here
 *       detached_from: { organization_units: [Sandbox] }
 * ```
 *
 * A file directly under `policies/<type>/` is such a document; a file under an OU folder stays
 * attached to that OU as before, and `policies:` may add targets to it too.
 */
export interface PolicyAttachmentsInput {
  readonly section: PoliciesSectionInput | undefined;
  /** Files under an OU folder (attached there). */
  readonly located: readonly PolicyDocument[];
  /** Files directly under `policies/<type>/`. */
  readonly documents: readonly PolicyDocument[];
  /** Every key under `accounts:`. */
  readonly accountKeys: ReadonlySet<string>;
  readonly doc: ParsedYaml;
}

export interface PolicyAttachmentsResult {
  /** `located` plus every OU and root attachment of `policies:`. */
  readonly policies: PolicyDocument[];
  readonly account_policies: AccountPolicyDocument[];
  readonly full_aws_access?: FullAwsAccessSettings;
  readonly errors: OrgbridgeError[];
}

/** An OU path as written (`' Workloads / Prod '`) as the config keeps it (`Workloads/Prod`). */
export const normalizePath = (path: string): string =>
  path
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean)
    .join('/');

export function attachPolicies(input: PolicyAttachmentsInput): PolicyAttachmentsResult {
  const { section, doc, accountKeys } = input;
  const errors: OrgbridgeError[] = [];
  const policies = [...input.located];
  const account_policies: AccountPolicyDocument[] = [];
  let full_aws_access: FullAwsAccessSettings | undefined;
  const attached = new Set(policies.map((p) => `${p.type}\u0000${p.name}\u0000${p.organization_unit}`));
  const declared = new Set<string>();

  const checkAccounts = (keys: readonly string[] | undefined, path: readonly (string | number)[]) => {
    const known: string[] = [];
    (keys ?? []).forEach((key, i) => {
      if (accountKeys.has(key)) known.push(key);
      else
        errors.push(
          new OrgbridgeError(
            'DSL_POLICY_UNKNOWN_ACCOUNT',
            `${path.join('.')}: no account '${key}' under accounts${didYouMeanSuffix(key, accountKeys)}`,
            {
              location: doc.locate([...path, i], 'value'),
              hint: 'name an account by its key in `accounts:`',
            },
          ),
        );
    });
    return [...new Set(known)];
  };

  for (const type of POLICY_TYPES) {
    for (const [name, entry] of Object.entries(section?.[type] ?? {})) {
      const at = ['policies', type, name] as const;
      declared.add(`${type}\u0000${name}`);
      if (name === FULL_AWS_ACCESS) {
        if (type !== 'scp' || entry.organization_units !== undefined || entry.accounts !== undefined) {
          errors.push(
            new OrgbridgeError(
              'DSL_POLICY_AWS_MANAGED',
              type !== 'scp'
                ? `${FULL_AWS_ACCESS} is a service control policy, not a ${type} policy`
                : `${FULL_AWS_ACCESS} is attached everywhere by AWS; accounts.yml can only say where it is detached`,
              {
                location: doc.locate([...at], 'key'),
                hint: `write policies.scp.${FULL_AWS_ACCESS}.detached_from: {organization_units: [...], accounts: [...]}`,
              },
            ),
          );
          continue;
        }
        full_aws_access = {
          detached_from_organization_units: [
            ...new Set((entry.detached_from?.organization_units ?? []).map(normalizePath)),
          ],
          detached_from_accounts: checkAccounts(entry.detached_from?.accounts, [
            ...at,
            'detached_from',
            'accounts',
          ]),
        };
        continue;
      }
      if (entry.detached_from !== undefined) {
        errors.push(
          new OrgbridgeError(
            'DSL_INVALID_VALUE',
            `policies.${type}.${name}: detached_from is only for ${FULL_AWS_ACCESS}`,
            {
              location: doc.locate([...at, 'detached_from'], 'key'),
              hint: 'list where the policy is attached with organization_units and accounts',
            },
          ),
        );
      }
      const document =
        input.documents.find((d) => d.type === type && d.name === name) ??
        input.located.find((d) => d.type === type && d.name === name);
      if (!document) {
        errors.push(
          new OrgbridgeError(
            'DSL_POLICY_MISSING_FILE',
            `policies.${type}.${name}: there is no policies/${type}/${name}.json`,
            {
              location: doc.locate([...at], 'key'),
              hint: `write the policy document to policies/${type}/${name}.json`,
            },
          ),
        );
        continue;
      }
      for (const path of new Set((entry.organization_units ?? []).map(normalizePath))) {
        const id = `${type}\u0000${name}\u0000${path}`;
        if (attached.has(id)) continue;
        attached.add(id);
        policies.push({ ...document, organization_unit: path });
      }
      for (const account of checkAccounts(entry.accounts, [...at, 'accounts'])) {
        account_policies.push({
          type: type as PolicyType,
          account,
          name,
          file: document.file,
          content: document.content,
        });
      }
      if (
        !entry.organization_units?.length &&
        !entry.accounts?.length &&
        input.located.every((d) => d.name !== name || d.type !== type)
      ) {
        errors.push(noTarget(type, name, doc.locate([...at], 'key')));
      }
    }
  }
  for (const document of input.documents) {
    if (declared.has(`${document.type}\u0000${document.name}`)) continue;
    errors.push(noTarget(document.type, document.name, { file: document.file, line: 1, column: 1 }));
  }
  return {
    policies,
    account_policies,
    ...(full_aws_access ? { full_aws_access } : {}),
    errors,
  };
}

function noTarget(
  type: PolicyType,
  name: string,
  location: { file: string; line: number; column: number },
): OrgbridgeError {
  return new OrgbridgeError('DSL_POLICY_NO_TARGET', `${type} policy '${name}' is attached nowhere`, {
    location,
    hint: `list its targets under policies.${type}.${name} in accounts.yml (organization_units: ['' for the root, ...], accounts: [...]), or move the file to policies/${type}/<OU path>/`,
  });
}
