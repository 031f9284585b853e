import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import { AwsClients, sdkClientOf } from '../../../src/aws/clients.js';
import { emulatorContext } from '../../../src/aws/context.js';

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
});
