// Same seed, same adapter, same data: bit-identical training. Trainers draw their initial weights and
// their data order from the seed (no explicit indices). Two with seed 7 must report the same losses, bit
// for bit, and end with the same parameters, also when one never reads stats (the pipelined path); seed 8
// must give other losses, and so must seed 8 started from seed 7's weights (the data order alone). Every
// scheduler (one dispatch per timestep, or per sequence) trains the same, bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/dataset.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { initParams } from '../../src/train/init.ts';
import { type Tensors, oneLayerNames } from '../../src/train/model.ts';
import { type Scheduler, schedulers } from '../../src/train/plan.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, oddBatch, oddModel, syntheticImages, withErrorScopes } from './harness.ts';

const steps = 6;

async function train(
  ctx: GpuContext, set: ImageSet, seed: number, stats: boolean, initial?: Tensors, scheduler?: Scheduler,
): Promise<{ losses: number[]; params: Tensors; dispatches: number }> {
  const tr = await createTrainer(ctx, { model: oddModel, batch: oddBatch, adam: { ...defaultAdam, lr: 0.01 }, seed, scheduler }, { train: set }, initial);
  try {
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const s = await tr.trainStep({ stats });
      if (s) losses.push(s.loss);
    }
    await tr.flush();
    return { losses, params: await tr.readParams(), dispatches: tr.dispatchesPerStep };
  } finally {
    tr.destroy();
  }
}

const sameBits = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

test('determinism: same seed, bit-identical losses and params; another seed, other losses', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  // 7 images, batch 3, 6 steps: the data order crosses two epoch boundaries (reshuffles).
  const set = syntheticImages(7, oddModel, 5);
  await withErrorScopes(ctx.device, async () => {
    const a = await train(ctx, set, 7, true);
    const b = await train(ctx, set, 7, true);
    const quiet = await train(ctx, set, 7, false);
    const other = await train(ctx, set, 8, true);
    const otherOrder = await train(ctx, set, 8, true, initParams(oddModel, 7));
    assert.equal(a.losses.length, steps, 'a loss every step');
    assert.equal(quiet.losses.length, 0, 'no stats, no losses');
    assert.deepEqual(b.losses, a.losses, 'same seed: the same losses, bit for bit');
    for (const name of oneLayerNames) {
      assert.ok(sameBits(b.params[name], a.params[name]), `same seed: ${name} bit-identical after ${steps} steps`);
      assert.ok(sameBits(quiet.params[name], a.params[name]), `same seed without stats: ${name} bit-identical after ${steps} steps`);
    }
    for (let i = 0; i < steps; i++) assert.notEqual(other.losses[i], a.losses[i], `seed 8's loss at step ${i + 1} differs from seed 7's`);
    assert.ok(otherOrder.losses.some((l, i) => l !== a.losses[i]), `seed 8 from seed 7's weights: the data order changes some loss (${otherOrder.losses.join(', ')})`);
    t.diagnostic(`seed 7 losses ${a.losses.map((l) => l.toFixed(6)).join(', ')}; seed 8 ${other.losses.map((l) => l.toFixed(6)).join(', ')}; seed 8 from seed 7's weights ${otherOrder.losses.map((l) => l.toFixed(6)).join(', ')}`);
  });
});

test('determinism: every scheduler gives the same losses and params, bit for bit', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const set = syntheticImages(7, oddModel, 5);
  await withErrorScopes(ctx.device, async () => {
    const runs = [];
    for (const scheduler of schedulers) runs.push({ scheduler, ...(await train(ctx, set, 7, true, undefined, scheduler)) });
    const { steps: T } = oddModel;
    assert.deepEqual(runs.map((r) => r.dispatches), [2 * T + 7, 9], 'dispatches per step: 2T + 7 per timestep, 9 per sequence');
    const [first, ...rest] = runs;
    for (const r of rest) {
      assert.deepEqual(r.losses, first.losses, `${r.scheduler}: the same losses as ${first.scheduler}, bit for bit`);
      for (const name of oneLayerNames) {
        assert.ok(sameBits(r.params[name], first.params[name]), `${r.scheduler}: ${name} bit-identical to ${first.scheduler}'s after ${steps} steps`);
      }
    }
  });
});
