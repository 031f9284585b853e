import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The audit account's handlers: only what every account handles. */
export const handlers: KindRegistry<'audit'> = { ...everyKindHandlers };
