import { lambdaHandler } from './entry.js';

/**
 * Lambda entry of the dns account's handler (bundled by src/templates/bundles.ts). Its handlers
 * are loaded on the first invocation, not by the import (see ./registries.ts). Members of the
 * organization may ask it for records, so it tells them from outsiders by their registration
 * (registeredMembers in src/handlers/dns/zones.ts).
 */
export const handler = lambdaHandler('dns', async () => (await import('./kinds/dns.js')).handlers, {
  members: async (clients) => {
    const [{ registeredMembers }, { ssmParameterPort }] = await Promise.all([
      import('../../handlers/dns/zones.js'),
      import('../../handlers/dns/ports.js'),
    ]);
    return registeredMembers(ssmParameterPort(clients.ssm()));
  },
});
