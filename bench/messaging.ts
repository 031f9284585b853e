/**
 * Request/response on the emulator: round-trip latency of PING -> PONG (cicd -> member -> cicd
 * through the forward rule, the member's handler queue, the local poller and the reply queue)
 * and the throughput of concurrent requests, with the AWS calls they cost.
 * Run alone with `npx tsx bench/messaging.ts`.
 */
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { AwsClients, emulatorContext, startMoto } from '../src/aws/index.js';
import { queueUrlOf, sqsQueuePort } from '../src/bus/queue.js';
import { RequestClient } from '../src/bus/requests.js';
import { EventSender, putEventsPort } from '../src/bus/sender.js';
import type { AccountKind } from '../src/config/model.js';
import { pingHandler } from '../src/handlers/ping.js';
import { computeTopology } from '../src/protocol/topology.js';
import { startLocalPollers } from '../src/runtime/poller.js';
import { provisionTopology } from '../src/runtime/provision.js';
import { type BenchResult, percentile } from './types.js';

const SEQUENTIAL = 30;
const CONCURRENT = 100;

export async function benchMessaging(): Promise<BenchResult[]> {
  const server = await startMoto();
  const management = new AwsClients(emulatorContext(server.endpoint));
  try {
    const org = management.organizations();
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const described = (await org.send(new DescribeOrganizationCommand({}))).Organization;
    const managementId = described?.MasterAccountId as string;
    const accounts: { id: string; kind: AccountKind }[] = [{ id: managementId, kind: 'management' }];
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member', 'member'] as const) {
      const out = await org.send(
        new CreateAccountCommand({
          AccountName: `${kind}-${accounts.length}`,
          Email: `${kind}${accounts.length}@example.com`,
        }),
      );
      accounts.push({ id: out.CreateAccountStatus?.AccountId as string, kind });
    }
    const topology = computeTopology({
      accounts,
      busName: 'orgbridge',
      source: 'app.infra',
      region: 'us-east-1',
      visibilityTimeoutSeconds: 10,
    });
    const clientsFor = (id: string) => (id === managementId ? management : management.forAccount(id));
    await provisionTopology(topology, clientsFor, { organizationId: described?.Id as string });
    const pollers = startLocalPollers({
      topology,
      clientsFor,
      handlersFor: () => ({ PING: pingHandler }),
      waitSeconds: 1,
      concurrency: 8,
    });
    const cicd = clientsFor(topology.cicdAccountId);
    const client = new RequestClient({
      topology,
      sender: new EventSender(putEventsPort(cicd.eventBridge())),
      replies: sqsQueuePort(cicd.sqs(), await queueUrlOf(cicd.sqs(), 'orgbridge-replies')),
      waitSeconds: 1,
      timeoutMs: 30_000,
    });
    const members = accounts.filter((a) => a.kind === 'member').map((a) => a.id);
    try {
      await client.request('PING', members[0] as string, {}); // warm-up: credentials, connections
      const latencies: number[] = [];
      for (let i = 0; i < SEQUENTIAL; i++) {
        const started = performance.now();
        await client.request('PING', members[i % members.length] as string, {});
        latencies.push(performance.now() - started);
      }
      const callsBefore = management.counter.total;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          client.request('PING', members[i % members.length] as string, {}),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const calls = management.counter.total - callsBefore;
      return [
        { name: 'round trip p50 (PING -> PONG)', value: percentile(latencies, 50), unit: 'ms' },
        { name: 'round trip p95', value: percentile(latencies, 95), unit: 'ms' },
        { name: `throughput, ${CONCURRENT} concurrent requests`, value: CONCURRENT / seconds, unit: 'req/s' },
        { name: `AWS calls for ${CONCURRENT} concurrent requests (both sides)`, value: calls, unit: 'calls' },
        { name: 'AWS calls per request', value: calls / CONCURRENT, unit: 'calls' },
      ];
    } finally {
      await client.close();
      await pollers.stop();
    }
  } finally {
    management.destroy();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchMessaging()) console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}`);
}
