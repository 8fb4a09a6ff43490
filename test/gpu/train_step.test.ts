// The whole training step against the float64 oracle: five trainer steps (gather, forward, loss, backward,
// weight gradients, Adam) on given index batches from the same initial weights, beside the oracle's
// forward, backward and adamStep in float64. Every step's loss and accuracy and the final parameters must
// match the oracle's trajectory; every step's gradients must match the oracle's gradients at the
// parameters the GPU held for that step (after step 1 the two trajectories drift apart by float32 Adam,
// which moves gradients slightly: see adam.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adamInit, adamStep } from '../../src/reference/adam.ts';
import { backward, forward, toFloat64 } from '../../src/reference/lstm.ts';
import type { AdamHyper } from '../../src/kernels/adam.ts';
import { oneLayerNames } from '../../src/train/model.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import {
  assertClose, gpuOrSkip, maxAbsError, oracleBatch, randomIndices, randomParams, shapes, syntheticImages, withErrorScopes,
} from './harness.ts';

const steps = 5;
const cases: Array<{ shape: (typeof shapes)[number]; adam: AdamHyper }> = [
  { shape: shapes[0], adam: defaultAdam },
  { shape: shapes[1], adam: { ...defaultAdam, lr: 0.01 } },
];

for (const [ci, { shape: s, adam }] of cases.entries()) {
  test(`train_step ${s.name}, lr ${adam.lr}: ${steps} steps, losses, grads and params vs the oracle`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const B = s.batch;
    const set = syntheticImages(4 * B + 1, s.model, 100 + ci);
    const p0 = randomParams(s.model, 110 + ci);
    const batches = Array.from({ length: steps }, (_, k) => randomIndices(set.count, B, 120 + 10 * ci + k));
    const p64 = toFloat64(p0);
    const adamState = adamInit(s.model);
    const moved = toFloat64(p0);
    for (const name of oneLayerNames) moved[name].fill(0);
    const err = { loss: 0, grads: 0 };
    await withErrorScopes(ctx.device, async () => {
      const tr = await createTrainer(ctx, { model: s.model, batch: B, adam, seed: 0 }, { train: set }, p0);
      try {
        for (let step = 1; step <= steps; step++) {
          const idx = batches[step - 1];
          const pGpu = toFloat64(await tr.readParams());
          const stats = await tr.trainStep({ indices: idx, stats: true });
          assert.ok(stats, `step ${step}: stats were asked for`);
          const { x, labels } = oracleBatch(set, idx);
          const f = forward(s.model, p64, x, labels, B);
          const bw = backward(s.model, p64, x, labels, B, f);
          // Against the oracle's trajectory, drift of float32 Adam included: measured max 6.0e-7 (lr 0.001)
          // and 2.0e-6 (lr 0.01) relative (lavapipe).
          const relLoss = Math.abs(stats.loss - f.loss) / f.loss;
          assert.ok(relLoss <= 1e-5, `step ${step}: loss ${stats.loss}, oracle ${f.loss} (relative error ${relLoss})`);
          assert.equal(stats.accuracy, f.accuracy, `step ${step}: accuracy`);
          assert.equal(stats.step, step, `step ${step}: step counter`);
          err.loss = Math.max(err.loss, relLoss);
          const g = await tr.readGrads();
          const atGpu = backward(s.model, pGpu, x, labels, B, forward(s.model, pGpu, x, labels, B)).grads;
          for (const name of oneLayerNames) {
            // Measured max |error| 1.4e-7 with |grads| up to ~0.6 (lavapipe): atol 1e-7, rtol 1e-5.
            assertClose(`step ${step} grad ${name}`, g[name], atGpu[name], 1e-7, 1e-5);
            err.grads = Math.max(err.grads, maxAbsError(g[name], atGpu[name]));
          }
          const before = toFloat64(p64);
          adamStep(p64, bw.grads, adamState, adam);
          for (const name of oneLayerNames) for (let k = 0; k < p64[name].length; k++) moved[name][k] += Math.abs(p64[name][k] - before[name][k]);
        }
        const expected = tr.plan.scheduler === 'timestep' ? 2 * s.model.steps + 7 : 9;
        assert.equal(tr.dispatchesPerStep, expected, `dispatches per step under the ${tr.plan.scheduler} scheduler`);
        const p = await tr.readParams();
        let worst = 0;
        for (const name of oneLayerNames) {
          for (let k = 0; k < p[name].length; k++) {
            // Adam moves each element by about lr per step whatever its gradient; float32 rounding of the
            // update and of beta2 make each move off by ~1e-5 of itself, and the gradients drift with the
            // parameters: measured max 2.2e-5 of the distance moved (9.2e-5 with float32 pow in the shader),
            // 2e-4 allowed.
            const e = Math.abs(p[name][k] - p64[name][k]);
            const allowed = 1e-7 * Math.abs(p64[name][k]) + 2e-4 * moved[name][k];
            if (!(e <= allowed)) assert.fail(`final ${name}[${k}] is ${p[name][k]}, oracle ${p64[name][k]}: off by ${e}, allowed ${allowed} (moved ${moved[name][k]})`);
            if (moved[name][k] > adam.lr) worst = Math.max(worst, e / moved[name][k]);
          }
        }
        t.diagnostic(`max relative loss error ${err.loss.toExponential(2)}, max |grad err| ${err.grads.toExponential(2)}, final params max error ${worst.toExponential(2)} of the distance moved`);
      } finally {
        tr.destroy();
      }
    });
  });
}

test('evaluate B=3 T=5 I=7 H=9 C=11 over 10 images (a partial last batch): loss and accuracy vs the oracle', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[0];
  const set = syntheticImages(10, s.model, 130);
  const heldOut = syntheticImages(7, s.model, 131);
  const p0 = randomParams(s.model, 134, 1);
  await withErrorScopes(ctx.device, async () => {
    const tr = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 0 }, { train: set, heldOut }, p0);
    try {
      for (const [name, data] of [['train', set], ['heldOut', heldOut]] as const) {
        const r = await tr.evaluate(name);
        // The oracle takes the whole set as one batch: the mean over every image, each counted once.
        const all = Uint32Array.from({ length: data.count }, (_, i) => i);
        const { x, labels } = oracleBatch(data, all);
        const f = forward(s.model, toFloat64(p0), x, labels, data.count);
        assert.equal(r.count, data.count, `${name}: images evaluated`);
        // Measured relative loss error 3.7e-8 (lavapipe); accuracies 0.4 and 1/7 here.
        assert.ok(Math.abs(r.loss - f.loss) <= 1e-6 * f.loss, `${name}: loss ${r.loss}, oracle ${f.loss}`);
        assert.ok(Math.abs(r.accuracy - f.accuracy) < 1e-12, `${name}: accuracy ${r.accuracy}, oracle ${f.accuracy}`);
        t.diagnostic(`${name}: loss ${r.loss} (oracle ${f.loss}), accuracy ${r.accuracy} (oracle ${f.accuracy})`);
      }
    } finally {
      tr.destroy();
    }
  });
});
