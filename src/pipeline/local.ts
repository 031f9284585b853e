import type { Output } from './output.js';

/** Placeholder until the local-organization capability lands (issue 9). */
export async function runLocal(io: Output, _options: Record<string, unknown>): Promise<number> {
  io.err('orgbridge local: not yet implemented');
  return 1;
}
