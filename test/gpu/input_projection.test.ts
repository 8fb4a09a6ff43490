// input_projection against the oracle's xw = x_t . W[0:I] + b, for all T*B rows at once. xh's h and
// bias columns and its slice T hold NaN: the kernel must read only the x columns of rows t < T.
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import { packParams } from '../../src/train/model.ts';
import {
  assertClose, fillF32, gpuOrSkip, maxAbsError, oracleRun, oracleXh, planFor, readF32, runPass, shapes, withErrorScopes,
  writeF32,
} from './harness.ts';

for (const [si, s] of shapes.entries()) {
  test(`input_projection ${s.name}: xw`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const W = I + H + 1;
    const run = oracleRun(s, 20 + si);
    const xh = oracleXh(s.model, B, run.x, run.f.h);
    for (let r = 0; r < (T + 1) * B; r++) {
      for (let k = I; k < W; k++) xh[r * W + k] = NaN;
      if (r >= T * B) for (let k = 0; k < I; k++) xh[r * W + k] = NaN;
    }
    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s);
      try {
        device.queue.writeBuffer(plan.buffers.params, 0, packParams(s.model, run.params));
        writeF32(device, plan.layers[0].buffers.xh, xh);
        fillF32(device, plan.buffers.xw, NaN);
        await runPass(device, (pass) => dispatch(pass, plan.kernels.inputProjection, plan.layers[0].groups.inputProjection, plan.dims));
        const xw = await readF32(device, plan.buffers.xw);
        // Measured max |error| 2.0e-7 over the shapes (lavapipe), |xw| up to ~2: float32 sums of I+1 terms.
        assertClose('xw', xw, run.f.xw, 1e-6, 1e-6);
        t.diagnostic(`xw max |err| ${maxAbsError(xw, run.f.xw)}`);
      } finally {
        plan.destroy();
      }
    });
  });
}
