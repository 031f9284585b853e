import { describe, expect, it } from 'vitest';
import type { PolicyDocument, ResolvedConfig } from '../../../src/config/model.js';
import type { AccountBaselineRequest } from '../../../src/handlers/provisioning/update-stack.js';
import { type ProvisioningGateway, planProvisioning } from '../../../src/pipeline/provision.js';
import { artifactObjectUrl, templateKey } from '../../../src/protocol/names.js';
import { renderBackupVaults } from '../../../src/templates/provisioning.js';
import { syntheticConfig } from '../templates/fixtures.js';
import { observedOf } from './fixtures.js';

const HOME = 'ap-southeast-2';
const CICD = '100000000002';
const OTHER_ACCOUNT_VAULT = 'arn:aws:backup:us-east-1:111122223333:backup-vault:Central';

/**
 * The dev OU's policy (members) runs Monthly at home and in us-east-1, and Daily at home with
 * copies to its own vault Copies in us-east-1, to Far in eu-central-1 (no artifact bucket:
 * syntheticConfig's regions are ap-southeast-2 and us-east-1) and to another account's vault.
 * The infra OU (special accounts) has no backup policy.
 */
function backupPolicy(extraVault?: string): PolicyDocument {
  const copy = (arn: string) => ({ target_backup_vault_arn: { '@@assign': arn } });
  return {
    type: 'backup',
    organization_unit: 'Internal/Dev',
    name: 'plans',
    file: 'policies/backup/Internal/Dev/plans.json',
    content: JSON.stringify({
      plans: {
        Monthly: {
          regions: { '@@assign': [HOME, 'us-east-1'] },
          rules: {
            M: { target_backup_vault_name: { '@@assign': 'Default' } },
            ...(extraVault ? { X: { target_backup_vault_name: { '@@assign': extraVault } } } : {}),
          },
        },
        Daily: {
          regions: { '@@assign': [HOME] },
          rules: {
            D: {
              target_backup_vault_name: { '@@assign': 'Default' },
              copy_actions: {
                a: copy('arn:aws:backup:us-east-1:$account:backup-vault:Copies'),
                b: copy('arn:aws:backup:eu-central-1:$account:backup-vault:Far'),
                c: copy(OTHER_ACCOUNT_VAULT),
              },
            },
          },
        },
      },
    }),
  };
}

function backupConfig(extraVault?: string): ResolvedConfig {
  return { ...syntheticConfig(3), policies: [backupPolicy(extraVault)] };
}

function recordingGateway(recorded: [string, string, AccountBaselineRequest][]): ProvisioningGateway {
  const done = async () => ({ changed: true, summary: {} });
  return {
    stackInstanceStatus: async (r) => ({ ...r, status: 'CURRENT' }),
    ensureForwardRule: async () => {},
    async uploadTemplate(name, _template, region = HOME) {
      recorded.push(['upload', region, { stack_name: name, template_url: '' }]);
    },
    templateUrl: (name, region = HOME) => artifactObjectUrl(CICD, region, templateKey(name)),
    putSsmParameters: done,
    updateIamSettings: done,
    async updateBaseline(accountId, request) {
      recorded.push(['baseline', accountId, request]);
      return { changed: true, summary: {} };
    },
    updateIamMapping: done,
    createVpc: done,
    updateLogBuckets: done,
    ensureAccountZone: done,
    releaseAccountDns: done,
  };
}

describe('the backup vault steps of the provisioning plan', () => {
  const config = backupConfig();
  const members = config.accounts.filter((a) => a.kind === 'member');
  const recorded: [string, string, AccountBaselineRequest][] = [];
  const plan = (c: ResolvedConfig, backup?: boolean) =>
    planProvisioning(
      {
        config: c,
        observed: observedOf(c),
        organizationId: 'o-abcdefghij',
        ...(backup === false ? { backup } : {}),
      },
      recordingGateway(recorded),
    ).steps;
  const steps = plan(config);
  const vaultSteps = steps.filter((s) => s.kind === 'backup-vaults');
  const east = renderBackupVaults(['Default', 'Copies']);
  const eastUpload = `upload-template:us-east-1:backup-vaults-${east.sha256.slice(0, 16)}`;

  it('give each member one step per other region its policy runs or copies in; none to accounts without a policy', () => {
    for (const a of members) {
      expect(vaultSteps.filter((s) => s.accountId === a.id).map((s) => s.id)).toEqual([
        `backup-vaults:${a.id}:us-east-1:${east.sha256.slice(0, 12)}`,
        expect.stringMatching(new RegExp(`^backup-vaults:${a.id}:eu-central-1:[0-9a-f]{12}$`)),
      ]);
    }
    expect(vaultSteps).toHaveLength(2 * members.length);
    // One upload of the shared template to the us-east-1 bucket; nothing for the home region.
    expect(steps.filter((s) => s.id.includes('backup-vaults-')).map((s) => s.id)).toEqual([eastUpload]);
    for (const a of members) {
      const step = vaultSteps.find((s) => s.id.startsWith(`backup-vaults:${a.id}:us-east-1:`));
      expect(step?.deps).toEqual([expect.stringMatching(/^forward-rule:/), eastUpload]);
    }
  });

  it("send UPDATE_ACCOUNT_BASELINE with the region and the URL of that region's artifact bucket", async () => {
    const member = members[0];
    await steps.find((s) => s.id === eastUpload)?.run();
    await vaultSteps.find((s) => s.id.startsWith(`backup-vaults:${member?.id}:us-east-1:`))?.run();
    expect(recorded).toEqual([
      ['upload', 'us-east-1', { stack_name: `backup-vaults-${east.sha256.slice(0, 16)}`, template_url: '' }],
      [
        'baseline',
        member?.id,
        {
          stack_name: 'orgbridge-backup-vaults',
          template_url: artifactObjectUrl(
            CICD,
            'us-east-1',
            templateKey(`backup-vaults-${east.sha256.slice(0, 16)}`),
          ),
          account_id: member?.id,
          region: 'us-east-1',
        },
      ],
    ]);
  });

  it('fail the step of a region without an artifact bucket, naming the account, the vaults and the fix', async () => {
    const member = members[1];
    const step = vaultSteps.find((s) => s.id.startsWith(`backup-vaults:${member?.id}:eu-central-1:`));
    expect(step?.deps).toHaveLength(1);
    const before = recorded.length;
    await expect(step?.run()).rejects.toMatchObject({
      code: 'PROVISION_NO_ARTIFACT_BUCKET',
      message: expect.stringContaining(`account ${member?.key}`),
      hint: expect.stringContaining('add eu-central-1 to defaults.regions'),
    });
    expect(step?.label).toContain('Far');
    expect(recorded).toHaveLength(before);
  });

  it("keep the home region's vaults in the baseline, whose step does not change when another region's do", () => {
    const more = plan(backupConfig('Extra'));
    const id = members[0]?.id as string;
    const stepOf = (all: typeof steps, prefix: string) => all.find((s) => s.id.startsWith(prefix))?.id;
    // Extra is a Monthly vault: at home (the baseline) and in us-east-1.
    expect(stepOf(more, `baseline:${id}:`)).not.toBe(stepOf(steps, `baseline:${id}:`));
    expect(stepOf(more, `backup-vaults:${id}:us-east-1:`)).not.toBe(
      stepOf(steps, `backup-vaults:${id}:us-east-1:`),
    );
    // A vault only another region needs leaves the baseline step, and so its completion, alone.
    const withoutCopies = {
      ...config,
      policies: [
        {
          ...backupPolicy(),
          content: (backupPolicy().content as string).replace('backup-vault:Copies', 'backup-vault:Other'),
        },
      ],
    };
    const changed = plan(withoutCopies);
    expect(stepOf(changed, `baseline:${id}:`)).toBe(stepOf(steps, `baseline:${id}:`));
    expect(stepOf(changed, `backup-vaults:${id}:us-east-1:`)).not.toBe(
      stepOf(steps, `backup-vaults:${id}:us-east-1:`),
    );
    // The same inputs plan the same ids: a re-run skips what is done.
    expect(plan(config).map((s) => s.id)).toEqual(steps.map((s) => s.id));
  });

  it('plan no vault step when backup is off', () => {
    expect(plan(config, false).filter((s) => s.kind === 'backup-vaults')).toEqual([]);
  });
});
