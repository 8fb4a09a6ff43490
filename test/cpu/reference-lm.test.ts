// The language-model oracle (src/reference/lstm-lm.ts): its gradients against central differences of its
// own loss, on odd shapes, one layer and stacked; the embedding view of its input (row token_t of W_x);
// and its loss averaged over every step and row.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LmConfig, bitsPerChar, lmBackward, lmForward } from '../../src/reference/lstm-lm.ts';
import type { StackParams } from '../../src/reference/lstm-stack.ts';
import { createRng } from '../../src/train/rng.ts';

function problem(m: LmConfig, batch: number, seed: number): { p: StackParams; tokens: number[]; targets: number[] } {
  const rng = createRng(seed);
  const u = (n: number): Float64Array => Float64Array.from({ length: n }, () => (2 * rng.next() - 1) * 0.8);
  const p: StackParams = {
    layers: m.layers.map((H, k) => ({ kernel: u(((k === 0 ? m.vocab : m.layers[k - 1]) + H) * 4 * H), bias: u(4 * H) })),
    output: { kernel: u(m.layers[m.layers.length - 1] * m.vocab), bias: u(m.vocab) },
  };
  // A stream of T+1 symbols per row: the input is steps 0..T-1, the target steps 1..T (next-symbol prediction).
  const stream = Array.from({ length: (m.steps + 1) * batch }, () => rng.int(m.vocab - 1)); // the last symbol never occurs
  const at = (t: number, b: number): number => stream[b * (m.steps + 1) + t];
  const tokens: number[] = [];
  const targets: number[] = [];
  for (let t = 0; t < m.steps; t++) for (let b = 0; b < batch; b++) { tokens.push(at(t, b)); targets.push(at(t + 1, b)); }
  return { p, tokens, targets };
}

describe('language-model oracle', () => {
  const cases: { name: string; m: LmConfig; batch: number }[] = [
    { name: 'V=6 one layer of 5, T=4 B=3', m: { steps: 4, vocab: 6, layers: [5], forgetBias: 1 }, batch: 3 },
    { name: 'V=7 layers 5,3, T=3 B=2', m: { steps: 3, vocab: 7, layers: [5, 3], forgetBias: 1 }, batch: 2 },
  ];
  for (const [ci, c] of cases.entries()) {
    it(`gradients match central differences, ${c.name}`, () => {
      const q = problem(c.m, c.batch, 40 + ci);
      const lossOf = (): number => lmForward(c.m, q.p, q.tokens, q.targets, c.batch).loss;
      const f = lmForward(c.m, q.p, q.tokens, q.targets, c.batch);
      const g = lmBackward(c.m, q.p, q.tokens, q.targets, c.batch, f).grads;
      const pairs = [
        ...q.p.layers.flatMap((l, k) => [[`layer ${k} kernel`, l.kernel, g.layers[k].kernel], [`layer ${k} bias`, l.bias, g.layers[k].bias]] as const),
        ['output kernel', q.p.output.kernel, g.output.kernel], ['output bias', q.p.output.bias, g.output.bias],
      ] as const;
      let worst = 0;
      for (const [name, arr, ana] of pairs) {
        for (let k = 0; k < arr.length; k++) {
          const keep = arr[k];
          arr[k] = keep + 1e-6;
          const up = lossOf();
          arr[k] = keep - 1e-6;
          const down = lossOf();
          arr[k] = keep;
          const num = (up - down) / 2e-6;
          const err = Math.abs(num - ana[k]);
          assert.ok(err <= 1e-7 + 1e-5 * Math.abs(ana[k]), `${name}[${k}]: numeric ${num}, analytic ${ana[k]}`);
          worst = Math.max(worst, err);
        }
      }
      // The symbol V-1 never occurs as an input: its row of W_x gets no gradient (the scatter-add's rows).
      const H0 = c.m.layers[0];
      const row = g.layers[0].kernel.subarray((c.m.vocab - 1) * 4 * H0, c.m.vocab * 4 * H0);
      assert.ok(row.every((v) => v === 0), 'an absent symbol\'s W_x row has zero gradient');
      assert.ok(g.layers[0].kernel.subarray(q.tokens[0] * 4 * H0, (q.tokens[0] + 1) * 4 * H0).some((v) => v !== 0), 'a present one\'s does not');
    });
  }

  it('the loss is the mean over every (t, b) of -log p(target), and a uniform model scores log2(V) bits', () => {
    const m: LmConfig = { steps: 3, vocab: 8, layers: [4], forgetBias: 1 };
    const q = problem(m, 2, 9);
    const f = lmForward(m, q.p, q.tokens, q.targets, 2);
    let sum = 0;
    for (let r = 0; r < 6; r++) sum += -Math.log(f.probs[r * 8 + q.targets[r]]);
    assert.ok(Math.abs(f.loss - sum / 6) < 1e-12, `loss ${f.loss}, by hand ${sum / 6}`);
    q.p.output.kernel.fill(0);
    q.p.output.bias.fill(0);
    const uniform = lmForward(m, q.p, q.tokens, q.targets, 2);
    assert.ok(Math.abs(bitsPerChar(uniform.loss) - 3) < 1e-12, `uniform over 8 symbols: ${bitsPerChar(uniform.loss)} bits`);
  });

  it('refuses tokens outside the vocabulary', () => {
    const m: LmConfig = { steps: 2, vocab: 4, layers: [3], forgetBias: 1 };
    const q = problem(m, 1, 3);
    assert.throws(() => lmForward(m, q.p, [0, 4], q.targets, 1), /label\[1\] = 4 not in \[0, 4\)/);
  });
});
