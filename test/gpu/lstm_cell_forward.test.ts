// lstm_cell_forward against the oracle, at every timestep, under each scheduler: the oracle's xw is written
// into xw and the T dispatches (or the one of the whole sequence) run in order, so each step reads the h and c the GPU itself wrote one step before. xh's x and
// bias columns hold NaN (the cell reads only h columns), as do the gates and cs slices 1..T before the run.
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import { packParams } from '../../src/train/model.ts';
import {
  assertClose, assertUntouched, cellSchedules, columns, fillF32, gpuOrSkip, maxAbsError, oracleRun, planFor, readF32, runPass, shapes,
  withErrorScopes, writeF32,
} from './harness.ts';

// Scale 0.5 keeps the gates unsaturated; scale 6 drives pre-activations to tens, where tanh and sigmoid
// saturate and a naive tanh(x) = (e^2x - 1)/(e^2x + 1) would overflow to NaN. Tolerances, measured max
// |error| over all t on lavapipe in brackets: at scale 0.5 gates 2.1e-7, c 2.4e-7, h 1.3e-7 (atol 1e-6);
// at scale 6 the pre-activations are sums of terms of size ~5 cancelling to O(1), so float32 rounding
// (of xw alone, |xw| ~ 10: 5e-7) leaves absolute errors of 1.6e-6 (odd) and 1.8e-6 (wide) (atol 1e-5).
// The per-sequence schedules run the same arithmetic as the per-timestep one: the unsaturated scale is enough.
const cases = cellSchedules.flatMap((schedule, k) => shapes.flatMap((s, si) => [
  { schedule, s, si, scale: 0.5, atol: 1e-6 },
  ...(k === 0 ? [{ schedule, s, si, scale: 6, atol: 1e-5 }] : []),
]));

for (const { schedule, s, si, scale, atol } of cases) {
  test(`lstm_cell_forward ${schedule.name}, ${s.name}, params scale ${scale}: gates, c and h at every t`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const W = I + H + 1;
    const G = 4 * H;
    const run = oracleRun(s, 30 + si, scale);
    // xh: NaN everywhere but h_0 = 0 (the h columns of slice 0); cs: c_0 = 0, NaN after.
    const xh = new Float32Array((T + 1) * B * W).fill(NaN);
    for (let b = 0; b < B; b++) xh.fill(0, b * W + I, b * W + I + H);
    const cs = new Float32Array((T + 1) * B * H).fill(NaN).fill(0, 0, B * H);
    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s, {}, schedule.opts);
      try {
        device.queue.writeBuffer(plan.buffers.params, 0, packParams(s.model, run.params));
        writeF32(device, plan.buffers.xw, run.f.xw);
        writeF32(device, plan.layers[0].buffers.xh, xh);
        writeF32(device, plan.layers[0].buffers.cs, cs);
        fillF32(device, plan.layers[0].buffers.gates, NaN);
        await runPass(device, (pass) => {
          for (const group of plan.layers[0].groups.cellForward) dispatch(pass, plan.kernels.lstmCellForward, group, plan.dims);
        });
        const gates = await readF32(device, plan.layers[0].buffers.gates);
        const c = await readF32(device, plan.layers[0].buffers.cs);
        const xhOut = await readF32(device, plan.layers[0].buffers.xh);
        const err = { gates: 0, c: 0, h: 0 };
        for (let step = 0; step < T; step++) {
          const g = gates.subarray(step * B * G, (step + 1) * B * G);
          const gRef = run.f.gates.subarray(step * B * G, (step + 1) * B * G);
          const slice = (step + 1) * B * H;
          const cOut = c.subarray(slice, slice + B * H);
          const cRef = run.f.c.subarray(slice, slice + B * H);
          const h = columns(xhOut.subarray((step + 1) * B * W), B, W, I, H);
          const hRef = run.f.h.subarray(slice, slice + B * H);
          assertClose(`gates at t=${step}`, g, gRef, atol, 1e-5);
          assertClose(`c at t=${step + 1}`, cOut, cRef, atol, 1e-5);
          assertClose(`h at t=${step + 1}`, h, hRef, atol, 1e-5);
          err.gates = Math.max(err.gates, maxAbsError(g, gRef));
          err.c = Math.max(err.c, maxAbsError(cOut, cRef));
          err.h = Math.max(err.h, maxAbsError(h, hRef));
        }
        t.diagnostic(`max |err| gates ${err.gates}, c ${err.c}, h ${err.h}`);
        assertUntouched('c_0', c.subarray(0, B * H), 0);
        assertUntouched('h_0', columns(xhOut, B, W, I, H), 0);
        assertUntouched('xh x columns', columns(xhOut, (T + 1) * B, W, 0, I), NaN);
        assertUntouched('xh bias column', columns(xhOut, (T + 1) * B, W, I + H, 1), NaN);
      } finally {
        plan.destroy();
      }
    });
  });
}
