import { ListRootsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import { AwsClients, sdkClientOf } from '../../../src/aws/clients.js';
import { emulatorContext } from '../../../src/aws/context.js';
import { silentServer } from '../../support/silent-server.js';

describe('AwsClients', () => {
  it("builds clients without the SDK's logger middleware and with orgbridge's call counter", async () => {
    const clients = new AwsClients(emulatorContext('http://127.0.0.1:9'));
    try {
      const built = await sdkClientOf<OrganizationsClient>(clients.organizations());
      const stack = built.middlewareStack.identify().join('\n');
      // Nothing to log to: the middleware would filter every input and output for nobody.
      expect(stack).not.toMatch(/loggerMiddleware/);
      expect(stack).toMatch(/orgbridgeCallCounter/);
      // The rest of the SDK's stack stays (signing, retries).
      expect(stack).toMatch(/retryMiddleware/);
    } finally {
      clients.destroy();
    }
  });

  it('destroy ends the calls in flight without retrying them, and refuses calls not yet sent', async () => {
    // Only closing the client can end a call to it.
    const silent = await silentServer();
    try {
      // Retried as against AWS (the emulator's policy retries nothing), with short waits.
      const retry = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5, retryServerErrors: true };
      const clients = new AwsClients(emulatorContext(silent.endpoint, { retry }));
      const organizations = clients.organizations();
      const inFlight = Array.from({ length: 3 }, () =>
        organizations.send(new ListRootsCommand({})).then(
          () => 'answered',
          (e: { $metadata?: { attempts?: number } }) => e.$metadata?.attempts,
        ),
      );
      while (silent.sockets.length < 3) await new Promise((r) => setTimeout(r, 10));
      clients.destroy();
      // Each failed on its first attempt, and a failed attempt of a closed client is not retried:
      // no new connection was made.
      expect(await Promise.all(inFlight)).toEqual([1, 1, 1]);
      expect(silent.sockets.length).toBe(3);
      // A call on the destroyed client (a read that had not reached the SDK yet) never goes out.
      await expect(organizations.send(new ListRootsCommand({}))).rejects.toThrow(/clients were closed/);
      expect(silent.sockets.length).toBe(3);
    } finally {
      silent.close();
    }
  });
});
