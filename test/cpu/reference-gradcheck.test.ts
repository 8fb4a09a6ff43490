// The float64 oracle checked against itself by central differences, and against hand-computed values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdamConfig, adamInit, adamStep } from '../../src/reference/adam.ts';
import { backward, forward, toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, type Tensors, oneLayerNames, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { createRng, type Rng } from '../../src/train/rng.ts';

interface Problem {
  m: ModelConfig;
  batch: number;
  p: Tensors<Float64Array>;
  x: Float64Array;
  labels: Uint32Array;
}

/** Params uniform in [-scale, scale] (small enough that no gate saturates), x in [0, 1), random labels. */
function randomProblem(m: ModelConfig, batch: number, seed: number, scale = 0.5): Problem {
  const rng: Rng = createRng(seed);
  const shapes = tensorShapes(m);
  const p = {} as Tensors<Float64Array>;
  for (const name of oneLayerNames) {
    p[name] = new Float64Array(tensorSize(shapes[name]));
    for (let k = 0; k < p[name].length; k++) p[name][k] = (2 * rng.next() - 1) * scale;
  }
  const x = new Float64Array(m.steps * batch * m.inputSize);
  for (let k = 0; k < x.length; k++) x[k] = rng.next();
  const labels = new Uint32Array(batch);
  for (let b = 0; b < batch; b++) labels[b] = rng.int(m.classes);
  return { m, batch, p, x, labels };
}

const lossOf = (q: Problem): number => forward(q.m, q.p, q.x, q.labels, q.batch).loss;

interface Worst {
  where: string;
  num: number;
  ana: number;
  err: number;
  /** err / (atol + rtol*|ana|): the check fails above 1. */
  ratio: number;
}

const fdEps = 1e-6;
const atol = 1e-7;
const rtol = 1e-5;

/** Central difference of the loss w.r.t. arr[k] (arr is part of q; restored afterwards). */
function numericGrad(q: Problem, arr: Float64Array, k: number): number {
  const keep = arr[k];
  arr[k] = keep + fdEps;
  const up = lossOf(q);
  arr[k] = keep - fdEps;
  const down = lossOf(q);
  arr[k] = keep;
  return (up - down) / (2 * fdEps);
}

function compare(worst: Worst | undefined, where: string, num: number, ana: number): Worst {
  const err = Math.abs(num - ana);
  const ratio = err / (atol + rtol * Math.abs(ana));
  return worst && worst.ratio >= ratio ? worst : { where, num, ana, err, ratio };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < actual.length; k++) {
    const err = Math.abs(actual[k] - expected[k]);
    assert.ok(err <= tol * (1 + Math.abs(expected[k])), `${what}[${k}]: got ${actual[k]}, expected ${expected[k]} (|err| ${err})`);
  }
}

const shapesUnderTest: { name: string; m: ModelConfig; batch: number; seed: number }[] = [
  { name: 'B=3 T=4 I=5 H=3 C=4', m: { steps: 4, inputSize: 5, layers: [3], classes: 4, forgetBias: 1.0 }, batch: 3, seed: 11 },
  { name: 'B=2 T=3 I=2 H=5 C=3', m: { steps: 3, inputSize: 2, layers: [5], classes: 3, forgetBias: 1.0 }, batch: 2, seed: 12 },
];

describe('reference LSTM gradients (central differences)', () => {
  for (const s of shapesUnderTest) {
    it(`matches d loss / d every parameter, ${s.name}`, () => {
      const q = randomProblem(s.m, s.batch, s.seed);
      const f = forward(q.m, q.p, q.x, q.labels, q.batch);
      const g = backward(q.m, q.p, q.x, q.labels, q.batch, f).grads;
      let worst: Worst | undefined;
      let checked = 0;
      for (const name of oneLayerNames) {
        for (let k = 0; k < q.p[name].length; k++, checked++) {
          worst = compare(worst, `${name}[${k}]`, numericGrad(q, q.p[name], k), g[name][k]);
        }
      }
      const w = worst!;
      console.log(`  ${s.name}: ${checked} params, loss ${f.loss.toFixed(6)}, worst ${w.where} |num-ana| ${w.err.toExponential(2)} (ana ${w.ana.toExponential(3)}, ${(w.ratio * 100).toFixed(2)}% of tolerance)`);
      assert.ok(w.ratio <= 1, `worst gradient error at ${w.where}: numeric ${w.num}, analytic ${w.ana}, |diff| ${w.err}`);
    });

    it(`dgates agrees with finite differences in x and with db, dW, ${s.name}`, () => {
      const q = randomProblem(s.m, s.batch, s.seed + 100);
      const { steps: T, inputSize: I, layers: [H], classes: C } = q.m;
      const B = q.batch;
      const G = 4 * H;
      const f = forward(q.m, q.p, q.x, q.labels, q.batch);
      const bw = backward(q.m, q.p, q.x, q.labels, q.batch, f);
      const W = q.p['lstm_0/kernel'];

      // d loss / d x[t,b,k] = sum_g dgates[t,b,g] * W[k,g]: pins dgates per step and sample.
      let worst: Worst | undefined;
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          for (let k = 0; k < I; k++) {
            let ana = 0;
            for (let g = 0; g < G; g++) ana += bw.dgates[(t * B + b) * G + g] * W[k * G + g];
            worst = compare(worst, `x[${t},${b},${k}]`, numericGrad(q, q.x, (t * B + b) * I + k), ana);
          }
        }
      }
      const w = worst!;
      console.log(`  ${s.name}: dloss/dx via dgates, worst ${w.where} |num-ana| ${w.err.toExponential(2)}`);
      assert.ok(w.ratio <= 1, `dgates through x at ${w.where}: numeric ${w.num}, analytic ${w.ana}, |diff| ${w.err}`);

      // db = sum_{t,b} dgates; dW[k] = sum_{t,b} x_t[k] dgates (k < I), h_{t-1}[k-I] dgates (k >= I).
      const db = new Float64Array(G);
      const dW = new Float64Array((I + H) * G);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          for (let g = 0; g < G; g++) {
            const d = bw.dgates[(t * B + b) * G + g];
            db[g] += d;
            for (let k = 0; k < I; k++) dW[k * G + g] += q.x[(t * B + b) * I + k] * d;
            for (let k = 0; k < H; k++) dW[(I + k) * G + g] += f.h[(t * B + b) * H + k] * d;
          }
        }
      }
      assertClose(bw.grads['lstm_0/bias'], db, 1e-12, 'lstm/bias grad vs sum of dgates');
      assertClose(bw.grads['lstm_0/kernel'], dW, 1e-12, 'lstm/kernel grad vs [x, h] outer dgates');

      // dlogits = (probs - onehot)/B, dhT = dlogits . Wout^T, dbout = sum_b dlogits.
      const dlogits = new Float64Array(B * C);
      const dhT = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < C; k++) {
          dlogits[b * C + k] = (f.probs[b * C + k] - (k === q.labels[b] ? 1 : 0)) / B;
          for (let u = 0; u < H; u++) dhT[b * H + u] += dlogits[b * C + k] * q.p['output/kernel'][u * C + k];
        }
      }
      assertClose(bw.dlogits, dlogits, 1e-14, 'dlogits');
      assertClose(bw.dhT, dhT, 1e-14, 'dhT');
      const dbout = new Float64Array(C);
      for (let b = 0; b < B; b++) for (let k = 0; k < C; k++) dbout[k] += dlogits[b * C + k];
      assertClose(bw.grads['output/bias'], dbout, 1e-14, 'output/bias grad vs sum of dlogits');
    });
  }
});

describe('reference LSTM forward (hand-computed values)', () => {
  // T=2, B=2, I=1, H=1, C=2: every gate has its own weights, so a wrong gate order, a missing or
  // misplaced forget bias, or a mixed-up time/batch layout changes the numbers.
  const m: ModelConfig = { steps: 2, inputSize: 1, layers: [1], classes: 2, forgetBias: 1.0 };
  //            i      j     f     o
  const wx = [0.1, 0.2, 0.3, 0.4]; // row 0 of lstm/kernel: multiplies x_t
  const wh = [-0.5, 0.6, 0.7, -0.8]; // row 1: multiplies h_{t-1}
  const bias = [0.05, -0.1, 0.15, -0.2];
  const wout = [1.5, -2.0];
  const bout = [0.1, 0.2];
  const p = toFloat64({
    'lstm_0/kernel': Float32Array.from([...wx, ...wh]),
    'lstm_0/bias': Float32Array.from(bias),
    'output/kernel': Float32Array.from(wout),
    'output/bias': Float32Array.from(bout),
  });
  // toFloat64 of float32 data: use the exact float32 values in the hand computation too.
  const r = (v: number): number => Math.fround(v);
  const sig = (z: number): number => 1 / (1 + Math.exp(-z));
  // x is (T, B, I): [x(t0,b0), x(t0,b1), x(t1,b0), x(t1,b1)]
  const seq = [
    [0.5, -0.25],
    [1.0, 0.75],
  ]; // seq[b] = [x at t0, x at t1]
  const x = Float64Array.from([seq[0][0], seq[1][0], seq[0][1], seq[1][1]]);
  const labels = [1, 0];

  function byHand(xs: number[]): { logits: number[]; h: number[]; c: number[] } {
    let h = 0;
    let c = 0;
    const hs: number[] = [];
    const cs: number[] = [];
    for (const xt of xs) {
      const i = sig(r(wx[0]) * xt + r(wh[0]) * h + r(bias[0]));
      const j = Math.tanh(r(wx[1]) * xt + r(wh[1]) * h + r(bias[1]));
      const f = sig(r(wx[2]) * xt + r(wh[2]) * h + r(bias[2]) + 1.0);
      const o = sig(r(wx[3]) * xt + r(wh[3]) * h + r(bias[3]));
      c = c * f + i * j;
      h = Math.tanh(c) * o;
      hs.push(h);
      cs.push(c);
    }
    return { logits: [h * r(wout[0]) + r(bout[0]), h * r(wout[1]) + r(bout[1])], h: hs, c: cs };
  }

  it('matches the TF BasicLSTMCell equations computed by hand', () => {
    const f = forward(m, p, x, labels, 2);
    const hand = seq.map(byHand);
    let loss = 0;
    let hits = 0;
    for (let b = 0; b < 2; b++) {
      const [l0, l1] = hand[b].logits;
      const lse = Math.log(Math.exp(l0) + Math.exp(l1));
      const y = labels[b];
      const sampleLoss = lse - hand[b].logits[y];
      assert.ok(Math.abs(f.logits[b * 2] - l0) < 1e-14 && Math.abs(f.logits[b * 2 + 1] - l1) < 1e-14, `logits of sample ${b}: got ${f.logits[b * 2]}, ${f.logits[b * 2 + 1]}, expected ${l0}, ${l1}`);
      assert.ok(Math.abs(f.probs[b * 2 + 1] - Math.exp(l1 - lse)) < 1e-14, `probs of sample ${b}`);
      assert.ok(Math.abs(f.sampleLoss[b] - sampleLoss) < 1e-14, `loss of sample ${b}: got ${f.sampleLoss[b]}, expected ${sampleLoss}`);
      for (let t = 0; t < 2; t++) {
        assert.ok(Math.abs(f.h[((t + 1) * 2 + b)] - hand[b].h[t]) < 1e-15, `h[${t + 1}, ${b}]`);
        assert.ok(Math.abs(f.c[((t + 1) * 2 + b)] - hand[b].c[t]) < 1e-15, `c[${t + 1}, ${b}]`);
      }
      const c = (l1 > l0 ? 1 : 0) === y ? 1 : 0;
      assert.equal(f.correct[b], c, `correct[${b}]`);
      loss += sampleLoss / 2;
      hits += c / 2;
    }
    assert.ok(Math.abs(f.loss - loss) < 1e-14, `loss: got ${f.loss}, expected ${loss}`);
    assert.equal(f.accuracy, hits);
    assert.equal(f.h[0], 0);
    assert.equal(f.c[1], 0);
    // xw at t=0 for sample 1 is x.W[0] + b, before the recurrent term and the forget bias.
    assertClose(f.xw.subarray(4, 8), wx.map((w, q) => seq[1][0] * r(w) + r(bias[q])), 1e-15, 'xw[0, 1]');
  });

  it('counts ties as the first maximum', () => {
    const z = { ...p, 'output/kernel': new Float64Array(2), 'output/bias': new Float64Array(2) };
    const f = forward(m, z, x, [0, 1], 2);
    assert.deepEqual([...f.correct], [1, 0]);
    assert.equal(f.accuracy, 0.5);
    assert.ok(Math.abs(f.loss - Math.log(2)) < 1e-15, `loss with zero logits: ${f.loss}, expected log 2`);
  });

  it('rejects bad labels and shapes by name', () => {
    assert.throws(() => forward(m, p, x, [2, 0], 2), /label\[0\] = 2/);
    assert.throws(() => forward(m, p, x.subarray(1), labels, 2), /x has 3 values, expected T\*B\*I = 4/);
  });
});

describe('reference Adam', () => {
  const c: AdamConfig = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

  it('matches the TF AdamOptimizer formula on scalars over two steps', () => {
    const one = (v: number): Tensors<Float64Array> => {
      const t = {} as Tensors<Float64Array>;
      for (const name of oneLayerNames) t[name] = Float64Array.of(v);
      return t;
    };
    const p = one(0.5);
    const s = { m: one(0), v: one(0), step: 0 };
    const g1 = 0.2;
    const g2 = -0.7;
    adamStep(p, one(g1), s, c);
    adamStep(p, one(g2), s, c);
    // By hand.
    let m = 0.1 * g1;
    let v = 0.001 * g1 * g1;
    let expected = 0.5 - ((c.lr * Math.sqrt(1 - 0.999)) / (1 - 0.9)) * (m / (Math.sqrt(v) + 1e-8));
    m = 0.9 * m + 0.1 * g2;
    v = 0.999 * v + 0.001 * g2 * g2;
    expected -= ((c.lr * Math.sqrt(1 - 0.999 ** 2)) / (1 - 0.9 ** 2)) * (m / (Math.sqrt(v) + 1e-8));
    assert.equal(s.step, 2);
    for (const name of oneLayerNames) {
      assert.ok(Math.abs(p[name][0] - expected) < 1e-15, `${name}: got ${p[name][0]}, expected ${expected}`);
      assert.ok(Math.abs(s.m[name][0] - m) < 1e-15 && Math.abs(s.v[name][0] - v) < 1e-15, `${name} moments`);
    }
  });

  it('lowers the loss of a tiny model over 30 steps', () => {
    const q = randomProblem({ steps: 4, inputSize: 5, layers: [3], classes: 4, forgetBias: 1.0 }, 3, 7);
    const s = adamInit(q.m);
    const losses: number[] = [];
    for (let k = 0; k < 30; k++) {
      const f = forward(q.m, q.p, q.x, q.labels, q.batch);
      losses.push(f.loss);
      adamStep(q.p, backward(q.m, q.p, q.x, q.labels, q.batch, f).grads, s, c);
    }
    const final = lossOf(q);
    console.log(`  adam: loss ${losses[0].toFixed(4)} -> ${final.toFixed(4)}`);
    assert.ok(final < 0.8 * losses[0], `loss ${losses[0]} -> ${final}: expected a drop of at least 20%`);
    for (let k = 1; k < 5; k++) assert.ok(losses[k] < losses[k - 1], `loss rose at step ${k}: ${losses[k - 1]} -> ${losses[k]}`);
  });
});
