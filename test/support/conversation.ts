import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import type { AwsClients } from '../../src/aws/index.js';
import type { RequestClient } from '../../src/bus/requests.js';
import { cicdRequestClient } from '../../src/pipeline/gateways/accounts-gateway.js';
import { computeTopology, type Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { lambdaRegistry, type RegistrySettings } from '../../src/runtime/lambda/registries.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization } from './moto.js';
import { HOME_REGION, BUS as PROVISIONING_BUS } from './provisioning.js';

/** The names of `accountsYaml`'s config, so a test can run actions from it against this setup. */
export const BUS = PROVISIONING_BUS;
export const SOURCE = 'app.infra';
export const HOME = HOME_REGION;

const SPECIAL = ['cicd', 'identity', 'dns', 'logs', 'audit'] as const;

export interface ConversationOptions {
  /** Member accounts to create besides the special ones (by name), e.g. a rogue sender. */
  readonly members?: readonly string[];
  /** How long the management handler queue hides a message in flight. */
  readonly visibilityTimeoutSeconds: number;
  /** The management Lambda's registry settings (`lambdaRegistry`). */
  readonly settings: RegistrySettings;
  /** The cicd request client's wait for an answer. */
  readonly timeoutMs: number;
  readonly onOutcome?: (outcome: RecordOutcome) => void;
}

export interface Conversation {
  readonly topology: Topology;
  readonly managementId: string;
  readonly rootId: string;
  /** Account name -> id, special accounts and `members`. */
  readonly ids: Readonly<Record<string, string>>;
  /** Clients acting in the cicd account. */
  readonly cicd: AwsClients;
  /** The pipeline's side: cicd credentials only, its forward buses and reply queue found itself. */
  readonly client: RequestClient;
  stop(): Promise<void>;
}

/**
 * An organization on the emulator talking cicd -> management as deployed: the special accounts
 * (and `members`), the messaging of the accounts the conversation touches (management, cicd,
 * and audit, which both copy to), the management Lambda's own registry polling its handler
 * queue, and the cicd request client.
 */
export async function startConversation(
  management: AwsClients,
  options: ConversationOptions,
): Promise<Conversation> {
  const { managementId, rootId, organizationId } = await createOrganization(management);
  const ids: Record<string, string> = {};
  for (const name of [...SPECIAL, ...(options.members ?? [])]) {
    const out = await management
      .organizations()
      .send(new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }));
    ids[name] = out.CreateAccountStatus?.AccountId as string;
  }
  const topology = computeTopology({
    accounts: [
      { id: managementId, kind: 'management' },
      ...SPECIAL.map((kind) => ({ id: ids[kind] as string, kind })),
      ...(options.members ?? []).map((name) => ({ id: ids[name] as string, kind: 'member' as const })),
    ],
    busName: BUS,
    source: SOURCE,
    region: HOME,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
  const clientsFor = (id: string): AwsClients =>
    id === managementId ? management : management.forAccount(id);
  const involved = new Set([managementId, topology.cicdAccountId, topology.auditAccountId]);
  await provisionTopology(
    { ...topology, accounts: topology.accounts.filter((a) => involved.has(a.accountId)) },
    clientsFor,
    { organizationId },
  );
  const pollers: LocalPollers = startLocalPollers({
    topology,
    clientsFor,
    accounts: [managementId],
    handlersFor: (kind) => lambdaRegistry(kind, options.settings),
    waitSeconds: 1,
    retryDelaySeconds: 0,
    onOutcome: (_account, outcome) => options.onOutcome?.(outcome),
  });
  const cicd = management.forAccount(topology.cicdAccountId);
  let client: RequestClient;
  try {
    client = await cicdRequestClient(cicd, {
      busName: BUS,
      source: SOURCE,
      waitSeconds: 1,
      timeoutMs: options.timeoutMs,
    });
  } catch (e) {
    await pollers.stop();
    throw e;
  }
  return {
    topology,
    managementId,
    rootId,
    ids,
    cicd,
    client,
    async stop() {
      await client.close();
      await pollers.stop();
    },
  };
}
