// Workgroup sizes are override constants a plan takes per kernel (for tuning): other sizes give the very
// same training, and sizes over the device's limits are refused before any GPU work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, shapes, syntheticImages } from './harness.ts';

const tuned = {
  gather_batch: { WG_X: 4, WG_Y: 16 },
  input_projection: { WG_X: 8, WG_Y: 8 },
  lstm_cell_forward: { WG_X: 32, WG_Y: 2 },
  lstm_cell_backward: { WG_X: 4, WG_Y: 16 },
  lstm_weight_grad: { WG_X: 64, WG_Y: 1 },
  softmax_cross_entropy: { WG_X: 16 },
  output_weight_grad: { WG_X: 8, WG_Y: 8 },
  grad_norm: { WG_X: 64 },
  adam: { WG_X: 128 },
};

for (const s of shapes) {
  test(`${s.name}: every kernel at other workgroup sizes trains bit-identically`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const sets = { train: syntheticImages(13, s.model, 4) };
    const run = async (overrides?: typeof tuned): Promise<number[]> => {
      const trainer = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: { ...defaultAdam, lr: 0.01 }, seed: 9, overrides }, sets);
      try {
        const losses: number[] = [];
        for (let i = 0; i < 4; i++) losses.push((await trainer.trainStep({ stats: true }))!.loss);
        return losses;
      } finally {
        trainer.destroy();
      }
    };
    assert.deepEqual(await run(tuned), await run(), 'same losses with tuned and default workgroup sizes');
  });
}

test('a workgroup over the device limit is refused with the kernel named', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[0];
  const huge = ctx.device.limits.maxComputeInvocationsPerWorkgroup * 2;
  await assert.rejects(
    createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 0, overrides: { adam: { WG_X: huge } } }, { train: syntheticImages(5, s.model, 1) }),
    new RegExp(`kernel adam: workgroup of ${huge} invocations, over this device's maxComputeInvocationsPerWorkgroup`),
  );
});
