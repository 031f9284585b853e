import { updateLogBucketsHandler } from '../../../handlers/provisioning/registrations.js';
import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The logs account's handlers. */
export const handlers: KindRegistry<'logs'> = {
  ...everyKindHandlers,
  UPDATE_LOG_BUCKETS: updateLogBucketsHandler,
};
