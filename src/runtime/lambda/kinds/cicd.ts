import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The cicd account's handlers: only what every account handles. */
export const handlers: KindRegistry<'cicd'> = { ...everyKindHandlers };
