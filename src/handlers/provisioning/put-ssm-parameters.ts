import { ACCOUNT_PARAMETER_PATH, type SsmParameter } from '../../plan/provisioning.js';
import type { SsmPort } from './ports.js';

export interface HandlerResult {
  readonly changed: boolean;
  readonly summary: Record<string, string>;
}

/**
 * PUT_SSM_PARAMETERS (in the target account): the request is the complete desired set under
 * /orgbridge/account/, so the handler writes what differs and deletes what is no longer wanted
 * (a removed tag). Reading first makes a repeated request cost one read and no write.
 */
export async function putSsmParameters(
  ssm: SsmPort,
  parameters: readonly SsmParameter[],
): Promise<HandlerResult> {
  const current = new Map((await ssm.parametersByPath(ACCOUNT_PARAMETER_PATH)).map((p) => [p.name, p.value]));
  const wanted = new Set(parameters.map((p) => p.name));
  let written = 0;
  for (const p of parameters) {
    if (!p.name.startsWith(ACCOUNT_PARAMETER_PATH)) continue;
    if (current.get(p.name) === p.value) continue;
    await ssm.put(p.name, p.value);
    written++;
  }
  const stale = [...current.keys()].filter((name) => !wanted.has(name));
  if (stale.length) await ssm.delete(stale);
  return {
    changed: written > 0 || stale.length > 0,
    summary: {
      written: String(written),
      deleted: String(stale.length),
      unchanged: String(parameters.length - written),
    },
  };
}
