import * as z from 'zod';

/**
 * What the management account reports about the organization (the LIST_ACCOUNTS answer): plain
 * JSON, the planner's "observed" input. OU paths are `/`-separated names from the root, the root
 * itself being the empty path `''` (so `Internal/Dev` is the OU Dev under the OU Internal).
 */
export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE'] as const;

export const ObservedAccountSchema = z.object({
  id: z.string().regex(/^\d{12}$/),
  name: z.string(),
  email: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  /** OU path of the account's parent; `''` when it sits directly under the root. */
  ou: z.string(),
  tags: z.record(z.string(), z.string()),
  /** When the account joined the organization (ISO 8601). */
  joined: z.string(),
});
export type ObservedAccount = z.infer<typeof ObservedAccountSchema>;

export const ObservedOrganizationSchema = z.object({
  rootId: z.string(),
  managementAccountId: z.string(),
  /** OU path -> OU id, the root included as `''`. */
  ous: z.record(z.string(), z.string()),
  /** Sorted by account id. */
  accounts: z.array(ObservedAccountSchema),
});
export type ObservedOrganization = z.infer<typeof ObservedOrganizationSchema>;

/** Code-unit order: deterministic and locale independent (localeCompare is neither). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
