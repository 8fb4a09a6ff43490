// softmax_cross_entropy against the oracle: the oracle's h_T is written into xh slice T (everything else in
// xh is NaN: the kernel reads only h_T) and its labels into labels; logits, dlogits and the per-sample
// stats (loss, correct) come back. Three output layers: random, one scaled so logits reach hundreds (exp
// overflows unless the max is subtracted), and one with tied maxima (the first maximum wins).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../src/gpu/kernel.ts';
import { backward, forward, toFloat64 } from '../../src/reference/lstm.ts';
import { type Tensors, packParams } from '../../src/train/model.ts';
import {
  type Shape, assertClose, fillF32, gpuOrSkip, maxAbsError, oracleRun, planFor, readF32, runPass, shapes,
  withErrorScopes, writeF32,
} from './harness.ts';

type Variant = 'random' | 'large logits' | 'tied maxima';

/** The variant's output layer and labels; the LSTM's h_T stays the oracle run's. */
function variant(s: Shape, params: Tensors, labels: number[], v: Variant): { params: Tensors; labels: number[] } {
  const C = s.model.classes;
  if (v === 'random') return { params, labels };
  const p = { ...params, 'output/kernel': params['output/kernel'].slice(), 'output/bias': params['output/bias'].slice() };
  if (v === 'large logits') {
    p['output/kernel'] = p['output/kernel'].map((w) => 400 * w);
    p['output/bias'] = p['output/bias'].map((w) => 100 * w);
    return { params: p, labels };
  }
  // Logits = bias exactly, with maxima tied at classes 1 and C-1: label 1 is correct, C-1 and 0 are not.
  p['output/kernel'].fill(0);
  p['output/bias'].fill(-0.5);
  p['output/bias'][1] = 0.75;
  p['output/bias'][C - 1] = 0.75;
  return { params: p, labels: labels.map((_, b) => [1, C - 1, 0][b % 3]) };
}

// Tolerances, measured max |error| on lavapipe over the shapes in brackets. random: logits (9.4e-8),
// dlogits (2.6e-8), loss (2.9e-7): atol 1e-6, 1e-7 for dlogits (|dlogits| <= 1/B). large logits: each
// logit sums H terms of size up to ~200 (|h_T| < 1 times 400 * 0.5), float32 rounding of which is
// ~1e-4 of absolute error even where they cancel to a small logit: logits (1.9e-5) and loss (3.0e-5),
// atol 1e-4 and 2e-4; dlogits (4.1e-7 where |dlogits| ~ 0.3, within rtol). tied maxima: logits equal
// the bias exactly (0).
const tolerance: Record<Variant, { logits: [number, number]; dlogits: [number, number]; loss: [number, number] }> = {
  random: { logits: [1e-6, 1e-5], dlogits: [1e-7, 1e-5], loss: [1e-6, 1e-5] },
  'large logits': { logits: [1e-4, 1e-6], dlogits: [1e-7, 1e-5], loss: [2e-4, 1e-6] },
  'tied maxima': { logits: [0, 0], dlogits: [1e-7, 1e-5], loss: [1e-6, 1e-5] },
};

for (const [si, s] of shapes.entries()) {
  for (const v of ['random', 'large logits', 'tied maxima'] as const) {
    test(`softmax_cross_entropy ${s.name}, ${v}: logits, dlogits, loss, correct`, async (t) => {
      const ctx = await gpuOrSkip(t);
      if (!ctx) return;
      const { device } = ctx;
      const { steps: T, inputSize: I, layers: [H], classes: C } = s.model;
      const B = s.batch;
      const W = I + H + 1;
      const run = oracleRun(s, 40 + si);
      const { params, labels } = variant(s, run.params, run.labels, v);
      const p64 = toFloat64(params);
      const f = forward(s.model, p64, run.x, labels, B);
      const bw = backward(s.model, p64, run.x, labels, B, f);
      const xh = new Float32Array((T + 1) * B * W).fill(NaN);
      for (let b = 0; b < B; b++) xh.set(Float32Array.from(f.h.subarray((T * B + b) * H, (T * B + b + 1) * H)), (T * B + b) * W + I);
      await withErrorScopes(device, async () => {
        const plan = await planFor(ctx, s);
        try {
          device.queue.writeBuffer(plan.buffers.params, 0, packParams(s.model, params));
          writeF32(device, plan.layers[0].buffers.xh, xh);
          device.queue.writeBuffer(plan.buffers.labels, 0, new Uint32Array(labels));
          for (const name of ['logits', 'dlogits', 'stats'] as const) fillF32(device, plan.buffers[name], NaN);
          await runPass(device, (pass) => dispatch(pass, plan.kernels.softmaxCrossEntropy, plan.groups.softmaxCrossEntropy, plan.dims));
          const logits = await readF32(device, plan.buffers.logits, 0, B * C);
          const dlogits = await readF32(device, plan.buffers.dlogits, 0, B * C);
          const stats = await readF32(device, plan.buffers.stats, 0, 2 * B);
          const loss = stats.filter((_, i) => i % 2 === 0);
          const correct = Array.from(stats.filter((_, i) => i % 2 === 1));
          const tol = tolerance[v];
          assertClose('logits', logits, f.logits, ...tol.logits);
          assertClose('dlogits', dlogits, bw.dlogits, ...tol.dlogits);
          assertClose('per-sample loss', loss, f.sampleLoss, ...tol.loss);
          assert.deepEqual(correct, Array.from(f.correct), `correct per sample (labels ${labels.join(', ')})`);
          if (v === 'tied maxima') assert.deepEqual(correct.slice(0, 3), [1, 0, 0], 'tied maxima: the first maximum is the prediction');
          t.diagnostic(`max |err| logits ${maxAbsError(logits, f.logits)}, dlogits ${maxAbsError(dlogits, bw.dlogits)}, loss ${maxAbsError(loss, f.sampleLoss)}; loss ${f.loss.toFixed(3)}`);
        } finally {
          plan.destroy();
        }
      });
    });
  }
}
