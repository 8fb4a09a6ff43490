// The profiler's scratch plan (src/train/timing.ts) is the training plan's twin: the same scheduler and
// workgroup sizes, so a profiled step encodes the very dispatches a training step does (the page checks
// that count and stopped training when a tuned 'timestep' trainer met a default-scheduler scratch plan).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KernelOverrides, type PlanTuning, type Scheduler, schedulers } from '../../src/train/plan.ts';
import { type EncodeCounts, encodePhase, phases } from '../../src/train/step.ts';
import { createScratchPlan } from '../../src/train/timing.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, shapes, syntheticImages, withErrorScopes } from './harness.ts';

/** Other sizes for a kernel every plan has and for one of the scheduler's cell kernels (a plan refuses
 *  the other scheduler's kernel names). */
const tuned: Record<Scheduler, KernelOverrides> = {
  timestep: { input_projection: { WG_X: 8, WG_Y: 8 }, lstm_cell_forward: { WG_X: 8, WG_Y: 8 } },
  sequence: { input_projection: { WG_X: 8, WG_Y: 8 }, lstm_sequence_backward: { WG_X: 8, WG_Y: 2 } },
};
const tunings: PlanTuning[] = schedulers.flatMap((scheduler) => [{ scheduler }, { scheduler, overrides: tuned[scheduler] }]);

test('the profiler\'s scratch plan has the trainer\'s scheduler and workgroup sizes, and encodes its dispatches', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[3];
  const set = syntheticImages(12, s.model, 3);
  await withErrorScopes(ctx.device, async () => {
    for (const tuning of tunings) {
      const trainer = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 1, ...tuning }, { train: set });
      const scratch = await createScratchPlan(ctx, trainer.plan);
      try {
        await trainer.trainStep();
        const what = JSON.stringify(tuning);
        assert.equal(scratch.scheduler, trainer.plan.scheduler, `${what}: the trainer's scheduler`);
        assert.deepEqual(scratch.overrides, tuning.overrides ?? {}, `${what}: the trainer's overrides`);
        for (const name of Object.keys(trainer.plan.kernels) as (keyof typeof trainer.plan.kernels)[]) {
          assert.deepEqual(scratch.kernels[name]?.overrides, trainer.plan.kernels[name]?.overrides, `${what}: ${name} at the trainer's workgroup size`);
        }
        const encoder = ctx.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        const counts: EncodeCounts = { dispatches: 0 };
        for (const phase of phases) encodePhase(scratch, phase, pass, 'sample', counts);
        pass.end();
        ctx.device.queue.submit([encoder.finish()]);
        await ctx.device.queue.onSubmittedWorkDone();
        assert.equal(counts.dispatches, trainer.dispatchesPerStep, `${what}: a profiled step encodes a training step's dispatches`);
      } finally {
        scratch.destroy();
        trainer.destroy();
      }
    }
  });
});
