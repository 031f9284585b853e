import { lambdaHandler } from './entry.js';

/**
 * Lambda entry of the cicd account's handler (bundled by src/templates/bundles.ts). Its handlers
 * are loaded on the first invocation, not by the import (see ./registries.ts).
 */
export const handler = lambdaHandler('cicd', async () => (await import('./kinds/cicd.js')).handlers);
