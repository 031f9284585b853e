import type { ErrorCode } from '../error-codes.js';
import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { partitionOf } from '../partitions.js';
import { accountTagProblem, TAG_PROBLEM_CODES } from './account-tags.js';
import {
  ACCOUNT_NAME_PATTERN,
  DNS_LABEL_PATTERN,
  EMAIL_MAX_LENGTH,
  EMAIL_MIN_LENGTH,
  EMAIL_PATTERN,
  IAM_PRINCIPAL_ARN_PATTERN,
} from './aws-names.js';
import { didYouMeanSuffix } from './did-you-mean.js';
import { fullAwsAccessDetach } from './full-aws-access.js';
import { checkAliases } from './iam-settings.js';
import {
  type ResolvedAccount,
  type ResolvedConfig,
  SPECIAL_ACCOUNT_KINDS,
  type SpecialAccountKind,
} from './model.js';
import { FULL_AWS_ACCESS, policiesPerTarget, policyMaxChars } from './policies.js';
import { ouChain } from './policy-inheritance.js';
import { checkRegionCodes, isAcceptedRegion } from './region-check.js';
import { homeRegionOf } from './regions.js';
import type { EcrRepositoryInput } from './schema.js';
import type { ParsedYaml } from './source.js';
import { rewrittenTagValues } from './tag-values.js';

/**
 * Semantic rules over the resolved configuration: small, named, each returning every error it
 * finds (never the first only), like changesets' config rules. No rule makes an AWS call.
 */
export interface RuleContext {
  readonly config: ResolvedConfig;
  readonly accountsDoc: ParsedYaml;
  /** Every key under `accounts:`, including accounts that failed the schema check. */
  readonly accountKeys: ReadonlySet<string>;
  /** OU paths of scopes that failed the schema check (not in `config.scopes`). */
  readonly unreadOus?: ReadonlySet<string>;
  readonly ecrDoc?: ParsedYaml;
  readonly ecr: readonly EcrRepositoryInput[];
}

export interface Rule {
  readonly name: string;
  readonly check: (ctx: RuleContext) => OrgbridgeError[];
}

/** Where to point at for an account setting: the line that set it, else the account's key. */
function whereSet(account: ResolvedAccount, setting: string): SourceLocation {
  const p = account.provenance[setting];
  const at = p && p.layer !== 'builtin' && p.layer !== 'template' ? p : account.provenance.key;
  return { file: at?.file ?? '', line: at?.line ?? 0, column: at?.column ?? 0 };
}

const fileOrder = new WeakMap<readonly ResolvedAccount[], ResolvedAccount[]>();

/** The later of two clashing accounts is the one reported, as a reader of the file expects. */
function inFileOrder(accounts: readonly ResolvedAccount[]): ResolvedAccount[] {
  const cached = fileOrder.get(accounts);
  if (cached) return cached;
  const line = (a: ResolvedAccount) => a.provenance.key?.line ?? 0;
  const sorted = [...accounts].sort((a, b) => line(a) - line(b));
  fileOrder.set(accounts, sorted);
  return sorted;
}

function accountLocation(account: ResolvedAccount): SourceLocation {
  return whereSet(account, 'key');
}

const regionInRegions: Rule = {
  name: 'region-in-regions',
  check: ({ config, accountsDoc }) =>
    config.accounts.flatMap((account) => {
      const regions = account.settings.regions as readonly string[] | undefined;
      if (!regions || regions.includes(account.region)) return [];
      // An unknown region code is reported once, as such (known-regions), not again here.
      if (!isAcceptedRegion(accountsDoc, account.region)) return [];
      return [
        new OrgbridgeError(
          'DSL_REGION_NOT_ALLOWED',
          `account '${account.key}': region '${account.region}' is not in regions [${regions.join(', ')}]`,
          {
            location: whereSet(account, 'region'),
            hint: `use one of ${regions.join(', ')}, or add '${account.region}' to regions (set at ${formatAt(account, 'regions')})`,
          },
        ),
      ];
    }),
};

/**
 * Every region of the config in the home region's partition: an organization, its accounts and
 * everything orgbridge deploys for it live in one partition (commercial, China, GovCloud, ...:
 * https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html),
 * and every ARN orgbridge writes is derived from the home region (src/partitions.ts).
 */
const regionsInHomePartition: Rule = {
  name: 'regions-in-home-partition',
  check: ({ config, accountsDoc }) => {
    const home = homeRegionOf(config);
    const partition = partitionOf(home);
    return config.accounts.flatMap((account) =>
      (['region', 'regions', 'global_region'] as const).flatMap((setting) => {
        const value = account.settings[setting];
        const regions = (Array.isArray(value) ? value : [value]).filter(
          (r): r is string => typeof r === 'string' && isAcceptedRegion(accountsDoc, r),
        );
        const outside = regions.filter((r) => partitionOf(r) !== partition);
        if (!outside.length) return [];
        return [
          new OrgbridgeError(
            'DSL_REGION_NOT_ALLOWED',
            `account '${account.key}': ${setting} ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside partition ${partition} of the home region ${home}`,
            {
              location: whereSet(account, setting),
              hint: `an organization lives in one AWS partition: use regions of ${partition}, or run a separate orgbridge for the other partition's organization`,
            },
          ),
        ];
      }),
    );
  },
};

function formatAt(account: ResolvedAccount, setting: string): string {
  const p = account.provenance[setting];
  return p ? `${p.file}:${p.line}` : 'defaults';
}

function uniqueBy(
  code: ErrorCode,
  what: 'name' | 'email',
  normalise: (value: string) => string,
): Rule['check'] {
  return ({ config }) => {
    const seen = new Map<string, ResolvedAccount>();
    const errors: OrgbridgeError[] = [];
    for (const account of inFileOrder(config.accounts)) {
      const value = normalise(account[what]);
      const first = seen.get(value);
      if (!first) {
        seen.set(value, account);
        continue;
      }
      // AWS lets two accounts share a name: with both ids given, orgbridge never matches by name.
      if (what === 'name' && first.id !== undefined && account.id !== undefined) continue;
      // Both from an email_template without {name} or {key}: resolution reports the template
      // once (DSL_TEMPLATE_NOT_UNIQUE); a clash per account would only repeat it.
      const fromTemplate = (a: ResolvedAccount) => a.provenance[what]?.layer === 'template';
      if (
        what === 'email' &&
        fromTemplate(account) &&
        fromTemplate(first) &&
        !/\{(key|name)\}/.test(config.organization.email_template ?? '')
      )
        continue;
      errors.push(
        new OrgbridgeError(
          code,
          `account '${account.key}': ${what} '${account[what]}' is also the ${what} of account '${first.key}'`,
          {
            location: whereSet(account, what),
            hint:
              what === 'email'
                ? 'every AWS account needs its own email, forever (a closed account keeps it); set `email:` or change email_template'
                : 'orgbridge recognises accounts by name: set `name:` or change name_template/service/environment/region',
          },
        ),
      );
    }
    return errors;
  };
}

const accountEmailFormat: Rule = {
  name: 'account-email-format',
  check: ({ config }) =>
    config.accounts.flatMap((account) => {
      const { email } = account;
      const tooLong = email.length > EMAIL_MAX_LENGTH;
      const problem =
        email.length < EMAIL_MIN_LENGTH || tooLong
          ? `is ${email.length} characters; AWS accepts 6 to 64`
          : !EMAIL_PATTERN.test(email)
            ? 'is not an email address'
            : undefined;
      if (!problem) return [];
      // Said of what made the address: the account's own `email:`, or the template.
      const own = account.provenance.email?.layer === 'account';
      const hint = own
        ? `write the account's \`email:\` as a whole address${tooLong ? ' of at most 64 characters' : ''}`
        : tooLong
          ? 'set `email:` on the account, or shorten organization.email_template'
          : 'organization.email_template must make an address (name@domain, e.g. aws+{name}@example.com), or set `email:` on the account';
      return [
        new OrgbridgeError('DSL_INVALID_EMAIL', `account '${account.key}': email '${email}' ${problem}`, {
          location: whereSet(account, 'email'),
          hint,
        }),
      ];
    }),
};

const accountNameFormat: Rule = {
  name: 'account-name-format',
  check: ({ config }) =>
    config.accounts.flatMap((account) => {
      if (ACCOUNT_NAME_PATTERN.test(account.name)) return [];
      const problem =
        account.name.length > 50 || !account.name.length
          ? `is ${account.name.length} characters; AWS accepts 1 to 50`
          : 'has characters AWS does not accept in account names (printable ASCII only)';
      return [
        new OrgbridgeError(
          'DSL_INVALID_ACCOUNT_NAME',
          `account '${account.key}': name '${account.name}' ${problem}`,
          {
            location: whereSet(account, 'name'),
            hint: account.name.length
              ? 'set a shorter `name:` on the account, or a shorter key/service, or change organization.name_template'
              : 'give the account a `name:`, or an organization.name_template that makes one',
          },
        ),
      ];
    }),
};

/**
 * With `dns_parent_domain`, each account gets the zone `<account name>.<parent>` from the DNS
 * account, so its name must be one DNS label. Checked here, before the accounts exist: the
 * pipeline would otherwise stop at the zone, after CreateAccount has fixed the name.
 */
const dnsZoneNames: Rule = {
  name: 'dns-zone-names',
  check: ({ config }) => {
    const parent = config.organization.dns_parent_domain;
    if (!parent) return [];
    // DNS names ignore case: two names that differ only in case would be one zone.
    const zoneOwner = new Map<string, ResolvedAccount>();
    return inFileOrder(config.accounts).flatMap((account) => {
      if (!ACCOUNT_NAME_PATTERN.test(account.name)) return [];
      if (!DNS_LABEL_PATTERN.test(account.name)) {
        return [
          new OrgbridgeError(
            'DSL_DNS_ZONE_NAME_INVALID',
            `account '${account.key}': name '${account.name}' cannot be the first label of its DNS zone under ${parent} (organization.dns_parent_domain)`,
            {
              location: whereSet(account, 'name'),
              hint: 'with dns_parent_domain, account names are DNS labels: letters, digits, _ and inner hyphens, at most 63 (set `name:` or change organization.name_template)',
            },
          ),
        ];
      }
      const zone = account.name.toLowerCase();
      const first = zoneOwner.get(zone);
      if (!first) {
        zoneOwner.set(zone, account);
        return [];
      }
      return [
        new OrgbridgeError(
          'DSL_DNS_ZONE_NAME_INVALID',
          `account '${account.key}': name '${account.name}' gives the DNS zone ${zone}.${parent}, which account '${first.key}' ('${first.name}') has already`,
          { location: whereSet(account, 'name'), hint: 'give one of them another name' },
        ),
      ];
    });
  },
};

/**
 * orgbridge-dlq-operator trusts the management account and narrows that to `operators` by
 * aws:PrincipalArn: a principal of another account can never match, so naming one is a mistake.
 */
const operatorsInManagement: Rule = {
  name: 'operators-in-management',
  check: ({ config, accountsDoc }) => {
    const managementKey = config.organization.accounts.management;
    const management = config.accounts.find((a) => a.key === managementKey)?.id;
    if (management === undefined) return [];
    return (config.organization.operators ?? []).flatMap((arn, i) => {
      const account = IAM_PRINCIPAL_ARN_PATTERN.exec(arn)?.[2];
      if (account === undefined || account === management) return [];
      return [
        new OrgbridgeError(
          'DSL_OPERATOR_NOT_MANAGEMENT',
          `organization.operators[${i}]: ${arn} is a principal of account ${account}, not of the management account ${management}`,
          {
            location: accountsDoc.locate(['organization', 'operators', i], 'value'),
            hint: 'orgbridge dlq runs with the management account credentials: name the roles people use there (SSO roles are arn:aws:iam::<id>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_<permission set>_*)',
          },
        ),
      ];
    });
  },
};

const uniqueAccountIds: Rule = {
  name: 'unique-account-ids',
  check: ({ config, accountsDoc }) => {
    const seen = new Map<string, string>();
    const errors: OrgbridgeError[] = [];
    for (const account of inFileOrder(config.accounts)) {
      if (account.id === undefined) continue;
      const first = seen.get(account.id);
      if (first === undefined) seen.set(account.id, account.key);
      else {
        errors.push(
          new OrgbridgeError(
            'DSL_DUPLICATE_ACCOUNT_ID',
            `account '${account.key}': id ${account.id} is also adopted by account '${first}'`,
            {
              location: accountsDoc.locate(['accounts', account.key, 'id'], 'value'),
              hint: 'an AWS account can be adopted once; remove one of the ids',
            },
          ),
        );
      }
    }
    return errors;
  },
};

const specialAccountsExist: Rule = {
  name: 'special-accounts-exist',
  check: ({ config, accountsDoc, accountKeys }) =>
    SPECIAL_ACCOUNT_KINDS.flatMap((kind) => {
      const key = config.organization.accounts[kind];
      if (key === undefined || accountKeys.has(key)) return [];
      return [
        new OrgbridgeError(
          'DSL_UNKNOWN_SPECIAL_ACCOUNT',
          `organization.${kind}: account '${key}' is not defined under accounts${didYouMeanSuffix(key, accountKeys)}`,
          {
            location: accountsDoc.locate(['organization', kind], 'value'),
            hint: `add an account '${key}' under \`accounts:\` or name an existing one`,
          },
        ),
      ];
    }),
};

/**
 * One account per special role: each special account runs the one handler stack of its kind
 * (`orgbridge-handlers`, with that kind's queues and least-privilege role), so an account named
 * for two roles would get one of them only, and the run would fail at the first template. The
 * first role in the file keeps the account; the error is at the second.
 */
const specialAccountsDistinct: Rule = {
  name: 'special-accounts-distinct',
  check: ({ config, accountsDoc }) => {
    const roleOf = new Map<string, SpecialAccountKind>();
    const errors: OrgbridgeError[] = [];
    const kinds = [...SPECIAL_ACCOUNT_KINDS].sort(
      (a, b) =>
        accountsDoc.locate(['organization', a], 'value').line -
        accountsDoc.locate(['organization', b], 'value').line,
    );
    for (const kind of kinds) {
      const key = config.organization.accounts[kind];
      if (key === undefined) continue;
      const first = roleOf.get(key);
      if (first === undefined) {
        roleOf.set(key, kind);
        continue;
      }
      errors.push(
        new OrgbridgeError(
          'DSL_SPECIAL_ACCOUNT_SHARED',
          `organization.${kind}: account '${key}' is already the ${first} account (organization.${first}); each special account has one role`,
          {
            location: accountsDoc.locate(['organization', kind], 'value'),
            hint: `add an account for the ${kind} role under \`accounts:\` (sync-accounts creates it) and name it here`,
          },
        ),
      );
    }
    return errors;
  },
};

/**
 * The DNS account lets each account write only under its allowed domains, so one domain must
 * have one owner: the same domain twice, or one inside another account's, would let two
 * accounts overwrite each other's records. Checked through a map of claims and each domain's
 * parent suffixes, so the cost is domains x labels, not domains squared.
 */
const dnsDomainsDisjoint: Rule = {
  name: 'dns-domains-disjoint',
  check: ({ config, accountsDoc }) => {
    const owner = new Map<string, string>();
    const accounts = inFileOrder(config.accounts);
    for (const account of accounts) {
      for (const domain of account.allowed_dns_domains)
        if (!owner.has(domain)) owner.set(domain, account.key);
    }
    const errors: OrgbridgeError[] = [];
    for (const account of accounts) {
      account.allowed_dns_domains.forEach((domain, index) => {
        const location = accountsDoc.locate(['accounts', account.key, 'allowed_dns_domains', index], 'value');
        const first = owner.get(domain);
        if (first !== undefined && first !== account.key) {
          errors.push(
            new OrgbridgeError(
              'DSL_DNS_DOMAIN_CONFLICT',
              `account '${account.key}': domain '${domain}' is also claimed by account '${first}'`,
              {
                location,
                hint: 'give each domain to one account',
              },
            ),
          );
          return;
        }
        const labels = domain.split('.');
        for (let i = 1; i < labels.length - 1; i++) {
          const parent = labels.slice(i).join('.');
          const parentOwner = owner.get(parent);
          if (parentOwner !== undefined && parentOwner !== account.key) {
            errors.push(
              new OrgbridgeError(
                'DSL_DNS_DOMAIN_CONFLICT',
                `account '${account.key}': domain '${domain}' is inside '${parent}' of account '${parentOwner}'`,
                {
                  location,
                  hint: `only '${parentOwner}' may write records under ${parent}; move one of the claims`,
                },
              ),
            );
            return;
          }
        }
      });
    }
    return errors;
  },
};

/**
 * Findings that do not fail `validate`, `plan` or a run: a pull grant of ecr.yml whose service
 * no account runs (any more, or not in that environment) is what retiring an account leaves
 * behind; the grant pulls for no account (src/templates/ecr.ts leaves it out) and the warning
 * names the file, so the retirement does not force an edit of ecr.yml in the same change.
 */
export const WARNING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'DSL_ECR_UNKNOWN_SERVICE',
  // A named IAM identity deploys; only what the boundary keeps to custom-* names is refused later.
  'DSL_TEMPLATE_IAM_NAME',
  // A type newer than orgbridge's list deploys (src/config/resource-types.ts).
  'DSL_TEMPLATE_RESOURCE_TYPE_UNLISTED',
  // A target that allows nothing may be a quarantine OU on purpose (src/config/full-aws-access.ts).
  'DSL_SCP_NO_ALLOW',
]);

const ecrPullGrants: Rule = {
  name: 'ecr-pull-grants-match',
  check: ({ config, ecr, ecrDoc }) => {
    if (!ecrDoc) return [];
    const services = new Set(config.accounts.map((a) => a.service));
    const environments = new Set(config.accounts.map((a) => a.environment));
    const pairs = new Set(config.accounts.map((a) => `${a.service}\u0000${a.environment}`));
    const errors: OrgbridgeError[] = [];
    ecr.forEach((repository, r) => {
      repository.pull.forEach((grant, g) => {
        const { environment } = grant;
        if (environment !== undefined && !environments.has(environment)) {
          errors.push(
            new OrgbridgeError(
              'DSL_ECR_UNKNOWN_ENVIRONMENT',
              `repository '${repository.name}': no account has environment '${environment}'${didYouMeanSuffix(environment, environments)}`,
              {
                location: ecrDoc.locate([r, 'pull', g, 'environment'], 'value'),
                hint: `environments in accounts.yml: ${[...environments].sort().join(', ')}`,
              },
            ),
          );
          return;
        }
        const list = typeof grant.services === 'string' ? [grant.services] : grant.services;
        list.forEach((service, s) => {
          const path =
            typeof grant.services === 'string' ? [r, 'pull', g, 'services'] : [r, 'pull', g, 'services', s];
          if (!services.has(service)) {
            errors.push(
              new OrgbridgeError(
                'DSL_ECR_UNKNOWN_SERVICE',
                `repository '${repository.name}': no account runs service '${service}'${didYouMeanSuffix(service, services)}`,
                {
                  location: ecrDoc.locate(path, 'value'),
                  hint: 'the grant pulls for no account until then: if its last account is being retired, remove the service from ecr.yml when convenient, otherwise name a `service:` of an account in accounts.yml',
                },
              ),
            );
          } else if (environment !== undefined && !pairs.has(`${service}\u0000${environment}`)) {
            errors.push(
              new OrgbridgeError(
                'DSL_ECR_UNKNOWN_SERVICE',
                `repository '${repository.name}': service '${service}' has no account in environment '${environment}'`,
                {
                  location: ecrDoc.locate(path, 'value'),
                  hint: 'the grant pulls for no account: if that account is being retired, remove the grant when convenient, otherwise fix the environment or service',
                },
              ),
            );
          }
        });
      });
    });
    return errors;
  },
};

const ecrUniqueRepositories: Rule = {
  name: 'ecr-unique-repositories',
  check: ({ ecr, ecrDoc }) => {
    if (!ecrDoc) return [];
    const seen = new Set<string>();
    return ecr.flatMap((repository, r) => {
      if (!seen.has(repository.name)) {
        seen.add(repository.name);
        return [];
      }
      return [
        new OrgbridgeError(
          'DSL_ECR_DUPLICATE_REPOSITORY',
          `repository '${repository.name}' is defined twice`,
          {
            location: ecrDoc.locate([r, 'name'], 'value'),
            hint: 'merge the two entries',
          },
        ),
      ];
    });
  },
};

/**
 * Every OU the configuration knows: the root (`''`), each scope's OU and its ancestors, the
 * root and morgue OUs when set.
 */
export function knownOrganizationUnits(config: ResolvedConfig): Set<string> {
  const known = new Set<string>(['']);
  for (const ou of [config.organization.root_ou, config.organization.morgue_ou])
    if (ou !== undefined) known.add(ou);
  for (const scope of Object.values(config.scopes))
    for (const ou of ouChain(scope.organization_unit)) known.add(ou);
  return known;
}

const policyChecks: Rule = {
  name: 'policy-size-target-count',
  check: ({ config, accountsDoc, unreadOus }) => {
    const { limits } = config.organization;
    const known = knownOrganizationUnits(config);
    // A policy under the OU of a scope that failed its own check is not a second mistake.
    const unread = (ou: string) => unreadOus?.has(ou) === true;
    const errors: OrgbridgeError[] = [];
    const perTarget = new Map<string, number>();
    const detached = config.full_aws_access;
    const countOnTarget = (
      target: string,
      type: ResolvedConfig['policies'][number]['type'],
      label: string,
      location: SourceLocation,
    ) => {
      // AWS keeps FullAWSAccess attached unless it is detached, so it takes one SCP slot.
      const [, ou, account] = target.split('\u0000');
      const withFullAccess =
        type === 'scp' &&
        !(account !== undefined
          ? detached?.detached_from_accounts.includes(account)
          : detached?.detached_from_organization_units.includes(ou ?? ''));
      const count = (perTarget.get(target) ?? (withFullAccess ? 1 : 0)) + 1;
      perTarget.set(target, count);
      const allowed = policiesPerTarget(type, limits);
      if (count === allowed + 1) {
        errors.push(
          new OrgbridgeError(
            'DSL_TOO_MANY_POLICIES',
            `${label} gets more than ${allowed} ${type} policies${withFullAccess ? ` (counting ${FULL_AWS_ACCESS})` : ''}`,
            { location, hint: 'merge policies, or attach some to a parent OU' },
          ),
        );
      }
    };
    for (const policy of config.account_policies) {
      countOnTarget(
        `${policy.type}\u0000\u0000${policy.account}`,
        policy.type,
        `account '${policy.account}'`,
        accountsDoc.locate(['policies', policy.type, policy.name, 'accounts'], 'key'),
      );
    }
    const byName = new Map<string, { file: string; content: string }>();
    for (const policy of config.policies) {
      const location = { file: policy.file, line: 1, column: 1 };
      const max = policyMaxChars(policy.type, limits);
      if (policy.content.length > max) {
        errors.push(
          new OrgbridgeError(
            'DSL_POLICY_TOO_LARGE',
            `${policy.type} policy '${policy.name}' is ${policy.content.length} characters after minifying; the limit is ${max}`,
            {
              location,
              hint: 'split it into two policies, or raise organization.limits if AWS raised your quota',
            },
          ),
        );
      }
      if (!known.has(policy.organization_unit) && !unread(policy.organization_unit)) {
        // The OU is the file's folder, or an entry of policies.<type>.<name>.organization_units
        // in accounts.yml: pointed at where it is written.
        const inFolder = policy.file.split('/').slice(2, -1).join('/') === policy.organization_unit;
        errors.push(
          new OrgbridgeError(
            'DSL_POLICY_UNKNOWN_OU',
            `policy '${policy.name}' targets OU '${policy.organization_unit}', which no scope uses${didYouMeanSuffix(policy.organization_unit, known)}`,
            {
              location: inFolder
                ? location
                : accountsDoc.locate(['policies', policy.type, policy.name, 'organization_units'], 'key'),
              hint: `OUs of this configuration: ${[...known]
                .sort()
                .map((ou) => (ou === '' ? "'' (the root)" : ou))
                .join(', ')}`,
            },
          ),
        );
      }
      const target = policy.organization_unit === '' ? 'the root' : `OU '${policy.organization_unit}'`;
      countOnTarget(`${policy.type}\u0000${policy.organization_unit}`, policy.type, target, location);
      const nameKey = `${policy.type}\u0000${policy.name}`;
      const same = byName.get(nameKey);
      if (!same) byName.set(nameKey, { file: policy.file, content: policy.content });
      else if (same.content !== policy.content) {
        errors.push(
          new OrgbridgeError(
            'DSL_DUPLICATE_POLICY_NAME',
            `${policy.type} policy '${policy.name}' differs from ${same.file}; policy names are unique in an organization`,
            { location, hint: 'rename one file (identical files are one policy attached to both OUs)' },
          ),
        );
      }
    }
    return errors;
  },
};

const organizationUnits: Rule = {
  name: 'organization-units',
  check: ({ config, accountsDoc }) => {
    const { ou_depth } = config.organization.limits;
    const { morgue_ou, root_ou } = config.organization;
    const errors: OrgbridgeError[] = [];
    // The management account already exists and is never created or moved (src/plan/accounts.ts),
    // so a scope that holds only it may name the OU it really is in, wherever that is.
    const managementScopes = config.accounts.filter((a) => a.kind === 'management').map((a) => a.scope);
    const otherScopes = new Set(config.accounts.filter((a) => a.kind !== 'management').map((a) => a.scope));
    const managementOnly = new Set(managementScopes.filter((scope) => !otherScopes.has(scope)));
    const unmanaged = config.unmanaged.organization_units;
    if (morgue_ou !== undefined && morgue_ou === root_ou) {
      errors.push(
        new OrgbridgeError(
          'DSL_INVALID_VALUE',
          `organization.morgue_ou must differ from root_ou ('${root_ou}')`,
          {
            location: accountsDoc.locate(['organization', 'morgue_ou'], 'value'),
            hint: 'retired accounts go to their own OU, e.g. Morgue',
          },
        ),
      );
    }
    for (const scope of Object.values(config.scopes)) {
      const location = accountsDoc.locate(['scopes', scope.name, 'organization_unit'], 'value');
      const depth = scope.organization_unit.split('/').filter(Boolean).length;
      if (depth > ou_depth) {
        errors.push(
          new OrgbridgeError(
            'DSL_OU_TOO_DEEP',
            `scope '${scope.name}': OU '${scope.organization_unit}' is ${depth} levels deep; Organizations allows ${ou_depth}`,
            { location, hint: 'flatten the OU path' },
          ),
        );
      }
      const inOu = (ou: string) =>
        scope.organization_unit === ou || scope.organization_unit.startsWith(`${ou}/`);
      const unmanagedOu = unmanaged.find(inOu);
      if (unmanagedOu !== undefined) {
        errors.push(
          new OrgbridgeError(
            'DSL_SCOPE_UNMANAGED',
            `scope '${scope.name}': OU '${scope.organization_unit}' is inside '${unmanagedOu}', which unmanaged.organization_units lists`,
            { location, hint: 'orgbridge never touches an unmanaged OU: choose another OU, or manage it' },
          ),
        );
      }
      // morgue_ou equal to root_ou is reported above, once, not again for every scope under it.
      if (morgue_ou !== undefined && morgue_ou !== root_ou && inOu(morgue_ou)) {
        errors.push(
          new OrgbridgeError(
            'DSL_SCOPE_IN_MORGUE',
            `scope '${scope.name}': OU '${scope.organization_unit}' is inside the morgue OU`,
            {
              location,
              hint: 'the morgue only holds retired accounts; choose another OU',
            },
          ),
        );
      } else if (root_ou !== undefined && !inOu(root_ou) && !managementOnly.has(scope.name)) {
        // The management handler refuses CREATE_ACCOUNT/MOVE_ACCOUNT outside root_ou
        // (ACCOUNT_OU_NOT_ALLOWED in src/handlers/accounts/placement.ts): say so at PR time.
        errors.push(
          new OrgbridgeError(
            'DSL_OU_OUTSIDE_ROOT',
            `scope '${scope.name}': OU '${scope.organization_unit}' is outside organization.root_ou '${root_ou}'; the management account places accounts only in '${root_ou}' or below it`,
            {
              location,
              hint: `write a bare OU name (placed under '${root_ou}') or a path starting with '${root_ou}/', e.g. '${root_ou}/${scope.organization_unit.split('/').at(-1)}'`,
            },
          ),
        );
      }
    }
    return errors;
  },
};

/**
 * One OU, one spelling: `Internal/dev` in one scope and `Internal/Dev` in another are the same OU
 * to a reader, and two to orgbridge's plan, which compares paths as written and would try to
 * create both. Reported at the first scope whose OU path (or one of its parents) is spelt with
 * other letter case than an earlier one (morgue_ou first, then scopes in file order).
 */
const organizationUnitSpelling: Rule = {
  name: 'organization-unit-spelling',
  check: ({ config, accountsDoc }) => {
    const spelling = new Map<string, { ou: string; where: string }>();
    const morgue = config.organization.morgue_ou;
    if (morgue !== undefined)
      spelling.set(morgue.toLowerCase(), { ou: morgue, where: 'organization.morgue_ou' });
    const errors: OrgbridgeError[] = [];
    const scopes = Object.values(config.scopes).sort(
      (a, b) =>
        accountsDoc.locate(['scopes', a.name], 'key').line -
        accountsDoc.locate(['scopes', b.name], 'key').line,
    );
    const root = config.organization.root_ou;
    const inRoot = (ou: string, r: string) => ou === r || ou.startsWith(`${r}/`);
    for (const scope of scopes) {
      // Spelt otherwise than root_ou itself: outside it, which DSL_OU_OUTSIDE_ROOT reports.
      const path = scope.organization_unit;
      if (root !== undefined && !inRoot(path, root) && inRoot(path.toLowerCase(), root.toLowerCase()))
        continue;
      const chain = ouChain(path);
      const clash = chain
        .map((ou) => ({ ou, first: spelling.get(ou.toLowerCase()) }))
        .find(({ ou, first }) => first !== undefined && first.ou !== ou);
      if (clash?.first) {
        errors.push(
          new OrgbridgeError(
            'DSL_OU_CASE',
            `scope '${scope.name}': OU '${clash.ou}' differs only in letter case from '${clash.first.ou}' (${clash.first.where})`,
            {
              location: accountsDoc.locate(['scopes', scope.name, 'organization_unit'], 'value'),
              hint: `write '${clash.first.ou}' (or rename it everywhere): orgbridge would try to create both OUs`,
            },
          ),
        );
        continue;
      }
      for (const ou of chain)
        if (!spelling.has(ou.toLowerCase()))
          spelling.set(ou.toLowerCase(), { ou, where: `scope '${scope.name}'` });
    }
    return errors;
  },
};

/**
 * The tag checks `plan` runs (src/config/account-tags.ts), at the line that sets the tag: a tag
 * set in defaults is reported once for all the accounts it reaches, with a count.
 */
const accountTags: Rule = {
  name: 'account-tags',
  check: ({ config }) => {
    const options = {
      authoritative: config.organization.authoritative,
      tagLimit: config.organization.limits.tags_per_account,
    };
    return config.accounts.flatMap((account) => {
      const problem = accountTagProblem(account.key, account.tags, options);
      if (!problem) return [];
      const hint =
        problem.kind === 'TOO_MANY_TAGS'
          ? `remove tags from defaults, the scope or the account${config.organization.standard_tags ? ' (orgbridge sets 4: scope, service-name, environment, region)' : ''}`
          : (problem.hint ?? 'rename the tag');
      return [
        new OrgbridgeError(TAG_PROBLEM_CODES[problem.kind].dsl, problem.message, {
          location: problem.tag ? whereSet(account, `tags.${problem.tag}`) : accountLocation(account),
          hint,
        }),
      ];
    });
  },
};

/**
 * `organization.access`: the Pulumi approach's developers group assumes the group role of an access group,
 * so the group must exist in some `access:` pattern; and it reaches that role as a principal of
 * the identity account, which a SAML-only trust (`saml_provider_arn`) would refuse.
 */
const accessSettings: Rule = {
  name: 'access-settings',
  check: ({ config, accountsDoc }) => {
    const access = config.organization.access;
    const users = access?.iam_users;
    if (!users) return [];
    const errors: OrgbridgeError[] = [];
    const groups = new Set(config.accounts.flatMap((a) => Object.keys(a.access)));
    for (const scope of Object.values(config.scopes))
      for (const g of Object.keys(scope.access)) groups.add(g);
    const group = users.developers_access_group;
    if (!groups.has(group)) {
      errors.push(
        new OrgbridgeError(
          'DSL_UNKNOWN_ACCESS_GROUP',
          `organization.access.iam_users.developers_access_group: no scope or account grants group '${group}'${didYouMeanSuffix(group, groups)}`,
          {
            location: accountsDoc.locate(
              ['organization', 'access', 'iam_users', 'developers_access_group'],
              'value',
            ),
            hint: `name a group of an \`access:\` pattern (${[...groups].sort().join(', ') || 'none defined'})`,
          },
        ),
      );
    }
    if (access.saml_provider_arn !== undefined) {
      errors.push(
        new OrgbridgeError(
          'DSL_ACCESS_CONFLICT',
          'organization.access sets both saml_provider_arn and iam_users: group roles that trust only SAML cannot be assumed by the IAM developers group',
          {
            location: accountsDoc.locate(['organization', 'access', 'iam_users'], 'key'),
            hint: 'keep saml_provider_arn (SSO) or iam_users (no SSO), not both',
          },
        ),
      );
    }
    return errors;
  },
};

/**
 * `unmanaged:` and the policy targets of accounts. orgbridge attaches a policy to an account by
 * its id (the account plan is not part of a policy sync), so such accounts give `id:`. Nothing
 * the DSL describes may be inside what `unmanaged:` leaves alone.
 */
const unmanagedAndPolicyTargets: Rule = {
  name: 'unmanaged-and-policy-targets',
  check: ({ config, accountsDoc }) => {
    const errors: OrgbridgeError[] = [];
    const unmanagedIds = new Set(config.unmanaged.accounts);
    const unmanagedOus = config.unmanaged.organization_units;
    const under = (path: string) => unmanagedOus.find((ou) => path === ou || path.startsWith(`${ou}/`));
    const byKey = new Map(config.accounts.map((a) => [a.key, a]));
    for (const account of config.accounts) {
      if (account.id !== undefined && unmanagedIds.has(account.id)) {
        errors.push(
          new OrgbridgeError(
            'DSL_UNMANAGED_CONFLICT',
            `account '${account.key}' adopts ${account.id}, which unmanaged.accounts lists`,
            {
              location: accountsDoc.locate(['accounts', account.key, 'id'], 'value'),
              hint: 'remove the account from accounts: or its id from unmanaged.accounts',
            },
          ),
        );
      }
    }
    const needsId = new Map<string, SourceLocation>();
    for (const policy of config.account_policies) {
      needsId.set(
        policy.account,
        accountsDoc.locate(['policies', policy.type, policy.name, 'accounts'], 'key'),
      );
    }
    for (const account of config.full_aws_access?.detached_from_accounts ?? []) {
      needsId.set(account, accountsDoc.locate(['policies', 'scp', FULL_AWS_ACCESS, 'detached_from'], 'key'));
    }
    for (const [key, location] of needsId) {
      const account = byKey.get(key);
      if (account && account.id === undefined) {
        errors.push(
          new OrgbridgeError(
            'DSL_POLICY_ACCOUNT_WITHOUT_ID',
            `a policy targets account '${key}', which has no \`id:\``,
            {
              location,
              hint: `orgbridge attaches policies to accounts by id: add the account's id to accounts.${key} (after its creation)`,
            },
          ),
        );
      }
    }
    const targets = [
      ...config.policies.map((p) => ({ ou: p.organization_unit, file: p.file })),
      ...(config.full_aws_access?.detached_from_organization_units ?? []).map((ou) => ({
        ou,
        file: accountsDoc.file,
      })),
    ];
    for (const { ou, file } of targets) {
      const inside = under(ou);
      if (inside === undefined) continue;
      errors.push(
        new OrgbridgeError(
          'DSL_POLICY_UNMANAGED_TARGET',
          `a policy targets OU '${ou}', inside '${inside}', which unmanaged.organization_units lists`,
          { location: { file, line: 1, column: 1 }, hint: 'orgbridge never touches an unmanaged OU' },
        ),
      );
    }
    return errors;
  },
};

export const RULES: readonly Rule[] = [
  { name: 'known-regions', check: (ctx) => checkRegionCodes(ctx.accountsDoc) },
  regionInRegions,
  regionsInHomePartition,
  operatorsInManagement,
  { name: 'unique-account-names', check: uniqueBy('DSL_DUPLICATE_NAME', 'name', (v) => v) },
  { name: 'unique-account-emails', check: uniqueBy('DSL_DUPLICATE_EMAIL', 'email', (v) => v.toLowerCase()) },
  accountEmailFormat,
  accountNameFormat,
  dnsZoneNames,
  uniqueAccountIds,
  specialAccountsExist,
  specialAccountsDistinct,
  organizationUnitSpelling,
  dnsDomainsDisjoint,
  ecrPullGrants,
  ecrUniqueRepositories,
  policyChecks,
  fullAwsAccessDetach,
  organizationUnits,
  accountTags,
  { name: 'tag-values-as-written', check: (ctx) => rewrittenTagValues(ctx.accountsDoc) },
  accessSettings,
  unmanagedAndPolicyTargets,
  { name: 'account-aliases', check: ({ config }) => checkAliases(config.accounts) },
];

/**
 * Runs every rule. Errors with the same code at the same position (a scope's region outside
 * `regions` affects all its accounts) are reported once, with a count.
 */
export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): OrgbridgeError[] {
  const groups = new Map<string, OrgbridgeError[]>();
  for (const rule of rules) {
    for (const error of rule.check(ctx)) {
      const l = error.location;
      const key = `${error.code}\u0000${l?.file}\u0000${l?.line}\u0000${l?.column}`;
      const group = groups.get(key);
      if (group) group.push(error);
      else groups.set(key, [error]);
    }
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as OrgbridgeError;
    if (group.length === 1) return first;
    return new OrgbridgeError(first.code, `${first.message} (and ${group.length - 1} more accounts)`, {
      ...(first.location ? { location: first.location } : {}),
      ...(first.hint ? { hint: first.hint } : {}),
    });
  });
}
