// The stacked-layer oracle: a stack of one against the one-layer oracle (bit for bit), and stacks of 2 and
// 3 layers of different widths checked by central differences on every parameter and every input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backward, forward } from '../../src/reference/lstm.ts';
import {
  type StackConfig, type StackParams, stackBackward, stackForward, stackParamsOf, stackShapes,
} from '../../src/reference/lstm-stack.ts';
import { type ModelConfig, type Tensors, oneLayerNames, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { createRng } from '../../src/train/rng.ts';

const uniform = (n: number, next: () => number, scale: number): Float64Array => Float64Array.from({ length: n }, () => (2 * next() - 1) * scale);
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

interface Problem {
  m: StackConfig;
  batch: number;
  p: StackParams;
  x: Float64Array;
  labels: Uint32Array;
}

/** Params uniform in [-0.5, 0.5] (no gate saturates), x in [0, 1), random labels. */
function randomProblem(m: StackConfig, batch: number, seed: number): Problem {
  const rng = createRng(seed);
  const next = (): number => rng.next();
  const s = stackShapes(m);
  const p: StackParams = {
    layers: s.layers.map((l) => ({ kernel: uniform(size(l.kernel), next, 0.5), bias: uniform(size(l.bias), next, 0.5) })),
    output: { kernel: uniform(size(s.output.kernel), next, 0.5), bias: uniform(size(s.output.bias), next, 0.5) },
  };
  const x = Float64Array.from({ length: m.steps * batch * m.inputSize }, next);
  const labels = Uint32Array.from({ length: batch }, () => rng.int(m.classes));
  return { m, batch, p, x, labels };
}

function assertSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) assert.ok(actual[k] === expected[k], `${what}[${k}]: stack ${actual[k]}, one-layer ${expected[k]}`);
}

describe('reference stack of one layer', () => {
  const models: { m: ModelConfig; batch: number }[] = [
    { m: { steps: 4, inputSize: 5, layers: [3], classes: 4, forgetBias: 1.0 }, batch: 3 },
    { m: { steps: 5, inputSize: 7, layers: [9], classes: 11, forgetBias: 0.5 }, batch: 2 },
  ];
  for (const { m, batch } of models) {
    it(`gives exactly the one-layer oracle's numbers, T=${m.steps} B=${batch} I=${m.inputSize} H=${m.layers[0]} C=${m.classes}`, () => {
      const rng = createRng(31 + m.layers[0]);
      const next = (): number => rng.next();
      const shapes = tensorShapes(m);
      const p = {} as Tensors<Float64Array>;
      for (const name of oneLayerNames) p[name] = uniform(tensorSize(shapes[name]), next, 0.8);
      const x = Float64Array.from({ length: m.steps * batch * m.inputSize }, next);
      const labels = Array.from({ length: batch }, () => rng.int(m.classes));
      const f1 = forward(m, p, x, labels, batch);
      const b1 = backward(m, p, x, labels, batch, f1);
      const fs = stackForward(m, stackParamsOf(m, p), x, labels, batch);
      const bs = stackBackward(m, stackParamsOf(m, p), x, labels, batch, fs);
      for (const key of ['xw', 'gates', 'c', 'h'] as const) assertSame(fs.layers[0][key], f1[key], key);
      for (const key of ['logits', 'probs', 'sampleLoss', 'correct'] as const) assertSame(fs[key], f1[key], key);
      assert.equal(fs.loss, f1.loss);
      assert.equal(fs.accuracy, f1.accuracy);
      assertSame(bs.grads.layers[0].kernel, b1.grads['lstm_0/kernel'], 'lstm/kernel grad');
      assertSame(bs.grads.layers[0].bias, b1.grads['lstm_0/bias'], 'lstm/bias grad');
      assertSame(bs.grads.output.kernel, b1.grads['output/kernel'], 'output/kernel grad');
      assertSame(bs.grads.output.bias, b1.grads['output/bias'], 'output/bias grad');
      assertSame(bs.layers[0].dgates, b1.dgates, 'dgates');
      assertSame(bs.layers[0].dx, b1.dx, 'dx');
      assertSame(bs.dlogits, b1.dlogits, 'dlogits');
      assertSame(bs.dhT, b1.dhT, 'dhT');
    });
  }

  it('rejects parameters that do not fit the description, by name', () => {
    const q = randomProblem({ steps: 2, inputSize: 3, layers: [4, 2], classes: 3, forgetBias: 1 }, 2, 5);
    assert.throws(() => stackForward({ ...q.m, layers: [4] }, q.p, q.x, q.labels, 2), /2 layers of parameters for 1 layers/);
    assert.throws(() => stackForward({ ...q.m, layers: [4, 3] }, q.p, q.x, q.labels, 2), /layer 1 kernel has 48 values, expected 7x12 = 84/);
  });
});

const fdEps = 1e-6;
const atol = 1e-7;
const rtol = 1e-5;

interface Worst {
  where: string;
  num: number;
  ana: number;
  err: number;
  /** err / (atol + rtol*|ana|): the check fails above 1. */
  ratio: number;
}

describe('reference stack gradients (central differences)', () => {
  const stacks: { name: string; m: StackConfig; batch: number; seed: number }[] = [
    { name: 'I=3 layers [5, 7] T=4 B=3 C=5', m: { steps: 4, inputSize: 3, layers: [5, 7], classes: 5, forgetBias: 1.0 }, batch: 3, seed: 21 },
    { name: 'I=3 layers [4, 6, 3] T=4 B=3 C=5', m: { steps: 4, inputSize: 3, layers: [4, 6, 3], classes: 5, forgetBias: 1.0 }, batch: 3, seed: 22 },
  ];
  for (const s of stacks) {
    it(`matches d loss / d every parameter and every input, ${s.name}`, () => {
      const q = randomProblem(s.m, s.batch, s.seed);
      const lossOf = (): number => stackForward(q.m, q.p, q.x, q.labels, q.batch).loss;
      const f = stackForward(q.m, q.p, q.x, q.labels, q.batch);
      const bw = stackBackward(q.m, q.p, q.x, q.labels, q.batch, f);
      const checks: { name: string; arr: Float64Array; ana: Float64Array }[] = [
        ...q.p.layers.flatMap((l, k) => [
          { name: `layer ${k} kernel`, arr: l.kernel, ana: bw.grads.layers[k].kernel },
          { name: `layer ${k} bias`, arr: l.bias, ana: bw.grads.layers[k].bias },
        ]),
        { name: 'output kernel', arr: q.p.output.kernel, ana: bw.grads.output.kernel },
        { name: 'output bias', arr: q.p.output.bias, ana: bw.grads.output.bias },
        { name: 'x', arr: q.x, ana: bw.layers[0].dx },
      ];
      let checked = 0;
      let overall: Worst | undefined;
      for (const c of checks) {
        let worst: Worst | undefined;
        for (let k = 0; k < c.arr.length; k++, checked++) {
          const keep = c.arr[k];
          c.arr[k] = keep + fdEps;
          const up = lossOf();
          c.arr[k] = keep - fdEps;
          const down = lossOf();
          c.arr[k] = keep;
          const num = (up - down) / (2 * fdEps);
          const ana = c.ana[k];
          const err = Math.abs(num - ana);
          const ratio = err / (atol + rtol * Math.abs(ana));
          if (!worst || ratio > worst.ratio) worst = { where: `${c.name}[${k}]`, num, ana, err, ratio };
        }
        const w = worst!;
        if (!overall || w.ratio > overall.ratio) overall = w;
        // Every gradient of a lower layer is reached only through the layers above it: a zero there would
        // pass a tolerance check trivially, so each tensor must carry a gradient of some size.
        assert.ok(c.ana.some((v) => Math.abs(v) > 1e-4), `${c.name}: all its gradients are near zero`);
        assert.ok(w.ratio <= 1, `worst gradient error at ${w.where}: numeric ${w.num}, analytic ${w.ana}, |diff| ${w.err}`);
      }
      // x_t reaches the loss through every layer at steps t..T: each step of x must carry a gradient (a
      // layer reading the wrong slice of the one below, h_0..h_{T-1}, would cut the last step off).
      const row = s.batch * s.m.inputSize;
      for (let t = 0; t < s.m.steps; t++) {
        assert.ok(bw.layers[0].dx.subarray(t * row, (t + 1) * row).some((v) => Math.abs(v) > 1e-4), `dloss/dx at step ${t} is near zero`);
      }
      const w = overall!;
      console.log(`  ${s.name}: ${checked} values, loss ${f.loss.toFixed(6)}, worst ${w.where} |num-ana| ${w.err.toExponential(2)} (ana ${w.ana.toExponential(3)}, ${(w.ratio * 100).toFixed(2)}% of tolerance)`);
    });
  }
});
