// lstm_weight_grad against the oracle: the oracle's xh rows [x_t, h_{t-1}, 1] (t < T; slice T is NaN, never
// read) and its dgates are written in; lstm/kernel and lstm/bias gradients come back from the grads
// buffer's lstm block, and the rest of grads (padding, output block) stays untouched.
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import {
  assertClose, assertUntouched, fillF32, gpuOrSkip, maxAbsError, oracleRun, oracleXh, planFor, readF32, runPass, shapes,
  withErrorScopes, writeF32,
} from './harness.ts';

for (const [si, s] of shapes.entries()) {
  test(`lstm_weight_grad ${s.name}: lstm/kernel and lstm/bias grads`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const W = I + H + 1;
    const run = oracleRun(s, 70 + si);
    const xh = oracleXh(s.model, B, run.x, run.f.h);
    xh.fill(NaN, T * B * W);
    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s);
      try {
        writeF32(device, plan.layers[0].buffers.xh, xh);
        writeF32(device, plan.layers[0].buffers.dgates, run.bw.dgates);
        fillF32(device, plan.buffers.grads, NaN);
        await runPass(device, (pass) => dispatch(pass, plan.kernels.lstmWeightGrad, plan.layers[0].groups.weightGrad, plan.dims));
        const grads = await readF32(device, plan.buffers.grads);
        const { offsets, layerBlocks: [lstmBlock] } = plan.layout;
        const dW = grads.subarray(offsets['lstm_0/kernel'], offsets['lstm_0/bias']);
        const db = grads.subarray(offsets['lstm_0/bias'], lstmBlock.offset + lstmBlock.length);
        // Measured max |error| 2.6e-8 over the shapes (lavapipe): float32 sums of T*B products.
        assertClose('lstm/kernel grad', dW, run.bw.grads['lstm_0/kernel'], 1e-7, 1e-5);
        assertClose('lstm/bias grad', db, run.bw.grads['lstm_0/bias'], 1e-7, 1e-5);
        assertUntouched('grads after the lstm block', grads.subarray(lstmBlock.length), NaN);
        t.diagnostic(`max |err| lstm/kernel ${maxAbsError(dW, run.bw.grads['lstm_0/kernel'])}, lstm/bias ${maxAbsError(db, run.bw.grads['lstm_0/bias'])}`);
      } finally {
        plan.destroy();
      }
    });
  });
}
