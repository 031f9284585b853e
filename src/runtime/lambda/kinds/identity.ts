import { updateIamMappingHandler } from '../../../handlers/provisioning/registrations.js';
import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The identity account's handlers. */
export const handlers: KindRegistry<'identity'> = {
  ...everyKindHandlers,
  UPDATE_IAM_MAPPING: updateIamMappingHandler,
};
