import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { buildProgram, main } from '../../src/cli/main.js';
import { actionNames } from '../../src/pipeline/actions.js';
import { AccountPlanSchema } from '../../src/plan/model.js';
import { type OrganizationPlan, OrganizationPlanSchema } from '../../src/plan/sections.js';
import { useProcessEnv } from '../support/env.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { accountsYaml, HOME_REGION } from '../support/provisioning.js';

const MEMBERS = `  api:
    scope: dev
  batch:
    scope: dev
`;
const DENY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'DenyLeave', Effect: 'Deny', Action: ['organizations:LeaveOrganization'], Resource: '*' },
  ],
};
const TAGS = { tags: { 'cost-centre': { tag_key: { '@@assign': 'cost-centre' } } } };
const ecrYaml = (untaggedDays: number) => `- name: payments-api
  lifecycle:
    - untagged: "${untaggedDays} days"
  pull:
    - services: [api]
`;

/**
 * Every `orgbridge …` command a plan names (hints on stderr, "to apply" lines): its subcommand
 * and options must exist, and `--action` must name an action, so a hint never sends a user to
 * an option the command lacks.
 */
function commandsNamedIn(text: string): string[] {
  // A command starts a line, follows a colon or opens a code span; prose ("what orgbridge wrote") does not.
  const command = /(?:^\s*|: |`)orgbridge ((?:[a-z-]+)(?: (?:--?[a-z-]+|[a-z][a-z-]*))*)/gm;
  return [...text.matchAll(command)].map((m) => m[1] as string);
}
function checkCommand(program: Command, line: string): string | undefined {
  const [name, ...rest] = line.split(' ');
  const command = program.commands.find((c) => c.name() === name);
  if (!command) return `no command '${name}' (${line})`;
  const known = new Set([...command.options, ...program.options].flatMap((o) => [o.long, o.short]));
  for (const [i, word] of rest.entries()) {
    if (word.startsWith('-') && !known.has(word))
      return `'orgbridge ${name}' has no option ${word} (${line})`;
    if (rest[i - 1] === '--action' && !actionNames().includes(word)) return `no action '${word}' (${line})`;
  }
  return undefined;
}

describe('orgbridge plan: accounts, policies, ECR and stacks in one plan', () => {
  const moto = useMoto();
  const dir = mkdtempSync(join(tmpdir(), 'orgbridge-plan-'));
  let managementId: string;

  const cli = async (...args: string[]) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', dir, ...args], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };
  const planJson = async (...args: string[]): Promise<OrganizationPlan & { code: number }> => {
    const { code, out, err } = await cli('plan', '--json', ...args);
    expect(code, err).not.toBe(1);
    return { ...OrganizationPlanSchema.parse(JSON.parse(out)), code };
  };
  const sectionOf = (plan: OrganizationPlan, kind: string) => {
    const s = plan.sections.find((x) => x.kind === kind);
    if (!s) throw new Error(`no ${kind} section`);
    return s;
  };
  const ouId = async (path: string) => {
    const org = moto().management.organizations();
    let parent = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    for (const name of path.split('/')) {
      const children = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent }));
      parent = children.OrganizationalUnits?.find((o) => o.Name === name)?.Id as string;
    }
    return parent;
  };

  beforeAll(async () => {
    ({ managementId } = await createOrganization(moto().management));
    writeFileSync(join(dir, 'accounts.yml'), accountsYaml(managementId, MEMBERS));
    mkdirSync(join(dir, 'policies/scp/Internal/Dev'), { recursive: true });
    mkdirSync(join(dir, 'policies/tag/Internal'), { recursive: true });
    writeFileSync(join(dir, 'policies/scp/Internal/Dev/deny-leave.json'), JSON.stringify(DENY, null, 2));
    writeFileSync(join(dir, 'policies/tag/Internal/cost-centre.json'), JSON.stringify(TAGS));
    writeFileSync(join(dir, 'ecr.yml'), ecrYaml(7));
  });
  useProcessEnv(() => ({
    AWS_ENDPOINT_URL: moto().server.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: HOME_REGION,
    ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
    ORGBRIDGE_PIPELINE_STATE: 'file',
    ORGBRIDGE_STATE_DIR: join(dir, '.state'),
  }));

  it('plans a new organization: accounts and policies to create, stacks and ECR wait for the accounts', async () => {
    const plan = await planJson();
    expect(plan.code).toBe(2);
    expect(plan.version).toBe(2);
    expect(plan.sections.map((s) => s.kind)).toEqual([
      'accounts',
      'policies',
      'ecr',
      'stacks',
      'iam-settings',
      'provisioning',
      'customizations',
    ]);
    expect(sectionOf(plan, 'provisioning').status).toBe('skipped');
    const accounts = AccountPlanSchema.parse(sectionOf(plan, 'accounts').plan);
    expect(accounts.summary.actions['create-account']).toBe(7); // 5 special (management exists) + 2
    const policies = sectionOf(plan, 'policies');
    expect(policies.status).toBe('changes');
    const create = policies.changes.find((c) => c.target.includes('orgbridge-scp-deny-leave'));
    // A new policy's diff is the whole document, pretty-printed.
    expect(create?.diff?.slice(0, 4)).toEqual([
      '--- (no policy)',
      '+++ policies/scp/Internal/Dev/deny-leave.json',
      '@@ -0,0 +1,13 @@',
      '+{',
    ]);
    expect(sectionOf(plan, 'ecr').status).toBe('skipped');
    expect(sectionOf(plan, 'stacks')).toMatchObject({ status: 'skipped' });
    expect(sectionOf(plan, 'stacks').notes[0]).toContain('special accounts do not all exist yet');
    // `run --action sync`: both dry runs in one process, nothing changed.
    const dry = await cli('run', '--action', 'sync');
    expect(dry.code).toBe(2);
    expect(dry.out).toContain('Plan: 4 create OU, 7 create account');
    expect(dry.out).toContain('+ create scp orgbridge-scp-deny-leave');
    expect((await planJson()).code).toBe(2);
  });

  it('after every action ran, plan has nothing to do in any section and exits 0', async () => {
    for (const action of ['sync', 'bootstrap', 'pipeline', 'sync-ecr', 'iam-settings']) {
      const run = await cli('run', '--action', action, '--execute');
      expect(run.code, `${action}\n${run.out}\n${run.err}`).toBe(0);
      if (action === 'sync') {
        // The pipeline's state in AWS (the artifact bucket), before the bootstrap creates the bucket.
        process.env.ORGBRIDGE_PIPELINE_STATE = 's3';
        try {
          const early = sectionOf(await planJson('--only', 'provisioning'), 'provisioning');
          expect(early.status).toBe('skipped');
          expect(early.notes[0]).toMatch(
            /^the artifact bucket orgbridge-artifacts-\d{12}-\S+ does not exist yet/,
          );
        } finally {
          process.env.ORGBRIDGE_PIPELINE_STATE = 'file';
        }
      }
    }
    const plan = await planJson();
    expect(plan.sections.map((s) => [s.kind, s.status, s.drift])).toEqual([
      ['accounts', 'in-sync', []],
      ['policies', 'in-sync', []],
      ['ecr', 'in-sync', []],
      ['stacks', 'in-sync', []],
      ['iam-settings', 'in-sync', []],
      ['provisioning', 'in-sync', []],
      ['customizations', 'in-sync', []],
    ]);
    expect(plan.code).toBe(0);
    const text = await cli('plan');
    expect(text.code).toBe(0);
    expect(text.out.split('\n').at(-1)).toBe(
      'Plan: accounts no changes, policies no changes, ecr no changes, stacks no changes, iam-settings no changes, provisioning no changes, customizations no changes',
    );
    expect(text.err).not.toContain('To apply');
    const md = await cli('plan', '--markdown');
    expect(md.out).toContain('**Nothing to do**: AWS matches the configuration.');
  });

  it('shows file changes as JSON diffs and hand edits as drift, in text, Markdown and JSON', async () => {
    // A file change: one more action denied, and a shorter ECR lifecycle.
    const denyMore = {
      ...DENY,
      Statement: [
        { ...DENY.Statement[0], Action: ['organizations:LeaveOrganization', 'account:CloseAccount'] },
      ],
    };
    writeFileSync(join(dir, 'policies/scp/Internal/Dev/deny-leave.json'), JSON.stringify(denyMore, null, 2));
    writeFileSync(join(dir, 'ecr.yml'), ecrYaml(3));
    // Hand edits: the tag policy's content changed in AWS, an SCP attached to Internal/Dev, the
    // repository's pull policy replaced.
    const org = moto().management.organizations();
    const tagPolicies = await org.send(new ListPoliciesCommand({ Filter: 'TAG_POLICY' }));
    const tagPolicy = tagPolicies.Policies?.find((p) => p.Name === 'orgbridge-tag-cost-centre');
    await org.send(
      new UpdatePolicyCommand({
        PolicyId: tagPolicy?.Id as string,
        Content: JSON.stringify({ tags: { 'cost-centre': { tag_key: { '@@assign': 'CostCentre' } } } }),
      }),
    );
    const byHand = await org.send(
      new CreatePolicyCommand({
        Name: 'deny-s3-by-hand',
        Description: 'made in the console',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    await org.send(
      new AttachPolicyCommand({
        PolicyId: byHand.Policy?.PolicySummary?.Id as string,
        TargetId: await ouId('Internal/Dev'),
      }),
    );
    const { resolveAccountIds } = await import('../../src/templates/inputs.js');
    const { loadConfig } = await import('../../src/config/index.js');
    const { observeOrganization } = await import('../../src/handlers/accounts/observe.js');
    const { organizationsPort } = await import('../../src/handlers/accounts/ports.js');
    const config = await loadConfig(dir);
    const cicd = resolveAccountIds(config, await observeOrganization(organizationsPort(org))).cicd as string;
    await moto()
      .management.forAccount(cicd)
      .ecr(HOME_REGION)
      .send(
        new SetRepositoryPolicyCommand({
          repositoryName: 'payments-api',
          policyText: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }],
          }),
        }),
      );

    const plan = await planJson();
    expect(plan.code).toBe(2);
    const policies = sectionOf(plan, 'policies');
    const update = policies.changes.find(
      (c) => c.group === 'update policy' && c.target.includes('deny-leave'),
    );
    expect(update?.diff).toEqual(
      expect.arrayContaining([
        '-        "organizations:LeaveOrganization"',
        '+        "organizations:LeaveOrganization",',
        '+        "account:CloseAccount"',
      ]),
    );
    expect(policies.drift.map((d) => d.detail)).toEqual([
      expect.stringMatching(/^content edited outside orgbridge: it is not what orgbridge wrote/),
      expect.stringMatching(/^attached to Internal\/Dev outside orgbridge/),
    ]);
    expect(policies.drift[1]?.target).toContain('deny-s3-by-hand');
    // The hand-edited tag policy is restored from its file.
    expect(
      policies.changes.some((c) => c.group === 'update policy' && c.target.includes('cost-centre')),
    ).toBe(true);

    const ecr = sectionOf(plan, 'ecr');
    expect(ecr.changes).toMatchObject([{ group: 'update repository', target: 'payments-api' }]);
    expect(ecr.changes[0]?.diff).toEqual(
      expect.arrayContaining(['-            "countNumber": 7', '+            "countNumber": 3']),
    );
    expect(ecr.drift).toMatchObject([
      { target: 'payments-api', detail: expect.stringMatching(/^pull policy edited outside orgbridge/) },
    ]);
    expect(ecr.drift[0]?.diff).toEqual(expect.arrayContaining(['+      "Sid": "Everyone",']));
    expect(sectionOf(plan, 'stacks').status).toBe('in-sync');

    const md = await cli('plan', '--markdown');
    expect(md.code).toBe(2);
    expect(md.out).toMatch(
      /<details open><summary><b>Organization policies<\/b>: 2 update policy \(scp, tag\)<\/summary>/,
    );
    expect(md.out).toContain('```diff\n--- AWS ');
    expect(md.out).toContain('<details open><summary><b>ECR repositories</b>');
    expect(md.out).toContain('<details><summary><b>Accounts and OUs</b>: no changes');

    // Every command the plan names exists with the options it names.
    const text = await cli('plan');
    const named = commandsNamedIn(`${text.out}\n${text.err}\n${md.out}`);
    expect(named).toEqual(
      expect.arrayContaining(['run --action sync-policies --execute', 'run --action sync-ecr --execute']),
    );
    const program = buildProgram({ io: memoryIo(), exitCode: 0 });
    expect(named.map((line) => checkCommand(program, line)).filter(Boolean)).toEqual([]);
    // Any other option it mentions ("run again with --x") must be one of `plan`'s own.
    const planCommand = program.commands.find((c) => c.name() === 'plan') as Command;
    const prose = `${text.out}\n${text.err}`.replace(/(?:^\s*|: |`)orgbridge [^\n`]*/gm, '');
    const mentioned = [...prose.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]);
    expect(mentioned.filter((o) => !planCommand.options.some((p) => p.long === o))).toEqual([]);
    expect(text.err).toContain('plan only reads: nothing was changed');
  });

  it('--only plans the named sections and refuses unknown ones with a suggestion', async () => {
    const plan = await planJson('--only', 'ecr,accounts');
    expect(plan.sections.map((s) => s.kind)).toEqual(['accounts', 'ecr']);
    const bad = await cli('plan', '--only', 'stack');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--only: unknown section 'stack'; did you mean 'stacks'?");
  });
});
