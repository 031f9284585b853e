import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ErrorCode } from '../../error-codes.js';
import { isErrorCode } from '../../error-codes.js';
import { isOrgbridgeError, OrgbridgeError } from '../../errors.js';

/**
 * A small DAG runner for pipeline steps: each step names the steps it needs, at most
 * `concurrency` steps run at once, a failed step blocks only the steps that depend on it
 * (independent branches finish), and every completion is recorded in a state store so a re-run
 * skips what is done. Step ids carry a fingerprint of their inputs (see provision.ts), so
 * "already done" means "done with these very inputs": a changed account gets new step ids.
 */

export interface DagStep<R = unknown> {
  /** Unique and stable across runs: what the state store records. */
  readonly id: string;
  /** A short text for people (progress lines); defaults to the id. */
  readonly label?: string;
  readonly deps?: readonly string[];
  /**
   * Steps of one pool share `RunDagOptions.poolLimits[pool]` slots (within `concurrency`): steps
   * that queue behind one rate-limited handler would otherwise fill every slot and wait there
   * while the other accounts' steps could run.
   */
  readonly pool?: string;
  /**
   * What the step keeps current, when its id is this slot followed by `:` and a fingerprint of
   * what it deploys (`baseline:<account id>` for `baseline:<account id>:<template hash>`). A
   * completion counts only while it is the one recorded under its slot, and recording one forgets
   * the others: reverting a change brings back an earlier fingerprint, which must run again,
   * because what was deployed since is another one (currentCompletions).
   */
  readonly slot?: string;
  run(): Promise<R>;
}

export type StepStatus = 'done' | 'skipped' | 'failed' | 'blocked';

export interface StepOutcome {
  readonly id: string;
  readonly label: string;
  readonly status: StepStatus;
  /** What `run` returned (done steps only). */
  readonly result?: unknown;
  /** Failed: the error; blocked: which dependency failed or was blocked. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  readonly ms: number;
}

export interface DagResult {
  /** In the order the steps were given. */
  readonly outcomes: readonly StepOutcome[];
  readonly counts: Readonly<Record<StepStatus, number>>;
  readonly ok: boolean;
}

export type DagEvent =
  | { readonly type: 'start'; readonly id: string; readonly label: string }
  | {
      readonly type: 'finish';
      readonly outcome: StepOutcome;
      readonly finished: number;
      readonly total: number;
    };

/** Where completions are recorded. `record` resolves once the completion is durable. */
export interface CompletionStore {
  load(): Promise<ReadonlySet<string>>;
  /** With `slot`, the completions recorded under it (`<slot>:...`) other than `id` are forgotten. */
  record(id: string, slot?: string): Promise<void>;
  /** Where it lives, for messages ("s3://...", "/repo/.orgbridge/..."). */
  readonly location: string;
}

export interface RunDagOptions {
  readonly concurrency?: number;
  /** Most steps of each pool in flight at once (DagStep.pool); unlisted pools are unlimited. */
  readonly poolLimits?: Readonly<Record<string, number>>;
  readonly store?: CompletionStore;
  readonly onEvent?: (event: DagEvent) => void;
  /** Reads the clock for step durations (injectable for deterministic tests). */
  readonly now?: () => number;
}

/** Rejects unknown dependencies, duplicate ids and cycles before anything runs. */
export function validateDag(steps: readonly DagStep[]): void {
  const ids = new Set<string>();
  for (const step of steps) {
    if (ids.has(step.id)) {
      throw new OrgbridgeError('DAG_DUPLICATE_STEP', `pipeline step '${step.id}' is defined twice`, {
        source: 'internal',
      });
    }
    ids.add(step.id);
  }
  for (const step of steps) {
    for (const dep of step.deps ?? []) {
      if (!ids.has(dep)) {
        throw new OrgbridgeError(
          'DAG_UNKNOWN_DEPENDENCY',
          `step '${step.id}' depends on unknown step '${dep}'`,
          {
            source: 'internal',
          },
        );
      }
    }
  }
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new OrgbridgeError('DAG_CYCLE', `pipeline steps form a cycle: ${[...path, id].join(' -> ')}`, {
        source: 'internal',
      });
    }
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.deps ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
  };
  for (const step of steps) visit(step.id, []);
}

function errorOf(e: unknown): { code: ErrorCode; message: string } {
  if (isOrgbridgeError(e)) return { code: e.code, message: e.message };
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (isErrorCode(code)) return { code, message };
  // A code orgbridge does not register (Node's ECONNRESET, an SDK error name) stays in the text.
  return {
    code: 'PIPELINE_STEP_FAILED',
    message: typeof code === 'string' ? `${code}: ${message}` : message,
  };
}

/** How many completions are recorded under each slot of `steps` (slots without one are absent). */
export function completionsBySlot(
  recorded: ReadonlySet<string>,
  steps: readonly Pick<DagStep, 'slot'>[],
): ReadonlyMap<string, number> {
  const slots = new Set(steps.flatMap((s) => (s.slot ? [s.slot] : [])));
  const counts = new Map<string, number>();
  for (const id of recorded) {
    // A slot is the part of an id before one of its ':'; try each.
    for (let i = id.indexOf(':'); i >= 0; i = id.indexOf(':', i + 1)) {
      const slot = id.slice(0, i);
      if (slots.has(slot)) counts.set(slot, (counts.get(slot) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The steps that are done, from what a store recorded: a step without a slot when its id is
 * recorded; a step with one when its id is the only completion recorded under its slot. Several
 * under one slot (a state written before slots were recorded, where each change of a template
 * added an id) cannot say which was deployed last: the step runs again, once.
 */
export function currentCompletions(
  recorded: ReadonlySet<string>,
  steps: readonly Pick<DagStep, 'id' | 'slot'>[],
): ReadonlySet<string> {
  const underSlot = completionsBySlot(recorded, steps);
  return new Set(
    steps.filter((s) => recorded.has(s.id) && (!s.slot || underSlot.get(s.slot) === 1)).map((s) => s.id),
  );
}

export async function runDag(steps: readonly DagStep[], options: RunDagOptions = {}): Promise<DagResult> {
  validateDag(steps);
  const now = options.now ?? (() => performance.now());
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const completed = options.store ? currentCompletions(await options.store.load(), steps) : new Set<string>();
  const outcomes = new Map<string, StepOutcome>();
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const step of steps) {
    waiting.set(step.id, (step.deps ?? []).length);
    for (const dep of step.deps ?? []) dependents.set(dep, [...(dependents.get(dep) ?? []), step.id]);
  }
  const byId = new Map(steps.map((s) => [s.id, s]));
  // Ready steps: those of a limited pool wait in their pool's queue, the others in `ready`.
  const ready: string[] = [];
  const pools = new Map<string, { limit: number; running: number; queue: string[] }>();
  for (const [pool, limit] of Object.entries(options.poolLimits ?? {}))
    pools.set(pool, { limit: Math.max(1, limit), running: 0, queue: [] });
  const poolOf = (id: string) => {
    const pool = byId.get(id)?.pool;
    return pool === undefined ? undefined : pools.get(pool);
  };
  const enqueue = (id: string) => (poolOf(id)?.queue ?? ready).push(id);
  for (const s of steps) if ((s.deps ?? []).length === 0) enqueue(s.id);
  /** The next step to start: a pool with a free slot first, else the next unpooled step. */
  const next = (): string | undefined => {
    for (const pool of pools.values())
      if (pool.queue.length && pool.running < pool.limit) return pool.queue.shift();
    return ready.shift();
  };
  const waitingInPools = () => [...pools.values()].some((p) => p.queue.length > 0);
  const total = steps.length;
  let running = 0;

  return new Promise<DagResult>((resolve) => {
    const finish = (outcome: StepOutcome): void => {
      outcomes.set(outcome.id, outcome);
      options.onEvent?.({ type: 'finish', outcome, finished: outcomes.size, total });
      const good = outcome.status === 'done' || outcome.status === 'skipped';
      for (const next of dependents.get(outcome.id) ?? []) {
        if (outcomes.has(next)) continue;
        if (!good) {
          const step = byId.get(next) as DagStep;
          finish({
            id: next,
            label: step.label ?? next,
            status: 'blocked',
            error: {
              code: 'PIPELINE_STEP_BLOCKED',
              message: `needs '${outcome.label}', which ${outcome.status === 'failed' ? 'failed' : 'did not run'}`,
            },
            ms: 0,
          });
          continue;
        }
        const left = (waiting.get(next) ?? 0) - 1;
        waiting.set(next, left);
        if (left === 0) enqueue(next);
      }
    };
    const pump = (): void => {
      while (running < concurrency) {
        const id = next();
        if (id === undefined) break;
        if (outcomes.has(id)) continue;
        const step = byId.get(id) as DagStep;
        const label = step.label ?? id;
        if (completed.has(id)) {
          finish({ id, label, status: 'skipped', ms: 0 });
          continue;
        }
        running++;
        const pool = poolOf(id);
        if (pool) pool.running++;
        options.onEvent?.({ type: 'start', id, label });
        const started = now();
        void (async () => {
          let outcome: StepOutcome;
          try {
            const result = await step.run();
            await options.store?.record(id, step.slot);
            outcome = { id, label, status: 'done', result, ms: now() - started };
          } catch (e) {
            outcome = { id, label, status: 'failed', error: errorOf(e), ms: now() - started };
          }
          running--;
          if (pool) pool.running--;
          finish(outcome);
          pump();
        })();
      }
      if (running === 0 && ((ready.length === 0 && !waitingInPools()) || outcomes.size === total)) {
        const ordered = steps.map((s) => outcomes.get(s.id) as StepOutcome);
        const counts: Record<StepStatus, number> = { done: 0, skipped: 0, failed: 0, blocked: 0 };
        for (const o of ordered) counts[o.status]++;
        resolve({ outcomes: ordered, counts, ok: counts.failed === 0 && counts.blocked === 0 });
      }
    };
    pump();
  });
}

// State stores -------------------------------------------------------------------------------

/** Completions of one run only (dry runs, tests). */
export class MemoryCompletionStore implements CompletionStore {
  readonly location = 'memory';
  readonly ids = new Set<string>();
  async load(): Promise<ReadonlySet<string>> {
    return new Set(this.ids);
  }
  async record(id: string, slot?: string): Promise<void> {
    if (slot) for (const other of this.ids) if (other.startsWith(`${slot}:`)) this.ids.delete(other);
    this.ids.add(id);
  }
}

/** The persisted document, whatever holds it: one JSON object, ids -> completion time. */
export interface CompletionDocument {
  readonly version: 1;
  readonly completed: Record<string, string>;
}

function parseDocument(text: string | undefined, location: string): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  try {
    const doc = JSON.parse(text) as Partial<CompletionDocument>;
    if (doc.version !== 1 || typeof doc.completed !== 'object' || doc.completed === null)
      throw new Error('bad shape');
    return { ...doc.completed };
  } catch (e) {
    throw new OrgbridgeError(
      'PIPELINE_STATE_CORRUPT',
      `the pipeline state at ${location} is not valid JSON state`,
      {
        hint: 'delete it to re-run every step (steps are idempotent), or restore it from version history',
        cause: e,
      },
    );
  }
}

/**
 * A store over one text document read and written whole (a local file, an S3 object). Writes are
 * coalesced: completions that arrive while a write is in flight go out together in the next
 * write, so 500 parallel completions cost a handful of writes, and `record` resolves only once a
 * write containing its id has finished.
 */
export class DocumentCompletionStore implements CompletionStore {
  private completed: Record<string, string> = {};
  private writing: Promise<void> | undefined;
  private dirty = false;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    readonly location: string,
    private readonly io: { read(): Promise<string | undefined>; write(text: string): Promise<void> },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async load(): Promise<ReadonlySet<string>> {
    this.completed = parseDocument(await this.io.read(), this.location);
    return new Set(Object.keys(this.completed));
  }

  record(id: string, slot?: string): Promise<void> {
    if (slot)
      for (const other of Object.keys(this.completed))
        if (other.startsWith(`${slot}:`)) delete this.completed[other];
    this.completed[id] = this.clock().toISOString();
    this.dirty = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const waiters = this.waiters;
      this.waiters = [];
      const doc: CompletionDocument = { version: 1, completed: this.completed };
      try {
        await this.io.write(`${JSON.stringify(doc, null, 1)}\n`);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.writing = undefined;
  }
}

/** Local mode: `.orgbridge/pipeline-state.json` in the config repository (git-ignored). */
export function fileCompletionStore(path: string): CompletionStore {
  return new DocumentCompletionStore(path, {
    async read() {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async write(text) {
      mkdirSync(dirname(path), { recursive: true });
      // Write then rename: a crash mid-write never leaves half a JSON document.
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    },
  });
}
