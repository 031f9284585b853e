import * as z from 'zod';
import { ErrorCodeSchema } from '../error-codes.js';

/**
 * `orgbridge plan` covers everything orgbridge manages, one section per kind: accounts and OUs,
 * organization policies, ECR repositories, orgbridge's own stacks (and later the user's
 * customization stacks). Each section is produced by its own planner and brought into this one
 * shape, so the text, Markdown and JSON renderers, the exit code and the report treat every kind
 * alike: a new kind is a new section builder, nothing else changes.
 *
 * The section keeps its planner's own document in `plan` (the account plan of docs/plan.md, the
 * policy plan, ...) for scripts that want every field; `changes`, `drift`, `blocked` and
 * `warnings` are the common view every renderer reads.
 */
export const ORGANIZATION_PLAN_VERSION = 2;

export const SECTION_STATUSES = ['in-sync', 'changes', 'blocked', 'skipped', 'failed'] as const;
export type SectionStatus = (typeof SECTION_STATUSES)[number];

export const SectionChangeSchema = z.object({
  /** The kind of change, e.g. `create account`, `update policy`: changes are grouped by it. */
  group: z.string(),
  /** One-character mark: `+` create, `~` change, `-` remove, `>` move/attach, `<` detach, ... */
  symbol: z.string(),
  /** What is changed, in one line. */
  target: z.string(),
  reason: z.string().optional(),
  /** A unified diff of the document this change writes (policies, repository policies). */
  diff: z.array(z.string()).optional(),
});
export type SectionChange = z.infer<typeof SectionChangeSchema>;

/** Something changed outside orgbridge, found while planning. */
export const SectionDriftSchema = z.object({
  target: z.string(),
  detail: z.string(),
  /** What orgbridge last wrote, when known. */
  expected: z.string().optional(),
  /** What AWS has now. */
  actual: z.string().optional(),
  diff: z.array(z.string()).optional(),
});

export const SectionNoticeSchema = z.object({ code: ErrorCodeSchema, message: z.string() });
export type SectionNotice = z.infer<typeof SectionNoticeSchema>;

export const PlanSectionSchema = z.object({
  /** `accounts`, `policies`, `ecr`, `stacks` (docs/plan.md lists them). */
  kind: z.string(),
  title: z.string(),
  status: z.enum(SECTION_STATUSES),
  /** One line: what the section would do. */
  summary: z.string(),
  changes: z.array(SectionChangeSchema),
  drift: z.array(SectionDriftSchema),
  /** What the planner refuses to do: the plan exits 1. */
  blocked: z.array(SectionNoticeSchema),
  warnings: z.array(SectionNoticeSchema),
  /** Context a reader needs (what was skipped and why, what is left alone). */
  notes: z.array(z.string()),
  /** The command that applies this section's changes. */
  apply: z.string().optional(),
  /** The section planner's own document (e.g. the account plan, version 1). */
  plan: z.unknown().optional(),
});
export type PlanSection = z.infer<typeof PlanSectionSchema>;

export const OrganizationPlanSchema = z.object({
  version: z.literal(ORGANIZATION_PLAN_VERSION),
  now: z.string(),
  summary: z.object({
    /** 0 nothing to do, 2 changes pending, 1 blocked or a section failed. */
    exitCode: z.number().int(),
    changes: z.number().int(),
    drift: z.number().int(),
    blocked: z.number().int(),
    /** Section kind -> its status. */
    sections: z.record(z.string(), z.enum(SECTION_STATUSES)),
  }),
  sections: z.array(PlanSectionSchema),
});
export type OrganizationPlan = z.infer<typeof OrganizationPlanSchema>;

/** Everything but kind, title and status, which `section` derives. */
export type SectionInput = Pick<PlanSection, 'kind' | 'title' | 'summary'> &
  Partial<Omit<PlanSection, 'kind' | 'title' | 'summary' | 'status'>> & {
    /** Skipped (with its reason in `notes`) instead of planned. */
    readonly skipped?: boolean;
    /** The section could not be planned: the message says why. */
    readonly failed?: string;
  };

/** A section with its status derived from its content. */
export function section(input: SectionInput): PlanSection {
  const { skipped, failed, ...rest } = input;
  const changes = rest.changes ?? [];
  const blocked = rest.blocked ?? [];
  const status: SectionStatus = failed
    ? 'failed'
    : blocked.length
      ? 'blocked'
      : skipped
        ? 'skipped'
        : changes.length
          ? 'changes'
          : 'in-sync';
  return {
    kind: rest.kind,
    title: rest.title,
    status,
    summary: rest.summary,
    changes,
    drift: rest.drift ?? [],
    blocked: failed ? [...blocked, { code: 'PLAN_SECTION_FAILED', message: failed }] : blocked,
    warnings: rest.warnings ?? [],
    notes: rest.notes ?? [],
    ...(rest.apply && changes.length ? { apply: rest.apply } : {}),
    ...(rest.plan !== undefined ? { plan: rest.plan } : {}),
  };
}

/** Exit code of a plan (house style): 1 blocked or failed, 2 changes pending, 0 nothing to do. */
export function organizationPlanExitCode(sections: readonly PlanSection[]): number {
  if (sections.some((s) => s.status === 'blocked' || s.status === 'failed')) return 1;
  return sections.some((s) => s.status === 'changes') ? 2 : 0;
}

export function organizationPlan(sections: readonly PlanSection[], now: Date): OrganizationPlan {
  return {
    version: ORGANIZATION_PLAN_VERSION,
    now: now.toISOString(),
    summary: {
      exitCode: organizationPlanExitCode(sections),
      changes: sections.reduce((n, s) => n + s.changes.length, 0),
      drift: sections.reduce((n, s) => n + s.drift.length, 0),
      blocked: sections.reduce((n, s) => n + s.blocked.length, 0),
      sections: Object.fromEntries(sections.map((s) => [s.kind, s.status])),
    },
    sections: [...sections],
  };
}
