import { lambdaHandler } from './entry.js';

/**
 * Lambda entry of the member account's handler (bundled by src/templates/bundles.ts). Its handlers
 * are loaded on the first invocation, not by the import (see ./registries.ts).
 */
export const handler = lambdaHandler('member', async () => (await import('./kinds/member.js')).handlers);
