import { afterAll, beforeAll } from 'vitest';

/**
 * Sets environment variables for the calling test file (the SDK's default credential chain and
 * the CLI read process.env) and restores the previous values after it.
 */
export function useProcessEnv(env: () => Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(env())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
