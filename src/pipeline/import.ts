import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  DescribeOrganizationCommand,
  type DescribeOrganizationCommandOutput,
} from '@aws-sdk/client-organizations';
import type { AwsClients } from '../aws/clients.js';
import { analyzeConfig } from '../config/parse.js';
import { isPolicyFile } from '../config/policies.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { type OrganizationsPort, organizationsPort } from '../handlers/accounts/ports.js';
import { organizationsPolicyPort } from '../handlers/policies/ports.js';
import { observePolicies } from '../handlers/policies/sync.js';
import { type ImportResult, importOrganization } from '../plan/import.js';
import type { ObservedOrganization } from '../plan/observed.js';
import type { ObservedPolicies } from '../plan/policies.js';
import { POLICY_TYPES_ORDER } from '../plan/policies.js';
import type { Outcome, Output } from './output.js';

/**
 * `orgbridge import --out DIR [--force]`: reads the organization with the caller's credentials
 * (the management account's; AWS_ENDPOINT_URL honoured) through the same readers as plan and
 * sync-policies, writes a config repository, and checks it with the DSL's own validation. It
 * never writes to AWS: only List*, Describe* and ListTagsForResource calls.
 */
export interface ImportOptions {
  readonly clients: AwsClients;
  readonly out: string;
  /** Overwrite an existing, non-empty DIR. */
  readonly force: boolean;
  readonly output: Output;
  readonly now?: Date;
}

export interface ImportRunResult {
  readonly result: ImportResult;
  /** The written config's validation errors (formatted); empty when it validates. */
  readonly invalid: readonly string[];
  readonly outcome: Outcome;
}

/** Progress lines on stderr about every 10 % of the accounts' tags (the bulk of the reads). */
function withTagProgress(port: OrganizationsPort, output: Output): OrganizationsPort {
  let total = 0;
  let done = 0;
  let next = 0;
  return {
    ...port,
    async listAccounts(token) {
      const page = await port.listAccounts(token);
      total += page.items.length;
      return page;
    },
    async listTags(resourceId, token) {
      const page = await port.listTags(resourceId, token);
      if (!token) {
        done++;
        if (total >= 200 && done >= next) {
          output.err(`import: read the tags of ${done} of ${total} accounts`);
          next = done + Math.ceil(total / 10);
        }
      }
      return page;
    },
  };
}

/** The organization as import sees it: the account snapshot, every policy with content. */
export async function readOrganization(
  clients: AwsClients,
  output: Output,
): Promise<{ observed: ObservedOrganization; policies: ObservedPolicies; organizationId: string }> {
  let org: DescribeOrganizationCommandOutput;
  try {
    org = await clients.organizations().send(new DescribeOrganizationCommand({}));
  } catch (e) {
    throw new AwsOperationError(
      'reading the organization (organizations:DescribeOrganization); import needs the management account credentials',
      e,
    );
  }
  const organizationId = org.Organization?.Id ?? '';
  const caller = await clients.callerAccountId();
  const management = org.Organization?.MasterAccountId;
  if (management !== undefined && caller !== management) {
    output.err(
      `import: the credentials are account ${caller}'s, not the management account ${management}'s: the reads need Organizations read access (a delegated administrator's)`,
    );
  }
  output.err(`import: reading organization ${organizationId}: OUs, accounts and their tags`);
  const observed = await observeOrganization(
    withTagProgress(organizationsPort(clients.organizations()), output),
  );
  output.err(
    `import: ${observed.accounts.length} accounts in ${Object.keys(observed.ous).length - 1} OUs; reading policies`,
  );
  const policies = await observePolicies(
    organizationsPolicyPort(clients.organizations()),
    POLICY_TYPES_ORDER,
    {
      allContent: true,
    },
  );
  return { observed, policies, organizationId };
}

async function checkOutDirectory(out: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(out);
    if (!info.isDirectory()) {
      throw new OrgbridgeError('IMPORT_OUT_NOT_DIRECTORY', `${out} exists and is not a directory`, {
        hint: 'choose another --out',
      });
    }
    entries = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (entries.length > 0 && !force) {
    throw new OrgbridgeError('IMPORT_OUT_EXISTS', `${out} exists and is not empty`, {
      hint: 'choose a new directory, or pass --force to overwrite accounts.yml, README.md and policies/ there',
    });
  }
}

/** Writes the files; with --force, the policy folders are emptied first so no stale policy stays. */
async function writeRepository(out: string, result: ImportResult, force: boolean): Promise<void> {
  if (force) {
    for (const type of POLICY_TYPES_ORDER)
      await rm(join(out, 'policies', type), { recursive: true, force: true });
  }
  for (const file of result.files) {
    const path = join(out, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text, 'utf8');
  }
}

export async function importInto(options: ImportOptions): Promise<ImportRunResult> {
  const out = resolve(options.out);
  await checkOutDirectory(out, options.force);
  const { observed, policies, organizationId } = await readOrganization(options.clients, options.output);
  const result = importOrganization({
    observed,
    policies,
    region: options.clients.context.region,
    organizationId,
    date: (options.now ?? new Date()).toISOString().slice(0, 10),
  });
  // The DSL's own check of what was written: what it refuses, the user must see now.
  const analysis = analyzeConfig(
    result.files.filter((f) => f.path === 'accounts.yml' || isPolicyFile(f.path)),
    { directory: out },
  );
  const invalid = analysis.ok ? [] : analysis.errors.map((e) => e.format());
  await writeRepository(out, result, options.force);
  const s = result.summary;
  options.output.out(
    `imported ${s.accounts} accounts, ${s.organizationUnits} OUs (${s.scopes} scopes), ${s.policies.scp} SCPs, ${s.policies.tag} tag policies, ${s.policies.backup} backup policies into ${options.out}`,
  );
  for (const line of s.skipped) options.output.err(`not imported: ${line}`);
  if (invalid.length > 0) {
    for (const line of invalid) options.output.err(line);
    options.output.err(
      `the organization uses ${invalid.length === 1 ? 'something' : 'things'} orgbridge's DSL refuses (above): fix ${options.out} before the first plan (docs/import.md, "Limits")`,
    );
    return { result, invalid, outcome: 'failed' };
  }
  options.output.err(
    `next: review ${join(options.out, 'README.md')}, then \`orgbridge -c ${options.out} plan\``,
  );
  return { result, invalid, outcome: 'done' };
}
