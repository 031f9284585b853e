import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import type { AwsClients } from '../aws/clients.js';
import { accountsJsonSchema } from '../config/index.js';
import { OrgbridgeError } from '../errors.js';
import { packageVersion } from '../version.js';
import type { Outcome, Output } from './output.js';

/**
 * `orgbridge init DIR`: a config repository to start from. A commented accounts.yml that
 * `validate` accepts as it is (with the organization's real management account when credentials
 * are present), the JSON Schema for editors, a starter SCP with its `scp test` case, and a GitHub
 * Actions workflow: on a pull request `validate` and `plan --markdown` as a comment, on main the
 * actions with `--execute` (docs/ci.md explains the roles it assumes).
 */

/** The management account as Organizations describes it (DescribeOrganization). */
export interface ManagementAccount {
  readonly id: string;
  readonly email: string;
}

const ACCOUNTS_YML = (
  management: ManagementAccount | undefined,
) => `# yaml-language-server: $schema=./accounts.schema.json
# The organization orgbridge manages (docs/dsl.md). Settings inherit defaults -> scope ->
# account; \`orgbridge explain <account>\` shows where each value comes from.
# Account names and emails become permanent once AWS creates an account: check them with
# \`orgbridge validate\` and \`orgbridge plan\` before merging.

organization:
  # The special accounts (docs/architecture.md): orgbridge creates those that do not exist.
  management: management
  cicd: cicd
  identity: identity
  dns: dns
  logs: logs
  audit: audit
  root_ou: Internal
  morgue_ou: Morgue
  event_bus: orgbridge-bus
  event_source: app.infra
  name_template: '{service}-{environment}-{region}'
  # Every account needs its own email, forever: use an address you control.
  email_template: 'aws+{name}@example.com'

defaults:
  region: us-east-1
  regions: [us-east-1]
  environment: nonprod
  tags:
    managed-by: orgbridge

scopes:
  infra:
    description: orgbridge's own accounts and the platform
    organization_unit: Internal/Infra
    environment: prod
    protect: true
  workloads:
    description: Application accounts
    organization_unit: Internal/Workloads

accounts:
  management:
    scope: infra
${
  management
    ? `    # Found with your credentials (organizations:DescribeOrganization).
    id: '${management.id}'
    email: ${management.email}`
    : `    # Run \`orgbridge init\` with management credentials to fill in its id and email, or set
    # them here: \`id: '<its 12-digit id, quoted>'\` and \`email: <its root email>\`.`
}
  cicd:
    scope: infra
    description: Runs the orgbridge pipeline
  identity:
    scope: infra
  dns:
    scope: infra
  logs:
    scope: infra
  audit:
    scope: infra
  # A first workload account: its name and email come from the templates above.
  example-app:
    scope: workloads
    service: example-app
`;

const STARTER_SCP = `${JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyLeaveOrganization',
        Effect: 'Deny',
        Action: 'organizations:LeaveOrganization',
        Resource: '*',
      },
    ],
  },
  null,
  2,
)}\n`;

const SCP_TESTS = `# orgbridge scp test: each case is evaluated offline against the SCP chain of its account or OU
# (docs/policies.md).
- name: no account may leave the organization
  account: example-app
  action: organizations:LeaveOrganization
  expect: deny
`;

/**
 * The workflow. Pull requests: validate, then plan --markdown posted as a comment (exit 2, changes
 * pending, is not a failure). main: the actions in the order of docs/deploy.md. Both assume a role
 * in the cicd account through GitHub's OIDC provider
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services).
 */
const WORKFLOW = (
  version: string,
) => `# orgbridge: validate and plan every pull request, apply on main (docs/ci.md in orgbridge).
name: orgbridge
on:
  pull_request:
  push:
    branches: [main]

permissions:
  id-token: write # OIDC: assume the cicd account's role without stored keys
  contents: read
  pull-requests: write # the plan as a comment

env:
  AWS_REGION: us-east-1
  # The orgbridge this repository was written for, pinned: a release, or the tarball of \`npm pack\`
  # in a checkout of orgbridge (committed here or served internally) while no release is on your
  # registry. Never \`npx orgbridge\`: npx runs whatever package of that name the registry holds.
  ORGBRIDGE_PACKAGE: orgbridge@${version}
  # The roles docs/ci.md describes, in the cicd account.
  PLAN_ROLE_ARN: arn:aws:iam::CICD_ACCOUNT_ID:role/orgbridge-ci-plan
  APPLY_ROLE_ARN: arn:aws:iam::CICD_ACCOUNT_ID:role/orgbridge-ci-apply

jobs:
  plan:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npm install --global "$ORGBRIDGE_PACKAGE"
      - run: orgbridge validate
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ env.PLAN_ROLE_ARN }}
          aws-region: \${{ env.AWS_REGION }}
      - name: plan
        id: plan
        run: |
          set +e
          orgbridge plan --markdown > plan.md
          code=$?
          echo "exit=$code" >> "$GITHUB_OUTPUT"
          # 0 nothing to do, 2 changes pending: both are a plan; 1 is an error.
          [ "$code" -ne 1 ]
      - name: comment
        if: always() && steps.plan.outcome != 'skipped'
        env:
          GH_TOKEN: \${{ github.token }}
        run: gh pr comment \${{ github.event.pull_request.number }} --body-file plan.md --edit-last || gh pr comment \${{ github.event.pull_request.number }} --body-file plan.md

  apply:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    concurrency: orgbridge-apply # one apply at a time, in merge order
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npm install --global "$ORGBRIDGE_PACKAGE"
      - run: orgbridge validate
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ env.APPLY_ROLE_ARN }}
          aws-region: \${{ env.AWS_REGION }}
      - run: orgbridge run --action sync-accounts --execute --json
      - run: orgbridge run --action pipeline --execute --json
      - run: orgbridge run --action sync-policies --execute --json
      - run: orgbridge run --action sync-ecr --execute --json
`;

const README = `# Organization config (orgbridge)

This repository describes the AWS Organization; orgbridge applies it.

- \`accounts.yml\`: the organization, scopes and accounts (reference: orgbridge's docs/dsl.md).
- \`policies/scp/<OU path>/*.json\`: service control policies; \`policies/scp-tests.yml\` their
  offline tests (\`orgbridge scp test\`).
- \`.github/workflows/orgbridge.yml\`: \`validate\` and \`plan --markdown\` on every pull request,
  the actions with \`--execute\` on main. Replace \`CICD_ACCOUNT_ID\` once the cicd account exists
  and create the two roles orgbridge's docs/ci.md describes.

First steps, with the management account's credentials:

\`\`\`sh
orgbridge validate
orgbridge doctor
orgbridge plan
orgbridge run --action sync-accounts --execute
orgbridge run --action bootstrap --execute
\`\`\`
`;

/** Path (relative to the repository) -> content. Pure: the same inputs give the same files. */
export function scaffoldFiles(
  management: ManagementAccount | undefined,
  version: string = packageVersion(),
): Record<string, string> {
  return {
    'accounts.yml': ACCOUNTS_YML(management),
    'accounts.schema.json': `${JSON.stringify(accountsJsonSchema(), null, 2)}\n`,
    'policies/scp/Internal/deny-leave-organization.json': STARTER_SCP,
    'policies/scp-tests.yml': SCP_TESTS,
    '.github/workflows/orgbridge.yml': WORKFLOW(version),
    'README.md': README,
  };
}

/**
 * The management account, when the caller's credentials can describe the organization; undefined
 * (placeholders in the scaffold) when there are none or the caller is in no organization.
 */
export async function describeManagement(clients: AwsClients): Promise<ManagementAccount | undefined> {
  try {
    const { Organization } = await clients.organizations().send(new DescribeOrganizationCommand({}));
    const id = Organization?.MasterAccountId;
    const email = Organization?.MasterAccountEmail;
    return id && email ? { id, email } : undefined;
  } catch {
    return undefined;
  }
}

export interface InitOptions {
  readonly out: string;
  readonly force: boolean;
  readonly management: ManagementAccount | undefined;
  readonly output: Output;
}

/** Writes the scaffold into `out`; an existing non-empty directory needs `force`. */
export function initRepository(options: InitOptions): Outcome {
  const { out, force, output } = options;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory())
      throw new OrgbridgeError('INIT_OUT_NOT_DIRECTORY', `${out} exists and is not a directory`, {
        hint: 'choose another directory',
      });
    if (readdirSync(out).length > 0 && !force)
      throw new OrgbridgeError('INIT_OUT_EXISTS', `${out} exists and is not empty`, {
        hint: 'choose a new directory, or pass --force to overwrite the scaffold files there',
      });
  }
  const files = scaffoldFiles(options.management);
  for (const [path, content] of Object.entries(files)) {
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  output.err(
    options.management
      ? `management account ${options.management.id} (${options.management.email}) filled in`
      : 'no organization found with these credentials: the management account has placeholders (see accounts.yml)',
  );
  output.out(`wrote ${Object.keys(files).length} files to ${out}; next: cd ${out} && orgbridge validate`);
  return 'done';
}
