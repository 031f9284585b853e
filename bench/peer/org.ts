/**
 * The organization of the peer benchmark, described once and written for both tools: the
 * orgbridge config repository (accounts.yml + policies/) and the org-formation template.
 *
 * Root -> Internal -> five OUs, one SCP per OU, a tag policy on Internal, N accounts spread over
 * the five OUs with two tags each. The `change` variant moves 10 accounts to the next OU and
 * changes a tag on 10 others.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PARENT_OU = 'Internal';
export const OUS = ['Dev', 'Standard', 'Cde', 'Infra', 'Sandbox'] as const;
export const TAG_POLICY_NAME = 'bench-tags';
export const MOVES = 10;
export const TAG_CHANGES = 10;

export interface ManagementAccount {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export interface BenchAccount {
  readonly key: string;
  readonly name: string;
  readonly email: string;
  /** OU name, one of OUS (under PARENT_OU). */
  readonly ou: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface BenchPolicy {
  readonly name: string;
  readonly type: 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY';
  /** OU path from the root, e.g. "Internal/Dev". */
  readonly target: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** The organization both tools are asked to build. */
export interface BenchOrg {
  readonly management: ManagementAccount;
  readonly accounts: readonly BenchAccount[];
  readonly policies: readonly BenchPolicy[];
}

function scpOf(ou: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `Deny${ou}Leave`,
        Effect: 'Deny',
        Action: ['organizations:LeaveOrganization', `ec2:CreateVpnGateway`],
        Resource: '*',
      },
    ],
  };
}

const TAG_POLICY = {
  tags: {
    'cost-centre': { tag_key: { '@@assign': 'cost-centre' } },
    owner: { tag_key: { '@@assign': 'owner' } },
  },
};

/** The organization at `phase`: `change` is `create` with the moves and tag edits applied. */
export function benchOrg(n: number, management: ManagementAccount, phase: 'create' | 'change'): BenchOrg {
  const accounts: BenchAccount[] = [];
  for (let i = 0; i < n; i++) {
    let ou = OUS[i % OUS.length] as string;
    let owner = `team-${i % 3}`;
    if (phase === 'change' && i < MOVES) ou = OUS[(i + 1) % OUS.length] as string;
    if (phase === 'change' && i >= n - TAG_CHANGES) owner = `team-${(i % 3) + 10}`;
    const key = `acct${String(i).padStart(4, '0')}`;
    accounts.push({
      key,
      name: `bench-${key}`,
      email: `bench+${key}@example.com`,
      ou,
      tags: { 'cost-centre': `cc-${1000 + (i % 7)}`, owner },
    });
  }
  const policies: BenchPolicy[] = OUS.map((ou) => ({
    name: `bench-scp-${ou.toLowerCase()}`,
    type: 'SERVICE_CONTROL_POLICY',
    target: `${PARENT_OU}/${ou}`,
    content: scpOf(ou),
  }));
  policies.push({ name: TAG_POLICY_NAME, type: 'TAG_POLICY', target: PARENT_OU, content: TAG_POLICY });
  return { management, accounts, policies };
}

const yamlString = (s: string) => JSON.stringify(s);

/** Writes the orgbridge config repository for `org` into `dir` (accounts.yml, policies/). */
export function writeOrgbridgeConfig(org: BenchOrg, dir: string): void {
  const lines = [
    'organization:',
    '  management: management',
    '  event_bus: orgbridge-bus',
    '  standard_tags: false',
    'defaults:',
    '  region: us-east-1',
    'scopes:',
    '  root:',
    "    organization_unit: ''",
    ...OUS.flatMap((ou) => [`  ${ou.toLowerCase()}:`, `    organization_unit: ${PARENT_OU}/${ou}`]),
    'accounts:',
    '  management:',
    '    scope: root',
    `    id: ${yamlString(org.management.id)}`,
    `    name: ${yamlString(org.management.name)}`,
    `    email: ${yamlString(org.management.email)}`,
  ];
  for (const a of org.accounts) {
    lines.push(
      `  ${a.key}:`,
      `    scope: ${a.ou.toLowerCase()}`,
      `    name: ${yamlString(a.name)}`,
      `    email: ${yamlString(a.email)}`,
      '    tags:',
      ...Object.entries(a.tags).map(([k, v]) => `      ${k}: ${yamlString(v)}`),
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'accounts.yml'), `${lines.join('\n')}\n`);
  for (const p of org.policies) {
    const folder = join(dir, 'policies', p.type === 'TAG_POLICY' ? 'tag' : 'scp', ...p.target.split('/'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${p.name}.json`), `${JSON.stringify(p.content, null, 2)}\n`);
  }
}

const logicalId = (prefix: string, name: string) => `${prefix}${name.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * The org-formation template (format 2010-09-09-OC) for `org`. org-formation has no tag policy
 * resource (OC::ORG:: types are accounts, OUs, SCPs, the root and password policies), so the
 * tag policy is left out here and created for it by the benchmark (see run.ts).
 */
export function orgFormationTemplate(org: BenchOrg): string {
  const out = [
    "AWSTemplateFormatVersion: '2010-09-09-OC'",
    'Organization:',
    '  MasterAccount:',
    '    Type: OC::ORG::MasterAccount',
    '    Properties:',
    `      AccountName: ${yamlString(org.management.name)}`,
    `      AccountId: ${yamlString(org.management.id)}`,
    `      RootEmail: ${yamlString(org.management.email)}`,
    '  OrganizationRoot:',
    '    Type: OC::ORG::OrganizationRoot',
    '    Properties: {}',
    `  ${logicalId('Ou', PARENT_OU)}:`,
    '    Type: OC::ORG::OrganizationalUnit',
    '    Properties:',
    `      OrganizationalUnitName: ${PARENT_OU}`,
    '      OrganizationalUnits:',
    ...OUS.map((ou) => `        - !Ref ${logicalId('Ou', ou)}`),
  ];
  for (const ou of OUS) {
    const members = org.accounts.filter((a) => a.ou === ou);
    const scp = org.policies.find((p) => p.type === 'SERVICE_CONTROL_POLICY' && p.target.endsWith(`/${ou}`));
    out.push(
      `  ${logicalId('Ou', ou)}:`,
      '    Type: OC::ORG::OrganizationalUnit',
      '    Properties:',
      `      OrganizationalUnitName: ${ou}`,
      ...(scp ? [`      ServiceControlPolicies: !Ref ${logicalId('Scp', scp.name)}`] : []),
      ...(members.length
        ? ['      Accounts:', ...members.map((a) => `        - !Ref ${logicalId('Account', a.key)}`)]
        : []),
    );
  }
  for (const p of org.policies) {
    if (p.type !== 'SERVICE_CONTROL_POLICY') continue;
    out.push(
      `  ${logicalId('Scp', p.name)}:`,
      '    Type: OC::ORG::ServiceControlPolicy',
      '    Properties:',
      `      PolicyName: ${p.name}`,
      `      PolicyDocument: ${JSON.stringify(p.content)}`,
    );
  }
  for (const a of org.accounts) {
    out.push(
      `  ${logicalId('Account', a.key)}:`,
      '    Type: OC::ORG::Account',
      '    Properties:',
      `      AccountName: ${yamlString(a.name)}`,
      `      RootEmail: ${yamlString(a.email)}`,
      '      Tags:',
      ...Object.entries(a.tags).map(([k, v]) => `        ${k}: ${yamlString(v)}`),
    );
  }
  return `${out.join('\n')}\n`;
}
