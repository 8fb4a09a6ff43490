// Sampling from a language model on the GPU (src/train/sampler.ts, sample_next.wgsl), against the float64
// LM oracle: the state after reading a prime step by step gives the oracle's logits of the whole prime read
// at once; top-k 1 follows the oracle's greedy path; many samples drawn at once follow softmax(z / temperature)
// (and top-k keeps only the k likeliest); the same seed draws the same text, another seed another; bad
// requests are refused with what to change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lmForward } from '../../src/reference/lstm-lm.ts';
import { stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { languageModel } from '../../src/train/model.ts';
import { createSampler } from '../../src/train/sampler.ts';
import { UserError } from '../../src/user-error.ts';
import { assertClose, gpuOrSkip, randomParams, withErrorScopes } from './harness.ts';

const model = languageModel(10, 9, [6, 5]); // T does not matter to sampling
const params = randomParams(model, 600, 0.8);
const lm = { steps: 0, vocab: model.inputSize, layers: model.layers, forgetBias: model.forgetBias };

/** The oracle's logits (V) after reading `symbols` from a zero state. */
function oracleLogits(symbols: number[]): Float64Array {
  const T = symbols.length;
  const f = lmForward({ ...lm, steps: T }, stackParamsOf(model, toFloat64(params)), symbols, symbols, 1);
  return f.logits.slice((T - 1) * model.inputSize, T * model.inputSize);
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

test('sampler: reading a prime symbol by symbol gives the oracle\'s logits; top-k 1 follows the oracle\'s greedy path', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await withErrorScopes(ctx.device, async () => {
    const sampler = await createSampler(ctx, model, params, 3);
    try {
      assert.equal(sampler.dispatchesPerSymbol, 3 * model.layers.length + 1);
      const prime = [3, 1, 4, 1, 5, 0, 2, 6];
      const [first] = await sampler.sample({ prime, length: 1, temperature: 1, seed: 1 });
      assert.deepEqual([...first.subarray(0, prime.length)], prime, 'the sample starts with its prime');
      const logits = await sampler.readLogits();
      const expected = oracleLogits(prime);
      for (let b = 0; b < 3; b++) assertClose(`sample ${b} logits after the prime`, logits.subarray(b * 9, (b + 1) * 9), expected, 1e-5, 1e-5);

      const greedy = await sampler.sample({ prime: [7], length: 12, temperature: 1, topK: 1, seed: 5 });
      const path = [7];
      for (let i = 0; i < 12; i++) path.push(argmax(oracleLogits(path)));
      for (const s of greedy) assert.deepEqual([...s], path, 'top-k 1: the oracle\'s argmax at every step');
    } finally {
      sampler.destroy();
    }
  });
});

test('sampler: draws follow softmax(logits / temperature), top-k keeps the k likeliest, seeds reproduce', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await withErrorScopes(ctx.device, async () => {
    const n = 3000;
    const sampler = await createSampler(ctx, model, params, n);
    try {
      const prime = [2, 8, 4];
      const z = oracleLogits(prime);
      for (const [temperature, topK] of [[0.7, 0], [1.6, 0], [1, 3]] as const) {
        const drawn = await sampler.sample({ prime, length: 1, temperature, topK, seed: 11 });
        const counts = new Array(9).fill(0);
        for (const s of drawn) counts[s[prime.length]] += 1;
        const ranked = [...z.keys()].sort((a, b) => z[b] - z[a]);
        const kept = topK === 0 ? ranked : ranked.slice(0, topK);
        const weights = [...z].map((v, c) => (kept.includes(c) ? Math.exp(v / temperature) : 0));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let c = 0; c < 9; c++) {
          const p = weights[c] / total;
          const freq = counts[c] / n;
          if (p === 0) assert.equal(counts[c], 0, `T=${temperature} k=${topK}: symbol ${c} is outside the top ${topK}, drawn ${counts[c]} times`);
          // Five standard deviations of a frequency over n draws.
          assert.ok(Math.abs(freq - p) <= 5 * Math.sqrt((p * (1 - p)) / n) + 1e-3, `T=${temperature} k=${topK}: symbol ${c} drawn ${freq.toFixed(4)}, softmax ${p.toFixed(4)}`);
        }
      }
      const again = async (seed: number): Promise<string> =>
        (await sampler.sample({ prime, length: 30, temperature: 1.2, seed })).slice(0, 4).map((s) => s.join(',')).join(' | ');
      const a = await again(42);
      assert.equal(await again(42), a, 'the same seed draws the same samples');
      assert.notEqual(await again(43), a, 'another seed draws others');
    } finally {
      sampler.destroy();
    }
  });
});

test('sampler: bad requests are refused with what to change', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const sampler = await createSampler(ctx, model, params);
  try {
    const ok = { prime: [1], length: 3, temperature: 0.8, seed: 0 };
    const refused: [object, RegExp][] = [
      [{ temperature: 0 }, /temperature 0 is not a number above 0/],
      [{ temperature: -1 }, /temperature -1 is not a number above 0/],
      [{ prime: [] }, /the prime is empty/],
      [{ prime: [1, 9] }, /prime symbol 1 is 9, not below the vocabulary of 9/],
      [{ topK: 10 }, /top-k 10 is not a whole number from 0 \(off\) to the vocabulary's 9/],
      [{ length: -2 }, /sample length -2/],
    ];
    for (const [change, message] of refused) {
      await assert.rejects(sampler.sample({ ...ok, ...change }), (e: unknown) => e instanceof UserError && message.test(e.message));
    }
    await assert.rejects(createSampler(ctx, { ...model, input: 'values' }, params), /sampling needs a language model/);
  } finally {
    sampler.destroy();
  }
});
