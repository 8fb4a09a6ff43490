// Our models as PyTorch state_dicts and back (src/io/pytorch.ts), checked against PyTorch's own equations,
// not against our writer: a state_dict built by hand with each gate block's values recognisable lands where
// the TF layout puts that gate; and a float64 forward written from the torch.nn.LSTM documentation (gates
// i, f, g, o; both biases; no forget bias) gives our float64 oracle's logits, on exported and imported
// models, stacked and not. Malformed state_dicts are refused naming the tensor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromPytorchStateDict, toPytorchStateDict } from '../../src/io/pytorch.ts';
import type { NamedTensor } from '../../src/io/safetensors.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { createRng } from '../../src/train/rng.ts';
import { UserError } from '../../src/user-error.ts';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * torch.nn.LSTM (batch_first) + nn.Linear on the last step, in float64, as its documentation writes it:
 *   i = s(W_ii x + b_ii + W_hi h + b_hi)   f = s(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = s(W_io x + b_io + W_ho h + b_ho)
 *   c' = f c + i g    h' = o tanh(c')      rows of weight_ih: W_ii | W_if | W_ig | W_io
 * x: (B, T, I) batch first. Returns fc(h_T): (B, C).
 */
function torchForward(sd: Record<string, NamedTensor>, x: Float64Array, B: number, T: number, I: number): Float64Array {
  let input = x; // (B, T, width)
  let width = I;
  for (let k = 0; sd[`lstm.weight_ih_l${k}`]; k++) {
    const wih = sd[`lstm.weight_ih_l${k}`].data;
    const whh = sd[`lstm.weight_hh_l${k}`].data;
    const bih = sd[`lstm.bias_ih_l${k}`].data;
    const bhh = sd[`lstm.bias_hh_l${k}`].data;
    const H = sd[`lstm.weight_hh_l${k}`].shape[1];
    const out = new Float64Array(B * T * H);
    for (let b = 0; b < B; b++) {
      const h = new Float64Array(H);
      const c = new Float64Array(H);
      for (let t = 0; t < T; t++) {
        const pre = (row: number): number => {
          let s = bih[row] + bhh[row];
          for (let j = 0; j < width; j++) s += wih[row * width + j] * input[(b * T + t) * width + j];
          for (let j = 0; j < H; j++) s += whh[row * H + j] * h[j];
          return s;
        };
        const next = new Float64Array(H);
        for (let u = 0; u < H; u++) {
          const i = sigmoid(pre(u));
          const f = sigmoid(pre(H + u));
          const g = Math.tanh(pre(2 * H + u));
          const o = sigmoid(pre(3 * H + u));
          c[u] = f * c[u] + i * g;
          next[u] = o * Math.tanh(c[u]);
        }
        h.set(next);
        out.set(next, (b * T + t) * H);
      }
    }
    input = out;
    width = H;
  }
  const fc = sd['fc.weight'];
  const [C, H] = fc.shape;
  const logits = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let s = sd['fc.bias'].data[c];
      for (let j = 0; j < H; j++) s += fc.data[c * H + j] * input[(b * T + T - 1) * H + j];
      logits[b * C + c] = s;
    }
  }
  return logits;
}

/** Our oracle's logits for x (B, T, I) batch first (it reads time-major rows). */
function ourLogits(m: ModelConfig, params: Record<string, Float32Array>, x: Float64Array, B: number): Float64Array {
  const timeMajor = new Float64Array(x.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < m.steps; t++) for (let i = 0; i < m.inputSize; i++) timeMajor[(t * B + b) * m.inputSize + i] = x[(b * m.steps + t) * m.inputSize + i];
  return stackForward(m, stackParamsOf(m, toFloat64(params)), timeMajor, new Array(B).fill(0), B).logits;
}

function randomParams(m: ModelConfig, seed: number): Record<string, Float32Array> {
  const rng = createRng(seed);
  return Object.fromEntries(Object.entries(tensorShapes(m)).map(([n, s]) => [n, Float32Array.from({ length: tensorSize(s) }, () => rng.normal() * 0.4)]));
}

/** Folding the forget bias into bias_ih (and summing two biases back) rounds each to float32 once:
 *  differences of a few 1e-9 measured; anything misplaced differs by far more. */
const close = (what: string, a: ArrayLike<number>, b: ArrayLike<number>): void => {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-7 * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

for (const m of [
  { steps: 4, inputSize: 3, layers: [5], classes: 4, forgetBias: 1 },
  { steps: 3, inputSize: 2, layers: [6, 3], classes: 5, forgetBias: 1 },
] as ModelConfig[]) {
  test(`export of layers ${m.layers.join(',')}: PyTorch's equations on the state_dict give our oracle's logits (forget bias folded into bias_ih)`, () => {
    const params = randomParams(m, 3);
    const sd = toPytorchStateDict(m, params);
    assert.deepEqual(Object.keys(sd), [...m.layers.flatMap((_, k) => [`lstm.weight_ih_l${k}`, `lstm.weight_hh_l${k}`, `lstm.bias_ih_l${k}`, `lstm.bias_hh_l${k}`]), 'fc.weight', 'fc.bias']);
    assert.deepEqual(sd['lstm.weight_ih_l0'].shape, [4 * m.layers[0], m.inputSize]);
    assert.deepEqual(sd['fc.weight'].shape, [m.classes, m.layers.at(-1)]);
    const B = 3;
    const rng = createRng(4);
    const x = Float64Array.from({ length: B * m.steps * m.inputSize }, () => rng.next());
    close('logits', torchForward(sd, x, B, m.steps, m.inputSize), ourLogits(m, params, x, B));
    // And back: the same model, the forget bias now inside the biases (forgetBias 0).
    const back = fromPytorchStateDict(sd, m.steps, 'x.safetensors');
    assert.deepEqual(back.config, { ...m, forgetBias: 0 });
    close('logits after import', ourLogits(back.config, back.params, x, B), ourLogits(m, params, x, B));
  });
}

test('a hand-built state_dict: each PyTorch gate block lands in the TF gate the oracle reads for it, the biases summed', () => {
  const I = 2;
  const H = 3;
  const C = 2;
  // Value 1000*(gate+1) + 10*unit + column: gate 0..3 = PyTorch's i, f, g, o.
  const wih = Float32Array.from({ length: 4 * H * I }, (_, e) => 1000 * (Math.floor(e / I / H) + 1) + 10 * (Math.floor(e / I) % H) + (e % I));
  const whh = Float32Array.from({ length: 4 * H * H }, (_, e) => -(1000 * (Math.floor(e / H / H) + 1) + 10 * (Math.floor(e / H) % H) + (e % H)));
  const bih = Float32Array.from({ length: 4 * H }, (_, r) => 100 * (Math.floor(r / H) + 1) + r % H);
  const bhh = Float32Array.from({ length: 4 * H }, () => 0.5);
  const sd: Record<string, NamedTensor> = {
    'lstm.weight_ih_l0': { shape: [4 * H, I], data: wih },
    'lstm.weight_hh_l0': { shape: [4 * H, H], data: whh },
    'lstm.bias_ih_l0': { shape: [4 * H], data: bih },
    'lstm.bias_hh_l0': { shape: [4 * H], data: bhh },
    'fc.weight': { shape: [C, H], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    'fc.bias': { shape: [C], data: Float32Array.of(7, 8) },
  };
  const { config, params } = fromPytorchStateDict(sd, 9, 'hand.safetensors');
  assert.deepEqual(config, { steps: 9, inputSize: I, layers: [H], classes: C, forgetBias: 0 });
  const G = 4 * H;
  const kernel = params['lstm_0/kernel'];
  // TF gate order i, j, f, o: ours i <- PyTorch i (1), j <- g (3), f <- f (2), o <- o (4).
  const fromPt = [1, 3, 2, 4];
  for (let q = 0; q < 4; q++) {
    for (let u = 0; u < H; u++) {
      for (let i = 0; i < I; i++) assert.equal(kernel[i * G + q * H + u], 1000 * fromPt[q] + 10 * u + i, `W_x row ${i}, gate ${'ijfo'[q]}, unit ${u}`);
      for (let h = 0; h < H; h++) assert.equal(kernel[(I + h) * G + q * H + u], -(1000 * fromPt[q] + 10 * u + h), `W_h row ${h}, gate ${'ijfo'[q]}, unit ${u}`);
      assert.equal(params['lstm_0/bias'][q * H + u], 100 * fromPt[q] + u + 0.5, `bias gate ${'ijfo'[q]} unit ${u}`);
    }
  }
  assert.deepEqual([...params['output/kernel']], [1, 4, 2, 5, 3, 6], 'fc.weight transposed: (H, C)');
  assert.deepEqual([...params['output/bias']], [7, 8]);
});

test('malformed state_dicts are refused naming the tensor and what was expected', () => {
  const m: ModelConfig = { steps: 2, inputSize: 3, layers: [4, 2], classes: 3, forgetBias: 1 };
  const good = toPytorchStateDict(m, randomParams(m, 5));
  const without = (name: string): Record<string, NamedTensor> => Object.fromEntries(Object.entries(good).filter(([n]) => n !== name));
  const cases: [Record<string, NamedTensor>, RegExp][] = [
    [without('lstm.weight_hh_l1'), /tensor "lstm\.weight_hh_l1" is missing \(expected shape \[8,2\]\)/],
    [without('fc.bias'), /tensor "fc\.bias" is missing \(expected shape \[3\]\)/],
    [{ ...good, 'lstm.weight_ih_l0_reverse': good['lstm.weight_ih_l0'] }, /"lstm\.weight_ih_l0_reverse" belongs to a bidirectional LSTM/],
    [{ ...good, 'lstm.weight_hr_l0': { shape: [2, 4], data: new Float32Array(8) } }, /"lstm\.weight_hr_l0" belongs to an LSTM with projections/],
    [{ ...good, 'embedding.weight': { shape: [1], data: new Float32Array(1) } }, /unexpected tensors "embedding\.weight"/],
    [{ ...good, 'lstm.bias_ih_l0': { shape: [15], data: new Float32Array(15) } }, /tensor "lstm\.bias_ih_l0" has shape \[15\], expected \[16\]/],
    [{ ...good, 'fc.weight': { shape: [3, 4], data: new Float32Array(12) } }, /tensor "fc\.weight" has shape \[3,4\], expected \[C, 2\]/],
    [{ 'fc.weight': good['fc.weight'] }, /no tensor "lstm\.weight_ih_l0"/],
  ];
  for (const [sd, message] of cases) {
    assert.throws(() => fromPytorchStateDict(sd, 2, 'sd.safetensors'), (e: unknown) => e instanceof UserError && message.test(e.message) && /^sd\.safetensors: /.test(e.message));
  }
});

test('npm run export -- --to pytorch writes the state_dict of a saved model; bad requests get one error line', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveModelBytes } = await import('../../src/io/model-file.ts');
  const { decodeSafetensors } = await import('../../src/io/safetensors.ts');
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  const m: ModelConfig = { steps: 28, inputSize: 28, layers: [6], classes: 10, forgetBias: 1 };
  const params = randomParams(m, 8);
  writeFileSync(join(dir, 'model.safetensors'), saveModelBytes(m, params, {}));
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  const ok = run('--model', join(dir, 'model.safetensors'), '--to', 'pytorch', '--out', join(dir, 'pt.safetensors'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /nn\.LSTM\(28, 6, batch_first=True\) .* nn\.Linear\(6, 10\) named fc; the forget bias 1 is folded into bias_ih/);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'pt.safetensors'))), 'pt');
  assert.deepEqual(tensors, toPytorchStateDict(m, params));
  assert.deepEqual(metadata, { format: 'pt', source: 'webgpu-lstm', steps: '28' });
  for (const [args, message] of [
    [['--model', join(dir, 'model.safetensors'), '--to', 'tflite', '--out', join(dir, 'x')], /--to: expected pytorch .*, onnx .* or keras .*, got "tflite"/],
    [['--model', join(dir, 'model.safetensors'), '--to', 'pytorch'], /--out is required/],
    [['--model', join(dir, 'none.safetensors'), '--to', 'pytorch', '--out', join(dir, 'x')], /cannot read the file/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: /);
    assert.match(r.stderr, message);
  }
});

test('a PyTorch state_dict file loads as a model: from our export (steps, task from its metadata) or bare (from its input width)', async () => {
  const { saveModelBytes, loadModelBytes } = await import('../../src/io/model-file.ts');
  const { encodeSafetensors } = await import('../../src/io/safetensors.ts');
  const m: ModelConfig = { steps: 28, inputSize: 28, layers: [4, 4], classes: 10, forgetBias: 1 };
  const params = randomParams(m, 9);
  const bare = encodeSafetensors(toPytorchStateDict(m, params), {});
  const loaded = loadModelBytes(bare, 'bare.safetensors');
  assert.deepEqual([loaded.config, loaded.task], [{ ...m, forgetBias: 0 }, { name: 'mnist' }]);
  const B = 2;
  const rng = createRng(10);
  const x = Float64Array.from({ length: B * 28 * 28 }, () => rng.next());
  close('logits of the loaded state_dict', ourLogits(loaded.config, loaded.params, x, B), ourLogits(m, params, x, B));
  const pixel: ModelConfig = { ...m, steps: 784, inputSize: 1 };
  assert.deepEqual(loadModelBytes(encodeSafetensors(toPytorchStateDict(pixel, randomParams(pixel, 11)), {}), 'p').task, { name: 'pixel-mnist' }, 'I=1: pixel by pixel, T=784');
  // A text model exported with its metadata comes back a text model.
  const lm: ModelConfig = { steps: 7, inputSize: 3, layers: [5], classes: 3, forgetBias: 1, input: 'tokens', outputs: 'every' };
  const meta = { format: 'pt', source: 'webgpu-lstm', steps: '7', task: 'text', vocabulary: '["a","b","c"]' };
  const text = loadModelBytes(encodeSafetensors(toPytorchStateDict(lm, randomParams(lm, 12)), meta), 'lm');
  assert.deepEqual([text.config, text.task], [{ ...lm, forgetBias: 0 }, { name: 'text', vocabulary: ['a', 'b', 'c'] }]);
  assert.ok(saveModelBytes(text.config, text.params, {}, text.task).length > 0, 'and saves in our format');
});
