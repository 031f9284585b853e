import { lambdaHandler } from './entry.js';
import { lambdaRegistry } from './registries.js';

/** Lambda entry of the cicd account's handler (bundled by src/templates/bundles.ts). */
export const handler = lambdaHandler('cicd', () => lambdaRegistry('cicd'));
