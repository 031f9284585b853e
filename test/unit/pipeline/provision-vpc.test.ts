import { describe, expect, it } from 'vitest';
import type { ResolvedAccount, ResolvedConfig } from '../../../src/config/model.js';
import type { CreateVpcRequest } from '../../../src/handlers/provisioning/create-vpc.js';
import { type ProvisioningGateway, planProvisioning } from '../../../src/pipeline/provision.js';
import { artifactObjectUrl, templateKey } from '../../../src/protocol/names.js';
import { renderVpc } from '../../../src/templates/provisioning.js';
import { syntheticConfig } from '../templates/fixtures.js';
import { observedOf } from './fixtures.js';

const HOME = 'ap-southeast-2';

/** Members 0-4: VPCs in the home region (two alike), in us-east-1, and in a region without a bucket. */
function vpcConfig(): ResolvedConfig {
  const base = syntheticConfig(5);
  const vpc: Record<string, Partial<ResolvedAccount> & { settings: Record<string, unknown> }> = {
    'member-00000': { settings: { create_vpc: true, vpc_cidr: '10.1.0.0/16', nat_gateway_count: 1 } },
    'member-00001': { settings: { create_vpc: true, vpc_cidr: '10.1.0.0/16', nat_gateway_count: 1 } },
    'member-00002': { settings: { create_vpc: true, vpc_cidr: '10.1.0.0/16', nat_gateway_count: 2 } },
    'member-00003': {
      region: 'us-east-1',
      settings: { create_vpc: true, vpc_cidr: '10.1.0.0/16', nat_gateway_count: 1 },
    },
    'member-00004': {
      region: 'eu-central-1',
      settings: { create_vpc: true, vpc_cidr: '10.1.0.0/16', nat_gateway_count: 1 },
    },
  };
  return {
    ...base,
    accounts: base.accounts.map((a) => {
      const change = vpc[a.key];
      return change ? { ...a, ...change, settings: { ...a.settings, ...change.settings } } : a;
    }),
  };
}

interface Recorded {
  readonly uploads: [string, string | undefined][];
  readonly vpcs: [string, CreateVpcRequest][];
}

function recordingGateway(recorded: Recorded): ProvisioningGateway {
  const done = async () => ({ changed: true, summary: {} });
  return {
    stackInstanceStatus: async (r) => ({ ...r, status: 'CURRENT' }),
    ensureForwardRule: async () => {},
    async uploadTemplate(name, _template, region) {
      recorded.uploads.push([name, region]);
    },
    templateUrl: (name, region = HOME) => artifactObjectUrl('100000000002', region, templateKey(name)),
    putSsmParameters: done,
    updateIamSettings: done,
    updateBaseline: done,
    updateIamMapping: done,
    async createVpc(accountId, request) {
      recorded.vpcs.push([accountId, request]);
      return { changed: true, summary: {} };
    },
    updateLogBuckets: done,
    ensureAccountZone: done,
    releaseAccountDns: done,
  };
}

describe('the VPC steps of the provisioning plan', () => {
  const config = vpcConfig();
  const idOf = (key: string) => config.accounts.find((a) => a.key === key)?.id as string;
  const recorded: Recorded = { uploads: [], vpcs: [] };
  const { steps } = planProvisioning(
    { config, observed: observedOf(config), organizationId: 'o-abcdefghij' },
    recordingGateway(recorded),
  );
  const vpcStep = (key: string) => steps.find((s) => s.kind === 'vpc' && s.accountId === idOf(key));
  const uploadSteps = steps.filter((s) => s.id.includes(':vpc-'));

  it('upload one template per region, range and NAT count, to the bucket of the VPC region', () => {
    const shared = renderVpc({ region: HOME, cidr: '10.1.0.0/16', nat_gateway_count: 1 });
    const twoNat = renderVpc({ region: HOME, cidr: '10.1.0.0/16', nat_gateway_count: 2 });
    const east = renderVpc({ region: 'us-east-1', cidr: '10.1.0.0/16', nat_gateway_count: 1 });
    expect(uploadSteps.map((s) => s.id).sort()).toEqual(
      [
        `upload-template:vpc-${shared.sha256.slice(0, 16)}`,
        `upload-template:vpc-${twoNat.sha256.slice(0, 16)}`,
        `upload-template:us-east-1:vpc-${east.sha256.slice(0, 16)}`,
      ].sort(),
    );
    // The region is a literal of the template (moto resolves Fn::GetAZs "" to us-east-1).
    expect(JSON.stringify(east.template)).toContain('"Fn::GetAZs":"us-east-1"');
    expect(vpcStep('member-00000')?.deps).toContain(`upload-template:vpc-${shared.sha256.slice(0, 16)}`);
    expect(vpcStep('member-00001')?.deps).toContain(`upload-template:vpc-${shared.sha256.slice(0, 16)}`);
    expect(vpcStep('member-00003')?.deps).toContain(
      `upload-template:us-east-1:vpc-${east.sha256.slice(0, 16)}`,
    );
  });

  it('send CREATE_VPC with the URL of its uploaded template, and upload to its region', async () => {
    for (const s of uploadSteps) await s.run();
    expect(recorded.uploads.map(([name, region]) => `${region}/${name.slice(0, 4)}`).sort()).toEqual(
      [`${HOME}/vpc-`, `${HOME}/vpc-`, 'us-east-1/vpc-'].sort(),
    );
    await vpcStep('member-00003')?.run();
    const east = renderVpc({ region: 'us-east-1', cidr: '10.1.0.0/16', nat_gateway_count: 1 });
    expect(recorded.vpcs).toEqual([
      [
        idOf('member-00003'),
        {
          region: 'us-east-1',
          cidr: '10.1.0.0/16',
          nat_gateway_count: 1,
          template_url: artifactObjectUrl(
            '100000000002',
            'us-east-1',
            templateKey(`vpc-${east.sha256.slice(0, 16)}`),
          ),
        },
      ],
    ]);
  });

  it('fail the VPC step of an account whose region has no artifact bucket, naming the account and the fix', async () => {
    const step = vpcStep('member-00004');
    expect(step?.deps).toHaveLength(1);
    await expect(step?.run()).rejects.toMatchObject({
      code: 'PROVISION_NO_ARTIFACT_BUCKET',
      message: expect.stringContaining('member-00004'),
      hint: expect.stringContaining('add eu-central-1 to defaults.regions'),
    });
    expect(recorded.vpcs.map(([id]) => id)).not.toContain(idOf('member-00004'));
  });
});
