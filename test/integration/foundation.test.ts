import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  ListAccountsForParentCommand,
} from '@aws-sdk/client-organizations';
import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { createOrganization, useMoto } from '../support/moto.js';

describe('foundation: src/aws against the emulator', () => {
  const moto = useMoto();

  it('creates an organization, an OU and two accounts, then acts inside one of them', async () => {
    const { management } = moto();
    const { rootId } = await createOrganization(management);
    const org = management.organizations();
    const ou = await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Dev' }));
    const ouId = ou.OrganizationalUnit?.Id;
    expect(ouId).toMatch(/^ou-/);

    const ids: string[] = [];
    for (const name of ['foo-nonprod-us-east-1', 'bar-nonprod-us-east-1']) {
      const created = await org.send(
        new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }),
      );
      const id = created.CreateAccountStatus?.AccountId;
      expect(id).toMatch(/^\d{12}$/);
      ids.push(id as string);
      const { MoveAccountCommand } = await import('@aws-sdk/client-organizations');
      await org.send(
        new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: ouId }),
      );
    }
    const inOu = await org.send(new ListAccountsForParentCommand({ ParentId: ouId }));
    expect(inOu.Accounts?.map((a) => a.Id).sort()).toEqual([...ids].sort());

    // Production-shaped: assume OrganizationAccountAccessRole into the member account.
    const member = management.forAccount(ids[0] as string);
    const who = await member.sts().send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(ids[0]);
    await member.sqs().send(new CreateQueueCommand({ QueueName: 'orgbridge-smoke' }));
    const url = await member.sqs().send(new GetQueueUrlCommand({ QueueName: 'orgbridge-smoke' }));
    expect(url.QueueUrl).toContain(ids[0]);

    // The queue lives in the member account only.
    const managementQueues = await management.sqs().send(new ListQueuesCommand({}));
    expect(managementQueues.QueueUrls ?? []).not.toContain(url.QueueUrl);
    // The same AwsClients (one credential cache) is handed out for the same account.
    expect(management.forAccount(ids[0] as string)).toBe(member);
    expect(management.counter.total).toBeGreaterThan(5);
  });
});
