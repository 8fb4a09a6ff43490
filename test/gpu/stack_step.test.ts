// Stacked LSTMs, the whole training step against the float64 stack oracle (src/reference/lstm-stack.ts):
// 2 and 3 layers of different widths (one not a multiple of 4), under both schedulers. Each step checks
// every layer's activated gates and cell states as the forward pass left them (the forward cells write h
// into the next layer's input), the loss and accuracy, and every tensor's gradient (the backward cells
// take dh from the layer above through lstm_input_grad) at the parameters the GPU held; the dispatch count
// is the README's formula. The 3-layer stack reads float32 sequences (values up to 2 in size, unscaled).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namedTensorsOf, stackBackward, stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import type { ModelConfig } from '../../src/train/model.ts';
import { readBuffer } from '../../src/train/readback.ts';
import type { Scheduler } from '../../src/train/plan.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { assertClose, gpuOrSkip, oracleBatch, randomIndices, randomParams, syntheticImages, withErrorScopes } from './harness.ts';

const stacks: { name: string; model: ModelConfig; batch: number; float?: boolean }[] = [
  { name: 'B=5 T=4 I=5 layers 6,9 C=3', model: { steps: 4, inputSize: 5, layers: [6, 9], classes: 3, forgetBias: 1 }, batch: 5 },
  // B over one register block of 8 rows; a middle layer narrower than both neighbours; H=4 and H=10.
  // On float32 sequences (gather_sequences, the library API's input path).
  { name: 'B=9 T=3 I=3 layers 7,4,10 C=5, float inputs', model: { steps: 3, inputSize: 3, layers: [7, 4, 10], classes: 5, forgetBias: 1 }, batch: 9, float: true },
];
const steps = 3;

/** README: 5L + 4 per step under 'sequence', L(2T + 3) + 4 under 'timestep'. */
const dispatchFormula = (m: ModelConfig, scheduler: Scheduler): number =>
  scheduler === 'sequence' ? 5 * m.layers.length + 4 : m.layers.length * (2 * m.steps + 3) + 4;

for (const [si, s] of stacks.entries()) {
  for (const scheduler of ['sequence', 'timestep'] as const) {
    test(`stacked train step ${s.name}, '${scheduler}': gates, loss and every gradient vs the stack oracle`, async (t) => {
      const ctx = await gpuOrSkip(t);
      if (!ctx) return;
      const B = s.batch;
      const bytes = syntheticImages(3 * B + 1, s.model, 300 + si);
      const set = s.float ? { ...bytes, pixels: Float32Array.from(bytes.pixels, (v) => (v - 128) / 64) } : bytes;
      const p0 = randomParams(s.model, 310 + si);
      await withErrorScopes(ctx.device, async () => {
        const tr = await createTrainer(ctx, { model: s.model, batch: B, adam: { ...defaultAdam, lr: 0.01 }, seed: 0, scheduler }, { train: set }, p0);
        try {
          assert.equal(tr.plan.layers.length, s.model.layers.length, 'one layer plan per layer');
          let worstGrad = 0;
          for (let step = 1; step <= steps; step++) {
            const idx = randomIndices(set.count, B, 320 + 10 * si + step);
            const p = toFloat64(await tr.readParams());
            const stats = await tr.trainStep({ indices: idx, stats: true });
            assert.ok(stats);
            const { x, labels } = oracleBatch(set, idx);
            const sp = stackParamsOf(s.model, p);
            const f = stackForward(s.model, sp, x, labels, B);
            const bw = stackBackward(s.model, sp, x, labels, B, f);
            for (const [k, layer] of tr.plan.layers.entries()) {
              const gates = new Float32Array(await readBuffer(ctx.device, layer.buffers.gates));
              // Measured max |error| 1.2e-7 (lavapipe).
              assertClose(`step ${step} layer ${k} gates`, gates.subarray(0, f.layers[k].gates.length), f.layers[k].gates, 1e-6, 1e-5);
              const cs = new Float32Array(await readBuffer(ctx.device, layer.buffers.cs));
              assertClose(`step ${step} layer ${k} c`, cs.subarray(0, f.layers[k].c.length), f.layers[k].c, 1e-6, 1e-5);
            }
            const rel = Math.abs(stats.loss - f.loss) / f.loss;
            assert.ok(rel <= 1e-5, `step ${step}: loss ${stats.loss}, oracle ${f.loss}`);
            assert.equal(stats.accuracy, f.accuracy, `step ${step}: accuracy`);
            const g = await tr.readGrads();
            const oracle = namedTensorsOf(bw.grads);
            assert.deepEqual(Object.keys(g).sort(), Object.keys(oracle).sort(), 'the same tensors');
            for (const name of Object.keys(oracle)) {
              // Measured max |error| 1.5e-7 with |grads| up to ~0.3 (lavapipe).
              assertClose(`step ${step} grad ${name}`, g[name], oracle[name], 1e-6, 1e-5);
              for (let i = 0; i < g[name].length; i++) worstGrad = Math.max(worstGrad, Math.abs(g[name][i] - oracle[name][i]));
            }
            // The bottom layer's gradient is not zero: dh really reached it through the layers above.
            assert.ok(g['lstm_0/kernel'].some((v) => Math.abs(v) > 1e-4), 'layer 0 gets a gradient');
          }
          assert.equal(tr.dispatchesPerStep, dispatchFormula(s.model, scheduler), `dispatches per step (${scheduler})`);
          t.diagnostic(`max |grad error| ${worstGrad.toExponential(2)}; ${tr.dispatchesPerStep} dispatches per step`);
        } finally {
          tr.destroy();
        }
      });
    });
  }
}
