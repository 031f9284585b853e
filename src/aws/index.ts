export { AwsClients, type Client, sdkClientOf } from './clients.js';
export {
  type AwsContext,
  awsContextFromEnv,
  emulatorContext,
} from './context.js';
export {
  /** @public the moto check, for commands that diagnose the local setup */
  checkMotoInstalled,
  /** @public */
  MOTO_INSTALL_HINT,
  type MotoServer,
  startMoto,
} from './emulator.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
