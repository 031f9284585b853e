import type { CustomizationDriftPort, CustomizationStackState } from './ports.js';

/**
 * Drift detection on the customization stacks of one region, for DEPLOY_CUSTOMIZATION `list`
 * with `detect_drift` (docs/customizations.md, "Drift"). DetectStackDrift runs asynchronously: a
 * detection is started on every stack whose last one is older than the maximum age, all are
 * polled together within the handler's budget, and a DRIFTED stack reports its modified and
 * deleted resources (DescribeStackResourceDrifts). Nothing here fails the listing: a detection
 * that cannot start, fails or outlasts the budget is a `drift_note` on its stack, which keeps
 * the status of the last detection.
 */

/**
 * The stack statuses drift detection accepts
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html).
 */
const DETECTABLE = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
]);
/** Drifted resources reported per stack (the catalog's limit). */
const MAX_DRIFTED_RESOURCES = 50;
/** The longest a listing waits for its detections (AWS: "can take up to several minutes"). */
const MAX_DETECTION_WAIT_MS = 120_000;

export interface DriftOptions {
  readonly maxAgeMinutes: number;
  /** The handler's remaining budget for waiting. */
  readonly maxWaitMs: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export type StackWithDrift = CustomizationStackState & {
  readonly drifted_resources?: string[];
  readonly drift_note?: string;
};

const textOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const message = (e: unknown) => textOf(e).slice(0, 380);

/** The drift role comes with the handler stack: an account bootstrapped before it has none yet. */
const assumeHint = (e: unknown) =>
  /assum/i.test(textOf(e)) ? ' (run the bootstrap again: it creates the drift role in every account)' : '';

function isFresh(stack: CustomizationStackState, maxAgeMinutes: number, now: number): boolean {
  if (!stack.drift_checked_at || maxAgeMinutes === 0) return false;
  return now - Date.parse(stack.drift_checked_at) < maxAgeMinutes * 60_000;
}

/** The stacks of one region, each with its drift brought up to date where it can be. */
export async function withDrift(
  drift: CustomizationDriftPort | undefined,
  stacks: readonly CustomizationStackState[],
  options: DriftOptions,
): Promise<StackWithDrift[]> {
  const now = options.now ?? Date.now;
  if (!drift) return stacks.map((s) => ({ ...s, drift_note: 'drift detection is not available here' }));
  const started = now();
  const pending = new Map<string, string>(); // stack name -> detection id
  const result = new Map<string, StackWithDrift>(stacks.map((s) => [s.stack_name, s]));
  const note = (name: string, text: string) => {
    const s = result.get(name) as StackWithDrift;
    result.set(name, { ...s, drift_note: text.slice(0, 512) });
  };
  await Promise.all(
    stacks.map(async (s) => {
      if (!DETECTABLE.has(s.status) || isFresh(s, options.maxAgeMinutes, started)) return;
      try {
        pending.set(s.stack_name, await drift.detect(s.stack_name));
      } catch (e) {
        note(s.stack_name, `drift detection could not start: ${message(e)}${assumeHint(e)}`);
      }
    }),
  );
  const deadline = started + Math.min(options.maxWaitMs, MAX_DETECTION_WAIT_MS);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async ([name, id]) => {
        try {
          const state = await drift.detection(id);
          if (state.status === 'DETECTION_IN_PROGRESS') return;
          pending.delete(name);
          const s = result.get(name) as StackWithDrift;
          result.set(name, {
            ...s,
            drift_checked_at: new Date(now()).toISOString(),
            ...(state.drift_status ? { drift_status: state.drift_status } : {}),
          });
          // DETECTION_FAILED: some resources could not be checked (often a missing read permission).
          if (state.status === 'DETECTION_FAILED')
            note(name, `drift detection failed: ${state.reason ?? 'no reason given'}`);
        } catch (e) {
          pending.delete(name);
          note(name, `drift detection could not be read: ${message(e)}`);
        }
      }),
    );
    if (pending.size === 0) break;
    if (now() >= deadline) {
      for (const name of pending.keys())
        note(name, 'drift detection still running; the next plan reads its result');
      break;
    }
    await sleep(options.pollMs ?? 2_000);
  }
  return Promise.all(
    [...result.values()].map(async (s) => {
      if (s.drift_status !== 'DRIFTED') return s;
      try {
        return { ...s, drifted_resources: await drift.driftedResources(s.stack_name, MAX_DRIFTED_RESOURCES) };
      } catch (e) {
        return { ...s, drift_note: `drifted resources could not be read: ${message(e)}` };
      }
    }),
  );
}
