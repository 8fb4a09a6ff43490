// gather_batch against the oracle's minibatch: the x columns of every xh slice t < T, the bias column,
// the labels; the h columns and slice T untouched. Pixel and label counts not multiples of 4 exercise the
// byte packing's last, partial word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/dataset.ts';
import { dispatch } from '../../src/gpu/kernel.ts';
import {
  assertClose, assertUntouched, columns, fillF32, gpuOrSkip, maxAbsError, oracleBatch, planFor, readF32, readU32,
  runPass, shapes, syntheticImages, withErrorScopes,
} from './harness.ts';

const sentinelLabel = 0xdeadbeef;

for (const [si, s] of shapes.entries()) {
  test(`gather_batch ${s.name}: xh x columns, bias column, labels`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const W = I + H + 1;
    // Counts chosen so T*I*count and count are not multiples of 4: the last pixel and label words are partial.
    const trainCount = [10, 9, 11, 13][si];
    const train = syntheticImages(trainCount, s.model, 11 + si);
    assert.ok((T * I * trainCount) % 4 !== 0 && trainCount % 4 !== 0, 'pixel and label bytes end in a partial word');
    // The extremes of the byte range in the last image: 255 must give exactly 1, 0 exactly 0.
    const last = (trainCount - 1) * T * I;
    train.pixels[last + T * I - 1] = 255;
    train.pixels[last + T * I - 2] = 0;
    train.pixels[last] = 255;
    train.labels[trainCount - 1] = s.model.classes - 1;
    // A second dataset in the same plan: each gather bind group must read its own images.
    const other = syntheticImages(7, s.model, 99 + si);

    await withErrorScopes(device, async () => {
      const plan = await planFor(ctx, s, { train, other });
      try {
        const cases: Array<{ set: ImageSet; name: string; idx: number[] }> = [
          // first and last image, a repeat, the rest from the middle
          { set: train, name: 'train', idx: [trainCount - 1, 0, trainCount - 1, 5, 2, 7, 3, 8, 1, 4].slice(0, B) },
          { set: other, name: 'other', idx: [6, 3, 1, 0, 6, 4, 2, 5, 0, 3].slice(0, B) },
        ];
        for (const c of cases) {
          const idx = new Uint32Array(c.idx);
          fillF32(device, plan.layers[0].buffers.xh, NaN);
          device.queue.writeBuffer(plan.buffers.labels, 0, new Uint32Array(B).fill(sentinelLabel));
          device.queue.writeBuffer(plan.buffers.batchIndex, 0, idx);
          await runPass(device, (pass) => dispatch(pass, plan.kernels.gatherBatch, plan.datasets[c.name].gather, plan.dims));
          const xh = await readF32(device, plan.layers[0].buffers.xh);
          const labels = await readU32(device, plan.buffers.labels, B);
          const ref = oracleBatch(c.set, idx);
          const rows = T * B;
          const x = columns(xh, rows, W, 0, I);
          // Measured max |error| 0 on lavapipe (f32(byte) / 255 is correctly rounded); one ulp of 1 allowed.
          assertClose(`${c.name} xh x columns`, x, ref.x, 1.2e-7, 0);
          t.diagnostic(`${c.name}: x columns max |err| ${maxAbsError(x, ref.x)}`);
          assert.deepEqual(Array.from(columns(xh, rows, W, I + H, 1)), new Array(rows).fill(1), `${c.name}: bias column is 1 in every row t < T`);
          assertUntouched(`${c.name} h columns (lstm_cell_forward's)`, columns(xh, rows, W, I, H), NaN);
          assertUntouched(`${c.name} slice T`, xh.subarray(rows * W), NaN);
          assert.deepEqual(Array.from(labels), ref.labels, `${c.name}: labels of images ${c.idx.join(', ')}`);
        }
      } finally {
        plan.destroy();
      }
    });
  });
}
