// Workgroup sizes are override constants a plan takes per kernel (for tuning): under either scheduler,
// other sizes for every kernel give the very same training; an override for a kernel the plan does not
// have, and sizes over the device's limits, are refused before any GPU work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/dataset.ts';
import type { Overrides } from '../../src/kernels/dims.ts';
import type { ModelConfig } from '../../src/train/model.ts';
import { type KernelOverrides, type Scheduler, planSpecs, schedulers } from '../../src/train/plan.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { UserError } from '../../src/user-error.ts';
import { gpuOrSkip, shapes, syntheticImages } from './harness.ts';

/** A size other than its default for every kernel of either scheduler. */
const other: Record<string, Overrides> = {
  gather_batch: { WG_X: 4, WG_Y: 16 },
  gather_sequences: { WG_X: 16, WG_Y: 4 },
  lstm_input_grad: { WG_X: 4, WG_Y: 4 },
  input_projection: { WG_X: 8, WG_Y: 8 },
  lstm_cell_forward: { WG_X: 32, WG_Y: 2 },
  lstm_cell_backward: { WG_X: 4, WG_Y: 16 },
  lstm_sequence_forward: { WG_X: 8, WG_Y: 2 },
  lstm_sequence_backward: { WG_X: 2, WG_Y: 4 },
  lstm_weight_grad: { WG_X: 64, WG_Y: 1 },
  softmax_cross_entropy: { WG_X: 16 },
  output_weight_grad: { WG_X: 8, WG_Y: 8 },
  grad_norm: { WG_X: 64 },
  adam: { WG_X: 128 },
};

/** The overrides for every kernel of a scheduler's plan; fails on a kernel `other` lacks. */
function tunedFor(scheduler: Scheduler, layers = 1): KernelOverrides {
  return Object.fromEntries(planSpecs(scheduler, { layers }).map((spec) => {
    const sizes = other[spec.name];
    assert.ok(sizes, `the test has other sizes for ${spec.name}`);
    assert.notDeepEqual(sizes, spec.overrides, `${spec.name}: the test's sizes are not the defaults`);
    return [spec.name, sizes];
  }));
}

/** Float32 sequences (gather_sequences) for a model: values in [-1, 1], labels below C. */
function floatSequences(count: number, m: ModelConfig): ImageSet {
  const bytes = syntheticImages(count, m, 5);
  return { ...bytes, pixels: Float32Array.from(bytes.pixels, (v) => v / 127.5 - 1) };
}

// The one-layer shapes on image bytes, and a stack of two (lstm_input_grad) on float sequences.
const cases = [
  ...shapes.map((s) => ({ ...s, float: false })),
  { name: 'B=5 T=4 I=5 layers 6,9 C=3 on float sequences', model: { steps: 4, inputSize: 5, layers: [6, 9], classes: 3, forgetBias: 1 }, batch: 5, float: true },
];

for (const scheduler of schedulers) {
  for (const s of cases) {
    test(`${s.name}, '${scheduler}': every kernel at other workgroup sizes trains bit-identically`, async (t) => {
      const ctx = await gpuOrSkip(t);
      if (!ctx) return;
      const sets = { train: s.float ? floatSequences(13, s.model) : syntheticImages(13, s.model, 4) };
      const tuned = tunedFor(scheduler, s.model.layers.length);
      const run = async (overrides?: KernelOverrides): Promise<number[]> => {
        const trainer = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: { ...defaultAdam, lr: 0.01 }, seed: 9, overrides, scheduler }, sets);
        try {
          for (const kernel of Object.values(trainer.plan.kernels)) {
            const want = overrides ? overrides[kernel.spec.name] : kernel.spec.overrides;
            assert.deepEqual(kernel.overrides, want, `${kernel.spec.name} runs at the ${overrides ? 'tuned' : 'default'} sizes`);
          }
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
}

test('an override for a kernel the scheduler\'s plan does not have is refused, naming the kernels it has', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[0];
  const sets = { train: syntheticImages(5, s.model, 1) };
  const otherCell: Record<Scheduler, string> = { timestep: 'lstm_sequence_forward', sequence: 'lstm_cell_forward' };
  for (const scheduler of schedulers) {
    const names = planSpecs(scheduler).map((spec) => spec.name);
    assert.ok(!names.includes(otherCell[scheduler]), `'${scheduler}' has no ${otherCell[scheduler]}`);
    for (const unknown of [otherCell[scheduler], 'adma']) {
      await assert.rejects(
        createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 0, scheduler, overrides: { ...tunedFor(scheduler), [unknown]: { WG_X: 8 } } }, sets),
        (e: Error) => {
          assert.ok(e instanceof UserError, `a UserError, not ${e.name}`);
          assert.equal(e.message, `workgroup overrides: no kernel ${unknown} in a '${scheduler}' plan; its kernels are ${names.join(', ')}`);
          return true;
        },
        `'${scheduler}' refuses ${unknown}`,
      );
    }
  }
});

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
