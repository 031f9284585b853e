import * as z from 'zod';
import { ErrorCodeSchema } from '../error-codes.js';

/**
 * The account plan: plain, versioned JSON (`orgbridge plan --json`, documented in docs/plan.md).
 * Fields are only ever added within a version; a breaking change bumps `version`.
 */
export const PLAN_VERSION = 1;

const Tags = z.record(z.string(), z.string());
const AccountId = z.string().regex(/^\d{12}$/);

export const CreateOuActionSchema = z.object({
  action: z.literal('create-ou'),
  /** Full OU path, e.g. `Internal/Dev`. */
  path: z.string(),
  /** Path of the parent (`''` is the root); planned before its children. */
  parent: z.string(),
  name: z.string(),
  reason: z.string(),
});

export const AdoptAccountActionSchema = z.object({
  action: z.literal('adopt-account'),
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  matchedBy: z.enum(['id', 'email', 'name']),
  reason: z.string(),
});

export const CreateAccountActionSchema = z.object({
  action: z.literal('create-account'),
  key: z.string(),
  name: z.string(),
  email: z.string(),
  /** OU path the new account goes to (it may be created earlier in the same plan). */
  ou: z.string(),
  /** Every tag the account is created with: DSL tags plus orgbridge's markers. */
  tags: Tags,
  reason: z.string(),
});

export const MoveAccountActionSchema = z.object({
  action: z.literal('move-account'),
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  from: z.string(),
  to: z.string(),
  /** True when this undoes an out-of-band move listed under `drift`. */
  drift: z.boolean(),
  reason: z.string(),
});

export const TagAccountActionSchema = z.object({
  action: z.literal('tag-account'),
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  /** Tags to add or change (managed tags and markers). */
  set: Tags,
  /** Keys to remove: formerly managed tags the DSL no longer sets. */
  remove: z.array(z.string()),
  drift: z.boolean(),
  reason: z.string(),
});

export const RetireAccountActionSchema = z.object({
  action: z.literal('retire-account'),
  /** The key the account had in the DSL (from its `orgbridge:key` marker). */
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  from: z.string(),
  /** The morgue OU path. */
  to: z.string(),
  /** Tags written on retirement (`orgbridge:retired`). */
  set: Tags,
  reason: z.string(),
});

export const CloseAccountActionSchema = z.object({
  action: z.literal('close-account'),
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  reason: z.string(),
});

export const AccountActionSchema = z.discriminatedUnion('action', [
  CreateOuActionSchema,
  AdoptAccountActionSchema,
  CreateAccountActionSchema,
  MoveAccountActionSchema,
  TagAccountActionSchema,
  RetireAccountActionSchema,
  CloseAccountActionSchema,
]);
export type AccountAction = z.infer<typeof AccountActionSchema>;
export type AccountActionKind = AccountAction['action'];
export type CreateOuAction = z.infer<typeof CreateOuActionSchema>;
export type AdoptAccountAction = z.infer<typeof AdoptAccountActionSchema>;
export type CreateAccountAction = z.infer<typeof CreateAccountActionSchema>;
export type MoveAccountAction = z.infer<typeof MoveAccountActionSchema>;
export type TagAccountAction = z.infer<typeof TagAccountActionSchema>;
export type RetireAccountAction = z.infer<typeof RetireAccountActionSchema>;
export type CloseAccountAction = z.infer<typeof CloseAccountActionSchema>;

/** Order in which action kinds are applied (and listed). */
export const ACTION_ORDER: readonly AccountActionKind[] = [
  'create-ou',
  'adopt-account',
  'create-account',
  'move-account',
  'tag-account',
  'retire-account',
  'close-account',
];

export const DriftSchema = z.object({
  kind: z.enum(['moved', 'retagged']),
  key: z.string(),
  accountId: AccountId,
  name: z.string(),
  /** What orgbridge last wrote (OU path, or tag values). */
  expected: z.string(),
  /** What AWS reports now. */
  actual: z.string(),
  detail: z.string(),
});
export type Drift = z.infer<typeof DriftSchema>;

/** Something the plan will not do, with the reason and the fix. */
export const NoticeSchema = z.object({
  code: ErrorCodeSchema,
  key: z.string().optional(),
  accountId: AccountId.optional(),
  message: z.string(),
});
export type Notice = z.infer<typeof NoticeSchema>;

export const AccountPlanSchema = z.object({
  version: z.literal(PLAN_VERSION),
  /** The `now` the plan was computed for (closure quota and account age). */
  now: z.string(),
  summary: z.object({
    actions: z.record(z.string(), z.number().int()),
    drift: z.number().int(),
    blocked: z.number().int(),
    warnings: z.number().int(),
    unchanged: z.number().int(),
    unmanaged: z.number().int(),
  }),
  /** Out-of-band changes, listed before the actions that correct them. */
  drift: z.array(DriftSchema),
  actions: z.array(AccountActionSchema),
  /** DSL accounts the plan cannot reconcile: the run fails (exit 1) until the DSL is fixed. */
  blocked: z.array(NoticeSchema),
  /** Things deliberately left alone (protected, special, closure quota, ...). */
  warnings: z.array(NoticeSchema),
  /** Active accounts in the organization that the DSL does not describe and orgbridge never managed. */
  unmanaged: z.array(AccountId),
});
export type AccountPlan = z.infer<typeof AccountPlanSchema>;
