/**
 * The account DSL: `accounts.yml`, `ecr.yml` and `policies/` in, a ResolvedConfig out.
 * See docs/dsl.md for the reference.
 */

export { customizationJsonSchema } from './customizations.js';
export { didYouMean } from './did-you-mean.js';
export { analyzeConfigDirectory, loadConfig } from './load.js';
export type * from './model.js';
export {
  /** @public the file names of a config directory, for commands that write one */
  ACCOUNTS_FILE,
  analyzeConfig,
  /** @public */
  ECR_FILE,
} from './parse.js';
export { accountsJsonSchema } from './schema.js';
