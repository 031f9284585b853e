import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateOrganizationalUnitCommand } from '@aws-sdk/client-organizations';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { planOrganization } from '../../src/pipeline/organization-plan.js';
import { renderOrganizationPlanMarkdown } from '../../src/plan/section-render.js';
import { artifactBucketName } from '../../src/protocol/names.js';
import { type Conversation, HOME, startConversation } from '../support/conversation.js';
import { useMoto } from '../support/moto.js';
import { accountsYaml } from '../support/provisioning.js';

/**
 * `orgbridge plan` as a pull-request check runs it: with the cicd account's credentials. The
 * organization is listed and the SCPs planned by the management account's handlers over
 * EventBridge; what only management credentials can read says so instead of failing.
 */
describe('orgbridge plan from the cicd account (eventbridge gateway)', () => {
  const moto = useMoto();
  let conversation: Conversation;

  beforeAll(async () => {
    const { management } = moto();
    conversation = await startConversation(management, {
      visibilityTimeoutSeconds: 30,
      settings: { accounts: { rootOu: 'Internal', morgueOu: 'Morgue' } },
      timeoutMs: 20_000,
    });
    await management
      .organizations()
      .send(new CreateOrganizationalUnitCommand({ ParentId: conversation.rootId, Name: 'Internal' }));
    await conversation.cicd
      .s3(HOME)
      .send(
        new CreateBucketCommand({ Bucket: artifactBucketName(conversation.topology.cicdAccountId, HOME) }),
      );
  }, 30_000);
  afterAll(async () => {
    await conversation?.stop();
  });

  it('plans accounts and SCPs with diffs; stacks, tag policies and ECR say what they need', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-plan-eb-'));
    writeFileSync(join(dir, 'accounts.yml'), accountsYaml(conversation.managementId, ''));
    mkdirSync(join(dir, 'policies/scp/Internal'), { recursive: true });
    mkdirSync(join(dir, 'policies/tag/Internal'), { recursive: true });
    writeFileSync(
      join(dir, 'policies/scp/Internal/deny-leave.json'),
      '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}',
    );
    writeFileSync(
      join(dir, 'policies/tag/Internal/cc.json'),
      '{"tags":{"cc":{"tag_key":{"@@assign":"cc"}}}}',
    );
    const config = await loadConfig(dir);
    const plan = await planOrganization({
      config,
      connection: {
        kind: 'eventbridge',
        clients: conversation.cicd,
        client: conversation.client,
        managementAccountId: conversation.managementId,
        close: async () => {},
      },
      now: new Date(),
    });
    const [accounts, policies, ecr, stacks] = plan.sections;
    expect(accounts?.status).toBe('changes');
    expect(policies?.status).toBe('changes');
    const create = policies?.changes.find((c) => c.group === 'create policy');
    expect(create?.target).toBe(
      'scp orgbridge-scp-deny-leave from policies/scp/Internal/deny-leave.json (114 chars)',
    );
    expect(create?.diff?.slice(0, 3)).toEqual([
      '--- (no policy)',
      '+++ policies/scp/Internal/deny-leave.json',
      '@@ -0,0 +1,10 @@',
    ]);
    expect(policies?.changes.map((c) => c.group)).toEqual([
      'enable policy type',
      'create policy',
      'attach policy',
    ]);
    expect(policies?.notes[0]).toMatch(
      /^tag and backup policies \(1 files\) not planned: that needs the management account's credentials/,
    );
    expect(stacks).toMatchObject({ status: 'skipped' });
    expect(stacks?.notes[0]).toContain("orgbridge's stacks are in every account");
    expect(ecr?.status).toBe('skipped');
    expect(plan.summary.exitCode).toBe(2);
    expect(renderOrganizationPlanMarkdown(plan)).toContain('```diff\n--- (no policy)');
  });
});
