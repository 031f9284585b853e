import { lambdaHandler } from './entry.js';

/**
 * Lambda entry of the logs account's handler (bundled by src/templates/bundles.ts). Its handlers
 * are loaded on the first invocation, not by the import (see ./registries.ts).
 */
export const handler = lambdaHandler('logs', async () => (await import('./kinds/logs.js')).handlers);
