import fc from 'fast-check';
import { replaySeed } from './property.js';

// Every property of the run replays the given seed and path (see test/support/property.ts).
const seed = replaySeed();
if (seed !== undefined) {
  const path = process.env.ORGBRIDGE_FUZZ_PATH;
  fc.configureGlobal({ seed, ...(path ? { path } : {}) });
}
