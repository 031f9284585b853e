import { lambdaHandler } from './entry.js';
import { lambdaRegistry } from './registries.js';

/** Lambda entry of the identity account's handler (bundled by src/templates/bundles.ts). */
export const handler = lambdaHandler('identity', () => lambdaRegistry('identity'));
