/**
 * The sections of `orgbridge plan`, in the order they are planned and printed (docs/plan.md). A
 * module of its own: the CLI checks `--only` against it at start without loading the planners
 * (src/pipeline/organization-plan.ts).
 */
export const PLAN_SECTION_KINDS = [
  'accounts',
  'policies',
  'ecr',
  'stacks',
  'iam-settings',
  'provisioning',
  'customizations',
] as const;
export type PlanSectionKind = (typeof PLAN_SECTION_KINDS)[number];
