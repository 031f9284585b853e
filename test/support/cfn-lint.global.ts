import type { TestProject } from 'vitest/node';
import { CfnLintProcess, serveCfnLint } from './cfn-lint-service.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Loopback endpoint of the run's one cfn-lint process (see cfn-lint-service.ts). */
    cfnLintUrl: string;
  }
}

/**
 * Global setup (vitest.config.ts): every project of the run shares one endpoint and one lazily
 * started cfn-lint process, kept on globalThis because each project loads this module anew.
 */
const KEY = Symbol.for('orgbridge.cfnLintService');
type Shared = { url: Promise<string>; stop: () => Promise<void>; users: number };
const registry = globalThis as unknown as Record<symbol, Shared | undefined>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = registry[KEY];
  if (!shared) {
    const lint = new CfnLintProcess();
    const serving = serveCfnLint(lint);
    shared = {
      url: serving.then((s) => s.url),
      stop: async () => {
        lint.stop();
        const { server } = await serving;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
      users: 0,
    };
    registry[KEY] = shared;
  }
  shared.users++;
  project.provide('cfnLintUrl', await shared.url);
  return async () => {
    const current = registry[KEY];
    if (!current || --current.users > 0) return;
    registry[KEY] = undefined;
    await current.stop();
  };
}
