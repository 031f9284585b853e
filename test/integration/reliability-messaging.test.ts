import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoubleDelivery } from '../chaos/scenarios/double-delivery.js';
import { createWorld, type World } from '../chaos/scenarios/world.js';
import { useMoto } from '../support/moto.js';

describe('reliability (fast): messaging', () => {
  const moto = useMoto();
  let world: World;
  beforeAll(async () => {
    world = await createWorld(moto());
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('every event delivered twice and out of order runs once, is answered twice, and has one effect', async () => {
    const result = await runDoubleDelivery(world, { requests: 12, seed: 1 });
    expect(result.problems).toEqual([]);
    expect(result.figures).toMatchObject({
      duplicatesDelivered: 12,
      handlerReruns: 0,
      accountsDuplicated: 0,
    });
  });
});
