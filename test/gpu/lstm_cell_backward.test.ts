// lstm_cell_backward against the oracle, at every timestep, under each scheduler: the oracle's gates, c and
// dlogits (and the parameters) are written in, and the T dispatches run from t = T-1 down to 0 (or the one
// of the whole sequence), so each step reads the dgates and dc the GPU itself wrote one step later. dgates
// starts as NaN; dc starts as garbage, which the step t = T-1 must ignore (dc_T = 0).
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import { packParams } from '../../src/train/model.ts';
import {
  assertClose, cellSchedules, fillF32, gpuOrSkip, maxAbsError, oracleRun, planFor, readF32, runPass, shapes, withErrorScopes,
  writeF32,
} from './harness.ts';

// Scale 0.5: unsaturated gates. Measured max |dgates error| on lavapipe 4.2e-9 over the shapes (|dgates|
// up to 0.04): atol 1e-7. Scale 6: saturated gates and recurrent weights of size ~6, so the backward
// recursion sums 4H terms of size ~6|dgates| per step; measured 3.3e-7 (|dgates| up to 2.1): atol 1e-6.
// The per-sequence schedules run the same arithmetic as the per-timestep one: the unsaturated scale is enough.
const cases = cellSchedules.flatMap((schedule, k) => shapes.flatMap((s, si) => [
  { schedule, s, si, scale: 0.5, atol: 1e-7 },
  ...(k === 0 ? [{ schedule, s, si, scale: 6, atol: 1e-6 }] : []),
]));

for (const { schedule, s, si, scale, atol } of cases) {
  test(`lstm_cell_backward ${schedule.name}, ${s.name}, params scale ${scale}: dgates at every t`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, layers: [H] } = s.model;
    const B = s.batch;
    const G = 4 * H;
    const run = oracleRun(s, 60 + si, scale);
    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s, {}, schedule.opts);
      try {
        device.queue.writeBuffer(plan.buffers.params, 0, packParams(s.model, run.params));
        writeF32(device, plan.layers[0].buffers.gates, run.f.gates);
        writeF32(device, plan.layers[0].buffers.cs, run.f.c);
        writeF32(device, plan.buffers.dlogits, run.bw.dlogits);
        fillF32(device, plan.layers[0].buffers.dgates, NaN);
        fillF32(device, plan.buffers.dc, 7.5);
        await runPass(device, (pass) => {
          for (const group of plan.layers[0].groups.cellBackward) dispatch(pass, plan.kernels.lstmCellBackward, group, plan.dims);
        });
        const dgates = await readF32(device, plan.layers[0].buffers.dgates);
        let worst = 0;
        for (let step = T - 1; step >= 0; step--) {
          const d = dgates.subarray(step * B * G, (step + 1) * B * G);
          const ref = run.bw.dgates.subarray(step * B * G, (step + 1) * B * G);
          assertClose(`dgates at t=${step}`, d, ref, atol, 1e-5);
          worst = Math.max(worst, maxAbsError(d, ref));
        }
        t.diagnostic(`dgates max |err| ${worst}, max |dgates| ${run.bw.dgates.reduce((a, v) => Math.max(a, Math.abs(v)), 0)}`);
      } finally {
        plan.destroy();
      }
    });
  });
}
