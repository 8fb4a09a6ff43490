// grad_norm and the optimizer's guards: the global gradient norm against float64, clipping by it, and a
// non-finite gradient making Adam skip that step and every later one while recording the step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch, packUniform } from '../../src/gpu/kernel.ts';
import type { AdamHyper } from '../../src/kernels/adam.ts';
import { packParams } from '../../src/train/model.ts';
import type { Plan } from '../../src/train/plan.ts';
import { defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, planFor, randomParams, readF32, readU32, runPass, shapes, withErrorScopes } from './harness.ts';

function writeAdam(plan: Plan, hyper: AdamHyper, step: number, clipNorm: number): void {
  const k = plan.kernels.adam;
  plan.ctx.device.queue.writeBuffer(plan.buffers.uniforms, plan.adamSlot, packUniform(k, k.spec.params(plan.dims, { ...hyper, clipNorm, step })));
}

const optimizer = (plan: Plan) => (pass: GPUComputePassEncoder) => {
  dispatch(pass, plan.kernels.gradNorm, plan.groups.gradNorm, plan.dims);
  dispatch(pass, plan.kernels.adam, plan.groups.adam, plan.dims);
};

for (const s of shapes) {
  test(`grad_norm ${s.name}: the global norm, and clipping scales the update by clip/norm`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    await withErrorScopes(ctx.device, async () => {
      const plan = await planFor(ctx, s);
      try {
        const grads = packParams(s.model, randomParams(s.model, 17, 2));
        let norm2 = 0;
        for (const g of grads) norm2 += g * g;
        const norm = Math.sqrt(norm2);
        ctx.device.queue.writeBuffer(plan.buffers.grads, 0, grads);
        const clip = norm / 4;
        writeAdam(plan, defaultAdam, 1, clip);
        await runPass(ctx.device, optimizer(plan));
        const status = await readF32(ctx.device, plan.buffers.status, 0, 1);
        // float32 sum of a few thousand squares: measured relative error ~1e-7.
        assert.ok(Math.abs(status[0] - norm) <= 1e-5 * norm, `norm ${status[0]}, float64 ${norm}`);
        // From zero moments, m = (1 - beta1) * g * clip / norm exactly shows the scaling.
        const m = await readF32(ctx.device, plan.buffers.adamM, 0, grads.length);
        let worst = 0;
        for (let i = 0; i < grads.length; i++) {
          const expected = (1 - defaultAdam.beta1) * grads[i] * (clip / norm);
          worst = Math.max(worst, Math.abs(m[i] - expected) / (Math.abs(expected) + 1e-12));
        }
        assert.ok(worst <= 1e-5, `m off by ${worst} relative from (1 - beta1) * g * clip / norm`);
      } finally {
        plan.destroy();
      }
    });
  });
}

test('a NaN gradient skips Adam at that step and at every later one, and records the step', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await withErrorScopes(ctx.device, async () => {
    const s = shapes[0];
    const plan = await planFor(ctx, s);
    try {
      const params = packParams(s.model, randomParams(s.model, 5));
      ctx.device.queue.writeBuffer(plan.buffers.params, 0, params);
      const good = packParams(s.model, randomParams(s.model, 6));
      ctx.device.queue.writeBuffer(plan.buffers.grads, 0, good);
      writeAdam(plan, defaultAdam, 1, 0);
      await runPass(ctx.device, optimizer(plan));
      const afterOne = await readF32(ctx.device, plan.buffers.params);
      assert.notDeepEqual(afterOne, params, 'step 1 (finite) updated the weights');
      assert.equal((await readU32(ctx.device, plan.buffers.status, 2))[1], 0, 'no bad step yet');

      const bad = good.slice();
      bad[7] = Number.POSITIVE_INFINITY;
      ctx.device.queue.writeBuffer(plan.buffers.grads, 0, bad);
      writeAdam(plan, defaultAdam, 2, 0);
      await runPass(ctx.device, optimizer(plan));
      assert.equal((await readU32(ctx.device, plan.buffers.status, 2))[1], 2, 'bad_step records step 2');
      assert.deepEqual(await readF32(ctx.device, plan.buffers.params), afterOne, 'step 2 changed nothing');

      ctx.device.queue.writeBuffer(plan.buffers.grads, 0, good);
      writeAdam(plan, defaultAdam, 3, 0);
      await runPass(ctx.device, optimizer(plan));
      assert.deepEqual(await readF32(ctx.device, plan.buffers.params), afterOne, 'step 3 (finite again) is skipped too');
      assert.equal((await readU32(ctx.device, plan.buffers.status, 2))[1], 2, 'the first bad step is kept');
    } finally {
      plan.destroy();
    }
  });
});
