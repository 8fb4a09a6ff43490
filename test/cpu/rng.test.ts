// The generator and the data order restore exactly from their saved state, for every seed: what exact
// resume from a checkpoint rests on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDataOrder, restoreDataOrder } from '../../src/train/data-order.ts';
import { createRng, rngFromState } from '../../src/train/rng.ts';

test('rng state is four u32 words and continues the same sequence, for many seeds', () => {
  for (let seed = 0; seed < 200; seed++) {
    const rng = createRng(seed);
    for (let i = 0; i < 37; i++) rng.next();
    const state = rng.state();
    assert.ok(state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32), `seed ${seed}: state ${state} is four u32 words`);
    const copy = rngFromState(state);
    for (let i = 0; i < 20; i++) assert.equal(copy.next(), rng.next(), `seed ${seed}: value ${i} after restore`);
  }
});

test('the data order restored mid-epoch hands out the same batches, across epoch boundaries', () => {
  for (const [count, batch] of [[10, 3], [7, 7], [5, 8]]) {
    const order = createDataOrder(count, createRng(count * 31 + batch));
    const a = new Uint32Array(batch);
    for (let i = 0; i < 4; i++) order.fill(a);
    const restored = restoreDataOrder(count, order.state());
    const b = new Uint32Array(batch);
    for (let i = 0; i < 6; i++) {
      order.fill(a);
      restored.fill(b);
      assert.deepEqual(b, a, `count ${count} batch ${batch}: batch ${i} after restore`);
    }
    const seen = new Set<number>();
    const fresh = createDataOrder(count, createRng(1));
    const one = new Uint32Array(1);
    for (let i = 0; i < count; i++) {
      fresh.fill(one);
      seen.add(one[0]);
    }
    assert.equal(seen.size, count, 'an epoch visits every image once');
  }
});
