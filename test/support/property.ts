/**
 * How many cases a property or fuzz test runs. `npm test` runs each with the count its file
 * names; `npm run test:fuzz` multiplies every count by ORGBRIDGE_FUZZ_SCALE (100 there), so the
 * same properties search much further when someone has the time.
 *
 * fast-check reports `{ seed, path }` with every failure. To replay one, run the file with
 * ORGBRIDGE_FUZZ_SEED=<seed> (and ORGBRIDGE_FUZZ_PATH=<path> for the shrunk case):
 * test/support/fast-check.setup.ts hands both to fast-check for every property of the run.
 */
export function runs(count: number): number {
  const scale = Number(process.env.ORGBRIDGE_FUZZ_SCALE ?? '1');
  if (!Number.isFinite(scale) || scale < 1) {
    throw new Error(`ORGBRIDGE_FUZZ_SCALE must be a number >= 1, got '${process.env.ORGBRIDGE_FUZZ_SCALE}'`);
  }
  return Math.round(count * scale);
}

/** A test's timeout, scaled like {@link runs} so a longer search is not cut short. */
export function timeout(ms: number): number {
  return runs(ms);
}

/** The seed to replay (ORGBRIDGE_FUZZ_SEED), else undefined: fast-check then draws one per property. */
export function replaySeed(): number | undefined {
  const seed = process.env.ORGBRIDGE_FUZZ_SEED;
  if (seed === undefined || seed === '') return undefined;
  const value = Number(seed);
  if (!Number.isInteger(value)) throw new Error(`ORGBRIDGE_FUZZ_SEED must be an integer, got '${seed}'`);
  return value;
}
