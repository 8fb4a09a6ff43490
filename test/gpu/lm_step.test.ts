// A character-level language model's training step against the float64 LM oracle
// (src/reference/lstm-lm.ts), which materializes the one-hot inputs that the GPU never builds: token
// inputs (gather_tokens, embedding_gather), the head at every step over T*B rows (softmax_cross_entropy,
// output_weight_grad, the top layer's dh at every t), the W_x gradient as a deterministic scatter-add
// (embedding_grad), one layer and a stack, under both schedulers, on odd shapes; a symbol absent from the
// stream gets a zero W_x gradient row. Then a stateful run (carry_state): each window starts from the
// state the previous one ended in (truncated BPTT), reset at the epoch's start, against the oracle fed
// that state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenSet } from '../../src/data/dataset.ts';
import { lmBackward, lmForward } from '../../src/reference/lstm-lm.ts';
import { namedTensorsOf, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, languageModel } from '../../src/train/model.ts';
import { readBuffer } from '../../src/train/readback.ts';
import { createRng } from '../../src/train/rng.ts';
import type { Scheduler } from '../../src/train/plan.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { assertClose, gpuOrSkip, randomIndices, randomParams, withErrorScopes } from './harness.ts';

const cases: { name: string; model: ModelConfig; batch: number; windows: number }[] = [
  // V=6 under one block of 8 symbols, H=7 not a multiple of 4, B=3.
  { name: 'T=5 V=6 layers 7 B=3', model: languageModel(5, 6, [7]), batch: 3, windows: 7 },
  // V=11 over one block of 8 symbols; a stack 5,9; B=9 over one block of 8 rows.
  { name: 'T=4 V=11 layers 5,9 B=9', model: languageModel(4, 11, [5, 9]), batch: 9, windows: 12 },
];

/** A stream of `windows` windows of T symbols (and one more symbol), never using symbol V-2. */
function stream(m: ModelConfig, windows: number, seed: number): TokenSet {
  const rng = createRng(seed);
  const tokens = Uint8Array.from({ length: windows * m.steps + 1 }, () => {
    const v = rng.int(m.inputSize - 1);
    return v === m.inputSize - 2 ? m.inputSize - 1 : v;
  });
  return { kind: 'tokens', count: windows, rows: m.steps, tokens };
}

/** The oracle's tokens and targets of a batch of windows, in (t, b) order. */
function windowsOf(set: TokenSet, idx: Uint32Array): { tokens: number[]; targets: number[] } {
  const T = set.rows;
  const tokens: number[] = [];
  const targets: number[] = [];
  for (let t = 0; t < T; t++) {
    for (const n of idx) {
      tokens.push(set.tokens[n * T + t]);
      targets.push(set.tokens[n * T + t + 1]);
    }
  }
  return { tokens, targets };
}

const lmConfig = (m: ModelConfig) => ({ steps: m.steps, vocab: m.inputSize, layers: m.layers, forgetBias: m.forgetBias });

/** README: 5L + 4 per step under 'sequence', L(2T + 3) + 4 under 'timestep'; + 1 for token inputs, + L stateful. */
const dispatchFormula = (m: ModelConfig, scheduler: Scheduler, stateful: boolean): number =>
  (scheduler === 'sequence' ? 5 * m.layers.length + 4 : m.layers.length * (2 * m.steps + 3) + 4) + 1 + (stateful ? m.layers.length : 0);

for (const [ci, c] of cases.entries()) {
  for (const scheduler of ['sequence', 'timestep'] as const) {
    test(`language model step ${c.name}, '${scheduler}': gates, every-step loss and every gradient vs the LM oracle`, async (t) => {
      const ctx = await gpuOrSkip(t);
      if (!ctx) return;
      const B = c.batch;
      const set = stream(c.model, c.windows, 500 + ci);
      const p0 = randomParams(c.model, 510 + ci);
      await withErrorScopes(ctx.device, async () => {
        const tr = await createTrainer(ctx, { model: c.model, batch: B, adam: { ...defaultAdam, lr: 0.01 }, seed: 0, scheduler }, { train: set }, p0);
        try {
          let worst = 0;
          for (let step = 1; step <= 3; step++) {
            const idx = randomIndices(set.count, B, 520 + 10 * ci + step);
            const p = toFloat64(await tr.readParams());
            const stats = await tr.trainStep({ indices: idx, stats: true });
            assert.ok(stats);
            const { tokens, targets } = windowsOf(set, idx);
            const sp = stackParamsOf(c.model, p);
            const f = lmForward(lmConfig(c.model), sp, tokens, targets, B);
            const bw = lmBackward(lmConfig(c.model), sp, tokens, targets, B, f);
            for (const [k, layer] of tr.plan.layers.entries()) {
              const gates = new Float32Array(await readBuffer(ctx.device, layer.buffers.gates));
              assertClose(`step ${step} layer ${k} gates`, gates.subarray(0, f.layers[k].gates.length), f.layers[k].gates, 1e-6, 1e-5);
            }
            assert.ok(Math.abs(stats.loss - f.loss) / f.loss <= 1e-5, `step ${step}: loss ${stats.loss}, oracle ${f.loss}`);
            assert.ok(Math.abs(stats.accuracy - f.accuracy) < 1e-6, `step ${step}: accuracy ${stats.accuracy}, oracle ${f.accuracy}`);
            const g = await tr.readGrads();
            const oracle = namedTensorsOf(bw.grads);
            for (const name of Object.keys(oracle)) {
              assertClose(`step ${step} grad ${name}`, g[name], oracle[name], 1e-6, 1e-5);
              for (let i = 0; i < g[name].length; i++) worst = Math.max(worst, Math.abs(g[name][i] - oracle[name][i]));
            }
            // Symbol V-2 never occurs: its W_x row gets exactly zero; the symbols that occur get gradient.
            const G = 4 * c.model.layers[0];
            const row = (v: number): Float32Array => g['lstm_0/kernel'].subarray(v * G, (v + 1) * G);
            assert.ok(row(c.model.inputSize - 2).every((v) => v === 0), 'an absent symbol: a zero W_x gradient row');
            assert.ok(row(tokens[0]).some((v) => v !== 0), 'a present symbol: a W_x gradient row');
          }
          assert.equal(tr.dispatchesPerStep, dispatchFormula(c.model, scheduler, false), 'dispatches per step');
          t.diagnostic(`max |grad error| ${worst.toExponential(2)}; ${tr.dispatchesPerStep} dispatches per step`);
        } finally {
          tr.destroy();
        }
      });
    });
  }
}

test('stateful language model: each window starts from the last one\'s h and c, reset each epoch, vs the oracle fed that state', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const model = languageModel(3, 7, [6, 5]);
  const B = 2;
  // 7 windows: tracks of 3 windows for 2 rows (window 6 left out); epoch = 3 steps.
  const set = stream(model, 7, 540);
  await withErrorScopes(ctx.device, async () => {
    const tr = await createTrainer(ctx, { model, batch: B, adam: { ...defaultAdam, lr: 0.02 }, seed: 0, stateful: true }, { train: set }, randomParams(model, 541));
    try {
      let state: { h: Float64Array; c: Float64Array }[] | undefined;
      for (let step = 1; step <= 5; step++) {
        const w = (step - 1) % 3;
        if (w === 0) state = undefined; // the epoch starts over: h = c = 0
        const idx = Uint32Array.from([0 * 3 + w, 1 * 3 + w]);
        const p = toFloat64(await tr.readParams());
        const stats = await tr.trainStep({ stats: true });
        assert.ok(stats);
        const { tokens, targets } = windowsOf(set, idx);
        const sp = stackParamsOf(model, p);
        const f = lmForward(lmConfig(model), sp, tokens, targets, B, state);
        const bw = lmBackward(lmConfig(model), sp, tokens, targets, B, f);
        assert.ok(Math.abs(stats.loss - f.loss) / f.loss <= 1e-5, `step ${step} (window ${w} of each track): loss ${stats.loss}, oracle ${f.loss}`);
        const g = await tr.readGrads();
        const oracle = namedTensorsOf(bw.grads);
        for (const name of Object.keys(oracle)) assertClose(`step ${step} grad ${name}`, g[name], oracle[name], 1e-6, 1e-5);
        // The state the next window starts from: this window's last (T) h and c of each layer.
        state = model.layers.map((H, k) => ({ h: f.layers[k].h.slice(model.steps * B * H), c: f.layers[k].c.slice(model.steps * B * H) }));
        const saved = await tr.saveState();
        assert.ok(saved.carried, 'a stateful run saves its carried state');
        saved.carried.forEach((s, k) => {
          assertClose(`step ${step} carried h layer ${k}`, s.h, state![k].h, 1e-6, 1e-5);
          assertClose(`step ${step} carried c layer ${k}`, s.c, state![k].c, 1e-6, 1e-5);
        });
      }
      assert.equal(tr.dispatchesPerStep, dispatchFormula(model, 'sequence', true), 'dispatches per step');
    } finally {
      tr.destroy();
    }
  });
});
