// output_weight_grad against the oracle: the oracle's h_T is written into xh slice T (all else NaN: the
// kernel reads only h_T) and its dlogits into dlogits; output/kernel and output/bias gradients come back
// from the grads buffer's output block, and the rest of grads (lstm block, padding) stays untouched.
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import {
  assertClose, assertUntouched, fillF32, gpuOrSkip, maxAbsError, oracleRun, planFor, readF32, runPass, shapes,
  withErrorScopes, writeF32,
} from './harness.ts';

for (const [si, s] of shapes.entries()) {
  test(`output_weight_grad ${s.name}: output/kernel and output/bias grads`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const W = I + H + 1;
    const run = oracleRun(s, 50 + si);
    const xh = new Float32Array((T + 1) * B * W).fill(NaN);
    for (let b = 0; b < B; b++) xh.set(Float32Array.from(run.f.h.subarray((T * B + b) * H, (T * B + b + 1) * H)), (T * B + b) * W + I);
    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s);
      try {
        writeF32(device, plan.layers[0].buffers.xh, xh);
        writeF32(device, plan.buffers.dlogits, run.bw.dlogits);
        fillF32(device, plan.buffers.grads, NaN);
        await runPass(device, (pass) => dispatch(pass, plan.kernels.outputWeightGrad, plan.groups.outputWeightGrad, plan.dims));
        const grads = await readF32(device, plan.buffers.grads);
        const { offsets, outputBlock } = plan.layout;
        const dWout = grads.subarray(offsets['output/kernel'], offsets['output/bias']);
        const dbout = grads.subarray(offsets['output/bias'], outputBlock.offset + outputBlock.length);
        // Measured max |error| 1.5e-8 over the shapes (lavapipe): float32 sums of B products of size < 1/B.
        assertClose('output/kernel grad', dWout, run.bw.grads['output/kernel'], 1e-7, 1e-5);
        assertClose('output/bias grad', dbout, run.bw.grads['output/bias'], 1e-7, 1e-5);
        assertUntouched('grads before the output block', grads.subarray(0, outputBlock.offset), NaN);
        assertUntouched('grads after the output block', grads.subarray(outputBlock.offset + outputBlock.length), NaN);
        t.diagnostic(`max |err| output/kernel ${maxAbsError(dWout, run.bw.grads['output/kernel'])}, output/bias ${maxAbsError(dbout, run.bw.grads['output/bias'])}`);
      } finally {
        plan.destroy();
      }
    });
  });
}
