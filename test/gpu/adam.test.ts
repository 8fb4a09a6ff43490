// adam against the float64 oracle's adamStep: random parameters, three steps each with fresh random
// gradients written into grads and the step counter rewritten in the adam uniform (as the trainer does),
// params and both moments compared after every step. Gradient magnitudes span 1e-9..1 (with exact
// zeros), so eps matters for some elements and not others; padding between blocks must stay 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GpuContext } from '../../src/gpu/device.ts';
import { dispatch, packUniform } from '../../src/gpu/kernel.ts';
import type { AdamHyper } from '../../src/kernels/adam.ts';
import { adamInit, adamStep } from '../../src/reference/adam.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, type Tensors, packParams, oneLayerNames, tensorShapes, tensorSize, unpackParams } from '../../src/train/model.ts';
import type { Plan } from '../../src/train/plan.ts';
import { createRng } from '../../src/train/rng.ts';
import {
  type Shape, assertClose, gpuOrSkip, maxAbsError, planFor, randomParams, readF32, runPass, shapes, withErrorScopes,
} from './harness.ts';

/** Gradients of random sign and log-uniform magnitude in [1e-9, 1]; one in 20 exactly 0. */
function randomGrads(m: ModelConfig, seed: number): Tensors {
  const rng = createRng(seed);
  const out = {} as Tensors;
  for (const name of oneLayerNames) {
    out[name] = new Float32Array(tensorSize(tensorShapes(m)[name]));
    for (let k = 0; k < out[name].length; k++) {
      out[name][k] = rng.next() < 0.05 ? 0 : (rng.next() < 0.5 ? -1 : 1) * 10 ** (-9 * rng.next());
    }
  }
  return out;
}

function writeAdamUniform(plan: Plan, hyper: AdamHyper, step: number): void {
  const k = plan.kernels.adam;
  plan.ctx.device.queue.writeBuffer(plan.buffers.uniforms, plan.adamSlot, packUniform(k, k.spec.params(plan.dims, { ...hyper, clipNorm: 0, step })));
}

/**
 * Runs `steps` Adam steps on both sides; returns the largest |error| of params, m, v seen, and the largest
 * params error relative to how far the reference moved each element (the bias-correction error below).
 * The oracle runs with the hyperparameters rounded to float32, as the uniform holds them: 1 - f32(0.999)
 * is 1.3e-5 below 0.001, which moves v (and lr_t) by that much whatever the kernel does.
 */
async function compareSteps(ctx: GpuContext, s: Shape, hyper: AdamHyper, steps: number, seed: number) {
  const { device } = ctx;
  const m = s.model;
  const p0 = randomParams(m, seed);
  const p64 = toFloat64(p0);
  const moved = toFloat64(p0);
  for (const name of oneLayerNames) moved[name].fill(0);
  const state = adamInit(m);
  const hyper32 = { lr: Math.fround(hyper.lr), beta1: Math.fround(hyper.beta1), beta2: Math.fround(hyper.beta2), eps: Math.fround(hyper.eps) };
  const err = { p: 0, m: 0, v: 0, pRel: 0 };
  const plan = await planFor(ctx, s);
  try {
    const n = plan.layout.length;
    device.queue.writeBuffer(plan.buffers.params, 0, packParams(m, p0));
    for (let step = 1; step <= steps; step++) {
      const g = randomGrads(m, seed + step);
      device.queue.writeBuffer(plan.buffers.grads, 0, packParams(m, g));
      writeAdamUniform(plan, hyper, step);
      await runPass(device, (pass) => dispatch(pass, plan.kernels.adam, plan.groups.adam, plan.dims));
      const before = toFloat64(p64);
      adamStep(p64, toFloat64(g), state, hyper32);
      for (const name of oneLayerNames) for (let k = 0; k < moved[name].length; k++) moved[name][k] += Math.abs(p64[name][k] - before[name][k]);
      const flat = {
        p: await readF32(device, plan.buffers.params, 0, n),
        m: await readF32(device, plan.buffers.adamM, 0, n),
        v: await readF32(device, plan.buffers.adamV, 0, n),
      };
      const gpu = { p: unpackParams(m, flat.p), m: unpackParams(m, flat.m), v: unpackParams(m, flat.v) };
      for (const name of oneLayerNames) {
        // m and v: float32 rounding of a few products and sums (measured max |error| in the diagnostics).
        assertClose(`step ${step} m ${name}`, gpu.m[name], state.m[name], 1e-8, 1e-6);
        assertClose(`step ${step} v ${name}`, gpu.v[name], state.v[name], 1e-12, 1e-6);
        err.m = Math.max(err.m, maxAbsError(gpu.m[name], state.m[name]));
        err.v = Math.max(err.v, maxAbsError(gpu.v[name], state.v[name]));
        // params: lr_t comes from the CPU in float64 (from the exact betas, while this oracle uses the
        // float32-rounded ones: ~1e-5 relative), and the update is rounded to float32: measured max 2.5e-5 of
        // the distance the oracle moved an element (7e-5 when the shader computed lr_t with float32 pow).
        for (let k = 0; k < gpu.p[name].length; k++) {
          const e = Math.abs(gpu.p[name][k] - p64[name][k]);
          // Plus two float32 ulps of the parameter itself (one step rounds each update once; measured 1 ulp).
          const allowed = 2.5e-7 * Math.abs(p64[name][k]) + 1e-4 * moved[name][k];
          if (!(e <= allowed)) assert.fail(`step ${step} params ${name}[${k}] is ${gpu.p[name][k]}, reference ${p64[name][k]}: off by ${e}, allowed ${allowed}`);
          err.p = Math.max(err.p, e);
          if (moved[name][k] >= hyper.lr / 10) err.pRel = Math.max(err.pRel, e / moved[name][k]);
        }
      }
      // Padding (between the blocks, and at the end) has zero gradient and must stay exactly zero.
      const used = new Uint8Array(n);
      for (const name of oneLayerNames) used.fill(1, plan.layout.offsets[name], plan.layout.offsets[name] + gpu.p[name].length);
      for (const what of ['p', 'm', 'v'] as const) {
        const dirty = flat[what].findIndex((x, i) => !used[i] && x !== 0);
        assert.ok(dirty < 0, `step ${step} ${what}: padding float ${dirty} is ${flat[what][dirty]}, not 0`);
      }
    }
  } finally {
    plan.destroy();
  }
  return err;
}

const hypers: Array<{ name: string; hyper: AdamHyper }> = [
  { name: 'TF defaults, lr 0.01', hyper: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 } },
  { name: 'lr 0.05 beta1 0.8 beta2 0.99 eps 1e-4', hyper: { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-4 } },
];

const report = (e: { p: number; m: number; v: number; pRel: number }): string =>
  `max |err| params ${e.p.toExponential(2)} (${e.pRel.toExponential(2)} of the distance moved, where that is over lr/10), m ${e.m.toExponential(2)}, v ${e.v.toExponential(2)}`;

for (const [si, s] of shapes.entries()) {
  for (const { name, hyper } of hypers) {
    test(`adam ${s.name}, ${name}: params, m, v over 3 steps`, async (t) => {
      const ctx = await gpuOrSkip(t);
      if (!ctx) return;
      const err = await withErrorScopes(ctx.device, () => compareSteps(ctx, s, hyper, 3, 80 + 10 * si));
      t.diagnostic(report(err));
    });
  }
}

// More than 32768 workgroups of 64 vec4s: the grid wraps into a second row (gid.y = 1). One step from zero
// parameters with gradients made by formula (random ones take seconds at this size), every element checked.
test('adam over 8.4M floats: the 2D dispatch grid reaches every element', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const { device } = ctx;
  const big: Shape = { name: 'big', model: { steps: 1, inputSize: 1, layers: [1448], classes: 2, forgetBias: 1 }, batch: 1 };
  const hyper = hypers[0].hyper;
  await withErrorScopes(device, async () => {
    const plan = await planFor(ctx, big);
    try {
      const [gx, gy] = plan.kernels.adam.spec.workgroups(plan.dims, plan.kernels.adam.overrides);
      assert.ok(gy >= 2 && gx * gy * 64 * 4 >= plan.layout.length, `grid ${gx} x ${gy} wraps into a second row`);
      const grads = new Float32Array(plan.layout.length);
      const { offsets, layerBlocks: [lstmBlock], outputBlock } = plan.layout;
      const isParam = (k: number): boolean => k < lstmBlock.length || (k >= outputBlock.offset && k < outputBlock.offset + outputBlock.length);
      for (let k = 0; k < grads.length; k++) if (isParam(k)) grads[k] = ((Math.imul(k, 2654435761) >>> 20) - 2048) / 2048 + 1 / 4096;
      device.queue.writeBuffer(plan.buffers.grads, 0, grads);
      writeAdamUniform(plan, hyper, 1);
      await runPass(device, (pass) => dispatch(pass, plan.kernels.adam, plan.groups.adam, plan.dims));
      const p = await readF32(device, plan.buffers.params);
      const v = await readF32(device, plan.buffers.adamV);
      // From zero moments, step 1: m = (1-beta1) g, v = (1-beta2) g^2, p = -lr*sqrt(1-beta2)/(1-beta1) * m/(sqrt(v)+eps).
      const b1 = Math.fround(hyper.beta1);
      const b2 = Math.fround(hyper.beta2);
      let worst = 0;
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        const m1 = (1 - b1) * g;
        const v1 = (1 - b2) * g * g;
        const expected = -((hyper.lr * Math.sqrt(1 - b2)) / (1 - b1)) * (m1 / (Math.sqrt(v1) + hyper.eps));
        const e = Math.abs(p[k] - expected);
        // 1e-4 of the step (see compareSteps): measured 6.9e-6.
        if (!(e <= 1e-9 + 1e-4 * Math.abs(expected)) || !(Math.abs(v[k] - v1) <= 1e-6 * v1)) {
          assert.fail(`params float ${k} of ${grads.length} (${k < lstmBlock.length ? 'lstm block' : isParam(k) ? 'output block' : 'padding'}): ` +
            `p ${p[k]} (expected ${expected}), v ${v[k]} (expected ${v1})`);
        }
        if (expected !== 0) worst = Math.max(worst, e / Math.abs(expected));
      }
      assert.ok(p[offsets['output/bias'] + 1] !== 0, 'the last parameter was updated');
      t.diagnostic(`${grads.length} floats, grid ${gx} x ${gy}; max params error ${worst.toExponential(2)} of the step`);
    } finally {
      plan.destroy();
    }
  });
});
