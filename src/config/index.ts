/**
 * The account DSL: `accounts.yml`, `ecr.yml` and `policies/` in, a ResolvedConfig out.
 * See docs/dsl.md for the reference.
 */
export { didYouMean } from './did-you-mean.js';
export { analyzeConfigDirectory, loadConfig, readConfigFiles } from './load.js';
export type * from './model.js';
export { SPECIAL_ACCOUNT_KINDS } from './model.js';
export {
  ACCOUNTS_FILE,
  analyzeConfig,
  type ConfigAnalysis,
  ECR_FILE,
  type ParseOptions,
  parseConfig,
} from './parse.js';
export { BUILTIN_SETTINGS, DEFAULT_LIMITS, SEED_TAG_KEYS } from './resolve.js';
export { accountsJsonSchema } from './schema.js';
export type { SourceFile } from './source.js';
export { knownOrganizationUnits, RULES } from './validate.js';
