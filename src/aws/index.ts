export { AwsCallCounter, AwsClients } from './clients.js';
export {
  type AwsContext,
  awsContextFromEnv,
  EMULATOR_CREDENTIALS,
  EMULATOR_RETRY_POLICY,
  emulatorContext,
} from './context.js';
export { checkMotoInstalled, MOTO_INSTALL_HINT, type MotoServer, startMoto } from './emulator.js';
export { DEFAULT_RETRY_POLICY, OrgbridgeRetryStrategy, type RetryPolicy } from './retry.js';
