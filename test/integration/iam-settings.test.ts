import {
  CreateAccountAliasCommand,
  GetAccountPasswordPolicyCommand,
  ListAccountAliasesCommand,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { AwsOperationError } from '../../src/errors.js';
import { type IamSettingsPort, updateIamSettings } from '../../src/handlers/provisioning/iam-settings.js';
import { iamSettingsPort } from '../../src/handlers/provisioning/ports.js';
import { directProvisioningGateway } from '../../src/pipeline/gateways/provision-gateway.js';
import { iamSettingsSection, observeIamSettings, runIamSettings } from '../../src/pipeline/iam-settings.js';
import { planProvisioning } from '../../src/pipeline/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { bootstrapOrganization, HOME_REGION, type ProvisionedOrg } from '../support/provisioning.js';

// app sets both settings; web's alias is a template; batch sets neither, so the alias it had
// before orgbridge came is not orgbridge's.
const MEMBERS = `  app:
    scope: dev
    alias: acme-app-dev
    password_policy:
      minimum_length: 14
      require_symbols: true
      max_age_days: 90
  web:
    scope: dev
    alias: 'acme-{key}-{environment}'
  batch:
    scope: dev
`;

describe('IAM account settings (alias, password policy) on the emulator', () => {
  const moto = useMoto();
  let org: ProvisionedOrg;
  const gateway = () =>
    directProvisioningGateway({
      management: moto().management,
      config: org.config,
      accountIds: org.ids,
      specialIds: org.special,
      homeRegion: HOME_REGION,
    });
  const iam = (key: string) =>
    moto()
      .management.forAccount(org.ids[key] as string)
      .iam();
  const aliasOf = async (key: string) =>
    (await iam(key).send(new ListAccountAliasesCommand({}))).AccountAliases ?? [];
  const policyOf = async (key: string) =>
    (await iam(key).send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
  const input = () => ({ config: org.config, accountIds: org.ids, gateway: gateway() });

  beforeAll(async () => {
    const { management } = moto();
    const { managementId } = await createOrganization(management);
    org = await bootstrapOrganization(management, managementId, MEMBERS);
    await iam('batch').send(new CreateAccountAliasCommand({ AccountAlias: 'legacy-batch' }));
  });

  it('the pipeline step sets them; a second run writes nothing', async () => {
    const steps = planProvisioning(
      { config: org.config, observed: org.observed, organizationId: org.organizationId },
      gateway(),
    ).steps.filter((s) => s.kind === 'iam-settings');
    // Only the accounts whose DSL sets an alias or a policy.
    expect(steps.map((s) => s.accountId).sort()).toEqual([org.ids.app, org.ids.web].sort());
    for (const step of steps) await step.run();

    expect(await aliasOf('app')).toEqual(['acme-app-dev']);
    expect(await aliasOf('web')).toEqual(['acme-web-nonprod']);
    expect(await aliasOf('batch')).toEqual(['legacy-batch']);
    expect(await policyOf('app')).toMatchObject({
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: false,
      MaxPasswordAge: 90,
    });
    // No policy in the DSL: the account's is not touched (none here).
    await expect(policyOf('web')).rejects.toThrow(/NoSuchEntity|cannot be found/);

    const again = await Promise.all(steps.map((s) => s.run()));
    expect(again.map((r) => (r as { changed: boolean }).changed)).not.toContain(true);
    const section = iamSettingsSection(await observeIamSettings(input()));
    expect(section.status).toBe('in-sync');
  });

  it('the plan reports settings changed by hand as drift, and the action puts them back', async () => {
    await iam('app').send(new CreateAccountAliasCommand({ AccountAlias: 'hand-made' }));
    await iam('app').send(
      new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, RequireSymbols: true }),
    );
    const section = iamSettingsSection(await observeIamSettings(input()));
    expect(section.status).toBe('changes');
    const target = `app (${org.ids.app})`;
    expect(section.changes).toEqual([
      { group: 'set alias', symbol: '~', target, reason: 'hand-made -> acme-app-dev' },
      {
        group: 'update password policy',
        symbol: '~',
        target,
        reason: 'MinimumPasswordLength 8 -> 14, MaxPasswordAge 0 -> 90',
      },
    ]);
    expect(section.drift.map((d) => d.target)).toEqual([target, target]);
    // Planning wrote nothing.
    expect(await aliasOf('app')).toEqual(['hand-made']);

    const dry = memoryIo();
    expect(await runIamSettings({ ...input(), execute: false, output: dry })).toBe('pending');
    expect(dry.stdout.join('\n')).toContain('hand-made -> acme-app-dev');
    expect(await aliasOf('app')).toEqual(['hand-made']);

    const io = memoryIo();
    expect(await runIamSettings({ ...input(), execute: true, output: io })).toBe('done');
    expect(await aliasOf('app')).toEqual(['acme-app-dev']);
    expect((await policyOf('app'))?.MinimumPasswordLength).toBe(14);
    expect(iamSettingsSection(await observeIamSettings(input())).status).toBe('in-sync');
  });

  it('an alias another AWS account holds fails with what to do', async () => {
    // Aliases are unique across AWS; the emulator does not enforce that, so the port is made to
    // answer as IAM does when another account holds the alias.
    const real = iamSettingsPort(
      moto()
        .management.forAccount(org.ids.web as string)
        .iam(),
    );
    const taken: IamSettingsPort = {
      ...real,
      setAlias: async (alias) => {
        const e = new Error(`The account alias ${alias} already exists.`);
        e.name = 'EntityAlreadyExistsException';
        throw new AwsOperationError(`setting the account alias '${alias}'`, e);
      },
    };
    await expect(updateIamSettings(taken, { alias: 'dev' })).rejects.toMatchObject({
      code: 'PROVISION_ALIAS_TAKEN',
      hint: expect.stringContaining('alias:'),
    });
    // A dry run only reports.
    const dry = await updateIamSettings(taken, { alias: 'dev' }, { dryrun: true });
    expect(dry.summary.alias).toBe('acme-web-nonprod -> dev');
  });
});
