import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currentCompletions,
  type DagStep,
  DocumentCompletionStore,
  fileCompletionStore,
  MemoryCompletionStore,
  runDag,
  validateDag,
} from '../../../src/pipeline/engine/dag.js';
import { runs } from '../../support/property.js';

const step = (id: string, deps: string[] = [], run: () => Promise<unknown> = async () => id): DagStep => ({
  id,
  deps,
  run,
});

describe('runDag', () => {
  it('runs dependencies before dependents and returns outcomes in the given order', async () => {
    const order: string[] = [];
    const track = (id: string) => async () => {
      order.push(id);
      return id;
    };
    const result = await runDag([
      step('c', ['b'], track('c')),
      step('b', ['a'], track('b')),
      step('a', [], track('a')),
    ]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(result.outcomes.map((o) => o.id)).toEqual(['c', 'b', 'a']);
    expect(result.outcomes[0]?.result).toBe('c');
    expect(result.ok).toBe(true);
  });

  it('keeps a pool to its limit while the other steps use the remaining slots', async () => {
    // Six steps queue behind one slow, serial handler (the DNS account), four are independent.
    let inPool = 0;
    let most = 0;
    const started: string[] = [];
    const gate: (() => void)[] = [];
    const pooled = (id: string): DagStep => ({
      id,
      pool: 'dns',
      run: async () => {
        started.push(id);
        inPool++;
        most = Math.max(most, inPool);
        await new Promise<void>((release) => gate.push(release));
        inPool--;
        return id;
      },
    });
    const free = (id: string): DagStep => ({
      id,
      run: async () => {
        started.push(id);
        return id;
      },
    });
    const steps = [...['d1', 'd2', 'd3', 'd4', 'd5', 'd6'].map(pooled), ...['a', 'b', 'c', 'e'].map(free)];
    const running = runDag(steps, { concurrency: 4, poolLimits: { dns: 2 } });
    // Release the pooled steps one by one, once the others had their chance.
    const release = async () => {
      while (started.length < steps.length || gate.length) {
        await new Promise((r) => setTimeout(r, 1));
        gate.shift()?.();
      }
    };
    const [result] = await Promise.all([running, release()]);
    expect(result.ok).toBe(true);
    expect(most).toBe(2);
    // Every unpooled step started before the third pooled one: the pool never held their slots.
    expect(started.indexOf('d3')).toBeGreaterThan(
      Math.max(...['a', 'b', 'c', 'e'].map((x) => started.indexOf(x))),
    );
    // Without the limit the pooled steps take all four slots first.
    started.length = 0;
    most = 0;
    const unlimited = runDag(steps, { concurrency: 4 });
    const [again] = await Promise.all([unlimited, release()]);
    expect(again.ok).toBe(true);
    expect(most).toBe(4);
  });

  it('blocks only the dependents of a failed step; independent branches finish', async () => {
    const result = await runDag([
      step('wait-a'),
      step('fwd-a', ['wait-a'], async () => {
        throw Object.assign(new Error('boom'), { code: 'INJECTED' });
      }),
      step('ssm-a', ['fwd-a']),
      step('vpc-a', ['ssm-a']),
      step('wait-b'),
      step('ssm-b', ['wait-b']),
    ]);
    const status = Object.fromEntries(result.outcomes.map((o) => [o.id, o.status]));
    expect(status).toEqual({
      'wait-a': 'done',
      'fwd-a': 'failed',
      'ssm-a': 'blocked',
      'vpc-a': 'blocked',
      'wait-b': 'done',
      'ssm-b': 'done',
    });
    expect(result.outcomes[1]?.error).toEqual({ code: 'PIPELINE_STEP_FAILED', message: 'INJECTED: boom' });
    expect(result.counts).toEqual({ done: 3, skipped: 0, failed: 1, blocked: 2 });
    expect(result.ok).toBe(false);
  });

  it('never runs more than `concurrency` steps at once', async () => {
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
    };
    await runDag(
      Array.from({ length: 30 }, (_, i) => step(`s${i}`, [], slow)),
      { concurrency: 4 },
    );
    expect(peak).toBe(4);
  });

  it('skips steps the store records as done and records the others', async () => {
    const store = new MemoryCompletionStore();
    store.ids.add('a');
    const ran: string[] = [];
    const track = (id: string) => async () => void ran.push(id);
    const result = await runDag([step('a', [], track('a')), step('b', ['a'], track('b'))], { store });
    expect(ran).toEqual(['b']);
    expect(result.outcomes.map((o) => o.status)).toEqual(['skipped', 'done']);
    expect([...store.ids].sort()).toEqual(['a', 'b']);
    const again = await runDag([step('a', [], track('a')), step('b', ['a'], track('b'))], { store });
    expect(again.counts.skipped).toBe(2);
    expect(ran).toEqual(['b']);
  });

  it('does not record a failed step, so a re-run retries it', async () => {
    const store = new MemoryCompletionStore();
    let fail = true;
    const flaky = async () => {
      if (fail) throw new Error('once');
    };
    await runDag([step('x', [], flaky), step('y', ['x'])], { store });
    expect([...store.ids]).toEqual([]);
    fail = false;
    const second = await runDag([step('x', [], flaky), step('y', ['x'])], { store });
    expect(second.counts.done).toBe(2);
  });

  it('rejects duplicate ids, unknown dependencies and cycles before running anything', () => {
    expect(() => validateDag([step('a'), step('a')])).toThrow(
      expect.objectContaining({ code: 'DAG_DUPLICATE_STEP' }),
    );
    expect(() => validateDag([step('a', ['zz'])])).toThrow(
      expect.objectContaining({ code: 'DAG_UNKNOWN_DEPENDENCY' }),
    );
    expect(() => validateDag([step('a', ['c']), step('b', ['a']), step('c', ['b'])])).toThrow(
      expect.objectContaining({ code: 'DAG_CYCLE', message: expect.stringContaining('a -> c -> b -> a') }),
    );
  });

  it('resolves an empty graph', async () => {
    expect((await runDag([])).ok).toBe(true);
  });

  it('property: in any random DAG with random failures, a step is done iff all its ancestors are', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 3 }), fc.boolean()), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.integer({ min: 1, max: 5 }),
        async (spec, concurrency) => {
          // Deps only point to earlier steps: always acyclic.
          const steps = spec.map(([deps, fails], i) =>
            step(`s${i}`, i === 0 ? [] : [...new Set(deps.map((d) => `s${d % i}`))], async () => {
              if (fails) throw new Error('x');
            }),
          );
          const result = await runDag(steps, { concurrency });
          const status = new Map(result.outcomes.map((o) => [o.id, o.status]));
          for (const [i, [, fails]] of spec.entries()) {
            const deps = steps[i]?.deps ?? [];
            const depsOk = deps.every((d) => status.get(d) === 'done');
            const s = status.get(`s${i}`);
            if (!depsOk) expect(s).toBe('blocked');
            else expect(s).toBe(fails ? 'failed' : 'done');
          }
        },
      ),
      { numRuns: runs(100) },
    );
  });
});

describe('slots: what a step keeps current', () => {
  const slotted = (id: string, slot: string, ran: string[]): DagStep => ({
    id,
    slot,
    run: async () => {
      ran.push(id);
    },
  });

  it('a reverted change runs again: the earlier fingerprint is not what was deployed last', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dag-')), 'state.json');
    const ran: string[] = [];
    const run = (fp: string) =>
      runDag([slotted(`baseline:111:${fp}`, 'baseline:111', ran)], { store: fileCompletionStore(path) });
    await run('aaaa'); // the first deploy
    await run('bbbb'); // a grant added
    await run('aaaa'); // the grant reverted: must deploy again
    await run('aaaa'); // and now it is done
    expect(ran).toEqual(['baseline:111:aaaa', 'baseline:111:bbbb', 'baseline:111:aaaa']);
    // One completion per slot is kept.
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).completed)).toEqual(['baseline:111:aaaa']);
  });

  it('a state with several completions under one slot (written before slots) runs the step once more', () => {
    const steps = [
      { id: 'baseline:111:bbbb', slot: 'baseline:111' },
      { id: 'vpc:111:cccc', slot: 'vpc:111' },
      { id: 'upload-template:x', slot: undefined },
    ];
    const recorded = new Set(['baseline:111:aaaa', 'baseline:111:bbbb', 'vpc:111:cccc', 'upload-template:x']);
    expect([...currentCompletions(recorded, steps)].sort()).toEqual(['upload-template:x', 'vpc:111:cccc']);
    // A slot is a whole prefix: baseline:1111 is not under baseline:111.
    expect([...currentCompletions(new Set(['baseline:111:bbbb', 'baseline:1111:zzzz']), steps)]).toEqual([
      'baseline:111:bbbb',
    ]);
  });

  it('the memory store forgets the other completions of a slot too', async () => {
    const store = new MemoryCompletionStore();
    await store.record('vpc:1:a', 'vpc:1');
    await store.record('vpc:2:a', 'vpc:2');
    await store.record('vpc:1:b', 'vpc:1');
    expect([...(await store.load())].sort()).toEqual(['vpc:1:b', 'vpc:2:a']);
  });
});

describe('completion stores', () => {
  it('the file store persists across instances and survives a missing file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dag-')), '.orgbridge', 'state.json');
    const a = fileCompletionStore(path);
    expect([...(await a.load())]).toEqual([]);
    await Promise.all([a.record('one'), a.record('two')]);
    const b = fileCompletionStore(path);
    expect([...(await b.load())].sort()).toEqual(['one', 'two']);
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(1);
  });

  it('reports a damaged state file with a code and a fix', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dag-')), 'state.json');
    writeFileSync(path, '{"version": 1, "compl');
    await expect(fileCompletionStore(path).load()).rejects.toMatchObject({
      code: 'PIPELINE_STATE_CORRUPT',
      hint: expect.stringContaining('delete it'),
    });
  });

  it('coalesces concurrent completions into few writes, each record resolving after its write', async () => {
    const writes: string[] = [];
    let release: () => void = () => {};
    const store = new DocumentCompletionStore('mem', {
      read: async () => undefined,
      write: async (text) => {
        writes.push(text);
        await new Promise<void>((r) => {
          release = r;
        });
      },
    });
    await store.load();
    const first = store.record('a');
    const rest = Array.from({ length: 50 }, (_, i) => store.record(`b${i}`));
    release();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    release();
    await Promise.all(rest);
    expect(writes).toHaveLength(2);
    expect(Object.keys(JSON.parse(writes[1] as string).completed)).toHaveLength(51);
  });

  it('rejects the records of a failed write', async () => {
    const store = new DocumentCompletionStore('mem', {
      read: async () => undefined,
      write: async () => {
        throw new Error('disk full');
      },
    });
    await store.load();
    await expect(store.record('a')).rejects.toThrow('disk full');
  });
});
