import { CreateOrganizationCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  AwsClients,
  type AwsContext,
  emulatorContext,
  type MotoServer,
  startMoto,
} from '../../src/aws/index.js';

export interface MotoFixture {
  readonly server: MotoServer;
  readonly context: AwsContext;
  /** Clients acting as the management account (moto's default account 123456789012). */
  readonly management: AwsClients;
}

/**
 * A fresh moto server for the calling test file (moto's reset does not clear the
 * organizations member map, so each suite gets its own process). When a test fails, the tail
 * of moto's log is printed: moto's 500s reach the SDK as opaque deserialization errors.
 */
export function useMoto(overrides: Partial<AwsContext> = {}): () => MotoFixture {
  let fixture: MotoFixture | undefined;
  beforeAll(async () => {
    const server = await startMoto();
    const context = emulatorContext(server.endpoint, overrides);
    fixture = { server, context, management: new AwsClients(context) };
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      if (fixture)
        console.error(`--- moto log tail (${fixture.server.logFile}) ---\n${fixture.server.tail(40)}`);
    });
  });
  afterAll(async () => {
    fixture?.management.destroy();
    await fixture?.server.stop();
  });
  return () => {
    if (!fixture)
      throw new Error('useMoto(): the moto server is not started (call it at file or describe level)');
    return fixture;
  };
}

/** Creates the organization (ALL features) in the management account; returns its ids. */
export async function createOrganization(
  management: AwsClients,
): Promise<{ rootId: string; managementId: string; organizationId: string }> {
  const org = management.organizations();
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const described = await org.send(new DescribeOrganizationCommand({}));
  const { ListRootsCommand } = await import('@aws-sdk/client-organizations');
  const roots = await org.send(new ListRootsCommand({}));
  const rootId = roots.Roots?.[0]?.Id;
  const managementId = described.Organization?.MasterAccountId;
  const organizationId = described.Organization?.Id;
  if (!rootId || !managementId || !organizationId) throw new Error('emulator returned no organization root');
  return { rootId, managementId, organizationId };
}
