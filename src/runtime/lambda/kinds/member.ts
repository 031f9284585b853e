import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The member account's handlers: only what every account handles. */
export const handlers: KindRegistry<'member'> = { ...everyKindHandlers };
