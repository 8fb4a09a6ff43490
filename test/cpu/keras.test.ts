// Keras HDF5 files as our models, and ours as a Keras 3 .weights.h5 (src/io/keras.ts), checked against Keras's
// own equations and layouts, not against our writer. test/fixtures/keras/ holds files laid out as Keras 2
// model.save / save_weights and Keras 3 save_weights write them (scripts/fixtures/make-keras-fixtures.py,
// with h5py; the layouts cited there), their gate blocks filled with values that say which gate, unit and
// row they are; keras-logits.json holds the logits numpy computed from Keras's LSTMCell equations on 4 MNIST
// test images. Here: each Keras gate block lands in the gate our float64 oracle reads it as; the oracle's
// logits are Keras's (numpy's, and a float64 forward written below from keras/src/layers/rnn/lstm.py); the
// layers we cannot run are refused in one line naming the layer; our export has Keras 3's layout exactly
// and Keras's equations on its raw arrays give our model's logits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import h5wasm, { type Dataset, type Group } from 'h5wasm';
import { parseIdxImages, parseIdxLabels } from '../../src/data/idx.ts';
import { locateMnist, mnistFileNames } from '../../src/data/mnist.ts';
import { isHdf5, kerasModel, toKerasWeightsH5 } from '../../src/io/keras.ts';
import { loadAnyModelBytes } from '../../src/io/load-model.ts';
import { saveModelBytes } from '../../src/io/model-file.ts';
import { decodeSafetensors } from '../../src/io/safetensors.ts';
import { fromPytorchStateDict } from '../../src/io/pytorch.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, type Tensors, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { createRng } from '../../src/train/rng.ts';
import { UserError } from '../../src/user-error.ts';

const fixtures = 'test/fixtures/keras';
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface KerasLstm { kernel: ArrayLike<number>; recurrent: ArrayLike<number>; bias: ArrayLike<number>; units: number }
interface KerasDense { kernel: ArrayLike<number>; bias: ArrayLike<number>; classes: number }

/**
 * Keras's LSTM stack + Dense on the last step, in float64, as keras/src/layers/rnn/lstm.py computes it:
 *   z = x kernel + h recurrent_kernel + bias, split in blocks i, f, c, o
 *   c' = sigmoid(f) c + sigmoid(i) tanh(c~)     h' = sigmoid(o) tanh(c')
 * x: (B, T, I) batch first. Returns dense(h_T): (B, C).
 */
function kerasForward(lstms: KerasLstm[], dense: KerasDense, x: Float64Array, B: number, T: number, I: number): Float64Array {
  let input = x;
  let width = I;
  for (const { kernel, recurrent, bias, units: U } of lstms) {
    const out = new Float64Array(B * T * U);
    for (let b = 0; b < B; b++) {
      const h = new Float64Array(U);
      const c = new Float64Array(U);
      for (let t = 0; t < T; t++) {
        const z = (col: number): number => {
          let s = bias[col];
          for (let j = 0; j < width; j++) s += input[(b * T + t) * width + j] * kernel[j * 4 * U + col];
          for (let j = 0; j < U; j++) s += h[j] * recurrent[j * 4 * U + col];
          return s;
        };
        const next = new Float64Array(U);
        for (let u = 0; u < U; u++) {
          const i = sigmoid(z(u));
          const f = sigmoid(z(U + u));
          const cc = Math.tanh(z(2 * U + u));
          const o = sigmoid(z(3 * U + u));
          c[u] = f * c[u] + i * cc;
          next[u] = o * Math.tanh(c[u]);
        }
        h.set(next);
        out.set(next, (b * T + t) * U);
      }
    }
    input = out;
    width = U;
  }
  const logits = new Float64Array(B * dense.classes);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < dense.classes; k++) {
      let s = dense.bias[k];
      for (let j = 0; j < width; j++) s += input[(b * T + T - 1) * width + j] * dense.kernel[j * dense.classes + k];
      logits[b * dense.classes + k] = s;
    }
  }
  return logits;
}

/** Our oracle's logits for x (B, T, I) batch first (it reads time-major rows). */
function ourLogits(m: ModelConfig, params: Tensors, x: Float64Array, B: number): Float64Array {
  const timeMajor = new Float64Array(x.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < m.steps; t++) for (let i = 0; i < m.inputSize; i++) timeMajor[(t * B + b) * m.inputSize + i] = x[(b * m.steps + t) * m.inputSize + i];
  return stackForward(m, stackParamsOf(m, toFloat64(params)), timeMajor, new Array(B).fill(0), B).logits;
}

// The fixtures' values (make-keras-fixtures.py lstm_weights, dense_weights): gate g (Keras's i, f, c, o), unit u, row r.
const kernelValue = (g: number, u: number, r: number): number => (-1) ** (r + u) * ((g + 1) * 256 + 32 * u + r) / 8192;
const recurrentValue = (g: number, u: number, h: number): number => -((-1) ** (h + u)) * ((g + 1) * 256 + 32 * u + h) / 8192;
const biasValue = (g: number, u: number): number => (-1) ** u * ((g + 1) * 256 + 32 * u) / 8192 + (g === 1 ? 1 : 0);

function fixtureLstm(I: number, U: number): KerasLstm {
  const G = 4 * U;
  const block = (rows: number, value: (g: number, u: number, r: number) => number): Float32Array =>
    Float32Array.from({ length: rows * G }, (_, e) => value(Math.floor((e % G) / U), e % U, Math.floor(e / G)));
  return { kernel: block(I, kernelValue), recurrent: block(U, recurrentValue), bias: Float32Array.from({ length: G }, (_, e) => biasValue(Math.floor(e / U), e % U)), units: U };
}

function fixtureDense(H: number, C: number): KerasDense {
  return {
    kernel: Float32Array.from({ length: H * C }, (_, e) => (-1) ** (Math.floor(e / C) + (e % C)) * (32 * ((e % C) + 1) + Math.floor(e / C)) / 256),
    bias: Float32Array.from({ length: C }, (_, c) => c / 16 - 0.25),
    classes: C,
  };
}

const stack = [fixtureLstm(28, 5), fixtureLstm(5, 3)];
const head = fixtureDense(3, 10);
const stackConfig: ModelConfig = { steps: 28, inputSize: 28, layers: [5, 3], classes: 10, forgetBias: 0 };
const lstmFixtures = ['keras2-lstm.h5', 'keras2-lstm-weights.h5', 'keras3-lstm.weights.h5'];

/** An HDF5 file opened with h5wasm directly (not through our reader), given to `use`; with `edit`, the bytes after. */
async function withHdf5<R>(bytes: Uint8Array, mode: 'r' | 'a', use: (f: Group) => R): Promise<{ result: R; bytes: Uint8Array }> {
  const module = await h5wasm.ready;
  const path = `/keras-test-${Math.random().toString(36).slice(2)}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, mode);
  let result: R;
  try {
    result = use(f);
  } finally {
    f.close();
  }
  const after = module.FS.readFile(path);
  module.FS.unlink(path);
  return { result, bytes: after };
}

const dataset = (f: Group, path: string): Dataset => f.get(path) as Dataset;

test('the fixtures hold the gate blocks make-keras-fixtures.py describes, at the paths Keras writes', async () => {
  const paths: Record<string, string[]> = {
    'keras2-lstm.h5': ['model_weights/lstm/lstm/lstm_cell/', 'model_weights/lstm_1/lstm_1/lstm_cell_1/'],
    'keras2-lstm-weights.h5': ['lstm/lstm/lstm_cell/', 'lstm_1/lstm_1/lstm_cell_1/'],
  };
  for (const [file, [l0, l1]] of Object.entries(paths)) {
    await withHdf5(fixture(file), 'r', (f) => {
      for (const [at, want] of [[l0, stack[0]], [l1, stack[1]]] as const) {
        assert.deepEqual(dataset(f, `${at}kernel:0`).value, want.kernel, `${file} ${at}kernel:0`);
        assert.deepEqual(dataset(f, `${at}recurrent_kernel:0`).value, want.recurrent);
        assert.deepEqual(dataset(f, `${at}bias:0`).value, want.bias);
      }
    });
  }
  await withHdf5(fixture('keras3-lstm.weights.h5'), 'r', (f) => {
    assert.deepEqual(dataset(f, 'layers/lstm_1/cell/vars/1').value, stack[1].recurrent);
    assert.deepEqual(dataset(f, 'layers/dense/vars/0').value, head.kernel);
  });
});

for (const file of lstmFixtures) {
  test(`${file}: each Keras gate block lands in our gate (i <- i, j <- c, f <- f, o <- o), forget bias 0, the Dense as the head`, async () => {
    const bytes = fixture(file);
    assert.ok(isHdf5(bytes));
    const { config, params, task, conversion } = await kerasModel(bytes, file);
    assert.deepEqual(config, stackConfig);
    assert.deepEqual(task, { name: 'mnist' });
    assert.equal(conversion, undefined);
    const fromKeras = [0, 2, 1, 3]; // our gates i, j, f, o read Keras's blocks i, c, f, o
    stackConfig.layers.forEach((U, k) => {
      const I = k === 0 ? 28 : stackConfig.layers[k - 1];
      const G = 4 * U;
      const kernel = params[`lstm_${k}/kernel`];
      for (let q = 0; q < 4; q++) {
        for (let u = 0; u < U; u++) {
          for (let r = 0; r < I; r++) assert.equal(kernel[r * G + q * U + u], kernelValue(fromKeras[q], u, r), `layer ${k} W_x row ${r} gate ${'ijfo'[q]} unit ${u}`);
          for (let h = 0; h < U; h++) assert.equal(kernel[(I + h) * G + q * U + u], recurrentValue(fromKeras[q], u, h), `layer ${k} W_h row ${h} gate ${'ijfo'[q]} unit ${u}`);
          assert.equal(params[`lstm_${k}/bias`][q * U + u], biasValue(fromKeras[q], u), `layer ${k} bias gate ${'ijfo'[q]} unit ${u}`);
        }
      }
    });
    assert.deepEqual(params['output/kernel'], head.kernel);
    assert.deepEqual(params['output/bias'], head.bias);
  });
}

/** The first n MNIST test images, batch first (n, 28, 28), float32(pixels / 255) as the script made them. */
function firstTestImages(n: number): { x: Float64Array; labels: number[] } {
  const dir = locateMnist();
  const images = parseIdxImages(new Uint8Array(readFileSync(join(dir, mnistFileNames.testImages))), 'test images');
  const labels = parseIdxLabels(new Uint8Array(readFileSync(join(dir, mnistFileNames.testLabels))), 'test labels');
  return { x: Float64Array.from(images.pixels.subarray(0, n * 784), (p) => Math.fround(p / 255)), labels: [...labels.subarray(0, n)] };
}

test('the imported stack gives Keras\'s logits: numpy\'s (keras-logits.json) and a float64 Keras forward\'s, to 1e-12', async () => {
  const expected = JSON.parse(readFileSync(join(fixtures, 'keras-logits.json'), 'utf8')) as { labels: number[]; logits_f64: number[][] };
  const { x, labels } = firstTestImages(4);
  assert.deepEqual(labels, expected.labels);
  const keras = kerasForward(stack, head, x, 4, 28, 28);
  // Both sides are float64 over the same float32 weights; only the order of additions may differ (measured 1.1e-16
  // against numpy, 0 between the forward here and our oracle).
  expected.logits_f64.flat().forEach((v, i) => assert.ok(Math.abs(keras[i] - v) <= 1e-12, `Keras forward here vs numpy, logit ${i}: ${keras[i]} vs ${v}`));
  for (const file of lstmFixtures) {
    const { config, params } = await kerasModel(fixture(file), file);
    const ours = ourLogits(config, params, x, 4);
    keras.forEach((v, i) => assert.ok(Math.abs(ours[i] - v) <= 1e-12, `${file} logit ${i}: ours ${ours[i]}, Keras ${v}`));
  }
});

/** One-line UserError naming the file, matching `message`. */
async function refused(bytes: Uint8Array, name: string, message: RegExp): Promise<void> {
  await assert.rejects(kerasModel(bytes, name), (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${String(e)}`);
    assert.match(e.message, new RegExp(`^${name.replace(/\./g, '\\.')}: `));
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('layers we cannot run are refused naming the layer; an HDF5 file that is not a Keras model, or a damaged one, too', async () => {
  await refused(fixture('keras2-gru.h5'), 'keras2-gru.h5', /layer "gru" \(GRU\) is not a layer this engine runs/);
  await refused(fixture('keras3-gru.weights.h5'), 'keras3-gru.weights.h5', /layer "gru" \(GRU\) is not a layer this engine runs/);
  await refused(fixture('keras2-hard-sigmoid.h5'), 'keras2-hard-sigmoid.h5', /layer "lstm" \(LSTM\) has recurrent_activation "hard_sigmoid".*converting is not exact, so set recurrent_activation="sigmoid"/);
  await refused(fixture('not-keras.h5'), 'not-keras.h5', /an HDF5 file, but not a Keras model: no group "model_weights".*its top level holds "images"/);
  const whole = fixture('keras2-lstm.h5');
  await refused(whole.subarray(0, 4000), 'cut.h5', /HDF5 cannot read it \(truncated file: eof = 4000.*\): the file is damaged or cut short/);
});

type ConfigLayer = { class_name: string; config: Record<string, unknown> };

/** keras2-lstm.h5 with its model_config's layers changed by `change`. */
async function withLayers(change: (layers: ConfigLayer[]) => void): Promise<Uint8Array> {
  return (await withHdf5(fixture('keras2-lstm.h5'), 'a', (f) => {
    const config = JSON.parse(f.attrs.model_config.value as string);
    change(config.config.layers);
    f.delete_attribute('model_config');
    f.create_attribute('model_config', JSON.stringify(config));
  })).bytes;
}

test('the model_config decides: every-step heads, go_backwards, other activations and wrappers are refused naming the layer', async () => {
  const byName = (layers: ConfigLayer[], name: string): ConfigLayer => layers.find((l) => l.config.name === name)!;
  const cases: [string, (layers: ConfigLayer[]) => void, RegExp][] = [
    ['every step', (l) => { byName(l, 'lstm_1').config.return_sequences = true; }, /the last LSTM "lstm_1" has return_sequences=True, so the Dense head reads every step .*only in a character language model/],
    // (named as the weights' group is: the file keeps a wrapper's weights under the wrapper's name)
    ['TimeDistributed', (l) => { l[3] = { class_name: 'TimeDistributed', config: { name: 'dense', layer: l[3] } }; }, /layer "dense" \(TimeDistributed\) applies its layer at every step/],
    ['go_backwards', (l) => { byName(l, 'lstm').config.go_backwards = true; }, /layer "lstm" \(LSTM\) has go_backwards=True/],
    ['relu cell', (l) => { byName(l, 'lstm').config.activation = 'relu'; }, /layer "lstm" \(LSTM\) has activation "relu"; this engine's cell uses tanh/],
    ['relu head', (l) => { byName(l, 'dense').config.activation = 'relu'; }, /layer "dense" \(Dense\) applies activation "relu".*only "linear" or "softmax"/],
    ['Masking', (l) => { l.splice(1, 0, { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } }); }, /layer "masking" \(Masking\) is not a layer this engine runs: this engine reads every step/],
    ['Bidirectional', (l) => { l[1] = { class_name: 'Bidirectional', config: { name: 'lstm', layer: l[1] } }; }, /layer "lstm" \(Bidirectional\) is not a layer this engine runs: it also reads the sequence backwards/],
    ['Embedding', (l) => { l.splice(1, 0, { class_name: 'Embedding', config: { name: 'embedding' } }); }, /layer "embedding" \(Embedding\) is not a layer this engine runs/],
    ['input width', (l) => { l[0].config.batch_input_shape = [null, 28, 27]; }, /layer "input_1" gives inputs of 27 features, but weight "lstm\/lstm_cell\/kernel:0" reads 28/],
    ['units', (l) => { byName(l, 'lstm_1').config.units = 4; }, /layer "lstm_1" \(LSTM\): weight "lstm_1\/lstm_cell_1\/recurrent_kernel:0" has shape \[3,12\], expected \[4,16\]/],
  ];
  for (const [what, change, message] of cases) await refused(await withLayers(change), `${what}.h5`, message);
});

test('Dropout and a softmax (Dense activation or an Activation layer) are accepted: the same model, our logits pre-softmax', async () => {
  const bytes = await withLayers((l) => {
    l.splice(2, 0, { class_name: 'Dropout', config: { name: 'dropout', rate: 0.5 } });
    l[4].config.activation = 'softmax';
    l.push({ class_name: 'Activation', config: { name: 'activation', activation: 'softmax' } });
  });
  const plain = await kerasModel(fixture('keras2-lstm.h5'), 'plain');
  const extra = await kerasModel(bytes, 'extra');
  assert.deepEqual(extra.config, plain.config);
  assert.deepEqual(extra.params, plain.params);
  const steps = await kerasModel(await withLayers((l) => { l[0].config.batch_input_shape = [null, 14, 28]; }), 'short');
  assert.equal(steps.config.steps, 14, 'T from the InputLayer\'s batch_input_shape');
});

test('weights are checked: one missing, a misshapen one, another kind\'s, each named; float64 weights convert with a note', async () => {
  const edit = async (change: (f: Group) => void): Promise<Uint8Array> => (await withHdf5(fixture('keras2-lstm.h5'), 'a', change)).bytes;
  const setNames = (g: Group, names: string[]): void => {
    g.delete_attribute('weight_names');
    g.create_attribute('weight_names', names);
  };
  const lstm1 = 'model_weights/lstm_1';
  const names = ['lstm_1/lstm_cell_1/kernel:0', 'lstm_1/lstm_cell_1/recurrent_kernel:0', 'lstm_1/lstm_cell_1/bias:0'];
  await refused(await edit((f) => setNames(f.get(lstm1) as Group, names.slice(0, 2))), 'nobias.h5', /layer "lstm_1" \(LSTM\) has no weight bias \(expected shape \[12\]\)/);
  await refused(await edit((f) => setNames(f.get(lstm1) as Group, [...names, 'lstm_1/lstm_cell_1/peephole:0'])), 'listed.h5', /layer "lstm_1": weight "lstm_1\/lstm_cell_1\/peephole:0" is in its weight_names but not in the file/);
  await refused(await edit((f) => {
    (f.get(lstm1) as Group).create_group('odd').create_dataset({ name: 'kernel:0', data: new Float32Array(55), shape: [5, 11], dtype: '<f' });
    setNames(f.get(lstm1) as Group, ['odd/kernel:0', ...names.slice(1)]);
  }), 'shape.h5', /layer "lstm_1" \(LSTM\): weight "odd\/kernel:0" has shape \[5,11\], expected \[5,12\]/);
  await refused(await edit((f) => {
    (f.get(lstm1) as Group).create_group('odd').create_dataset({ name: 'gamma:0', data: new Float32Array(3), shape: [3], dtype: '<f' });
    setNames(f.get(lstm1) as Group, [...names, 'odd/gamma:0']);
  }), 'extra.h5', /layer "lstm_1" \(LSTM\) has an unexpected weight "odd\/gamma:0"/);
  const f64 = await edit((f) => {
    (f.get(lstm1) as Group).create_group('double').create_dataset({ name: 'bias:0', data: Float64Array.from(stack[1].bias, (v) => v + 1e-12), shape: [12], dtype: '<d' });
    setNames(f.get(lstm1) as Group, [...names.slice(0, 2), 'double/bias:0']);
  });
  const read = await kerasModel(f64, 'double.h5');
  assert.equal(read.conversion, 'converted 1 weight from float64 to float32 (rounded to the nearest float32)');
  assert.deepEqual(read.params, (await kerasModel(fixture('keras2-lstm.h5'), 'x')).params, 'rounded to the float32 it came from');
});

test('weights files, without a config: kinds from Keras 3 group names or Keras 2 weight shapes; refusals name the layer', async () => {
  // Keras 3: a Dropout's empty vars group is passed over; a Bidirectional wrapper is refused by its group's class.
  const k3 = async (change: (f: Group) => void): Promise<Uint8Array> => (await withHdf5(fixture('keras3-lstm.weights.h5'), 'a', change)).bytes;
  const dropout = await k3((f) => (f.get('layers') as Group).create_group('dropout').create_group('vars').create_attribute('name', 'dropout'));
  assert.deepEqual((await kerasModel(dropout, 'dropout.weights.h5')).config, stackConfig);
  const wrapped = await k3((f) => (f.get('layers') as Group).create_group('bidirectional').create_group('vars').create_attribute('name', 'bi'));
  await refused(wrapped, 'bi.weights.h5', /layer "bi" \(Bidirectional\) is not a layer this engine runs: it also reads the sequence backwards/);
  // Keras 2 save_weights: a layer whose recurrent_kernel is (U, 3U) is a GRU; two kernels, a Bidirectional.
  const k2 = async (layer: string, weights: [string, number[]][]): Promise<Uint8Array> => (await withHdf5(fixture('keras2-lstm-weights.h5'), 'a', (f) => {
    const names = [...(f.attrs.layer_names.value as string[]), layer];
    f.delete_attribute('layer_names');
    f.create_attribute('layer_names', names);
    const g = f.create_group(layer);
    g.create_attribute('weight_names', weights.map(([n]) => n));
    for (const [n, shape] of weights) {
      const parts = n.split('/');
      let at = g;
      for (const p of parts.slice(0, -1)) at = at.keys().includes(p) ? at.get(p) as Group : at.create_group(p);
      at.create_dataset({ name: parts.at(-1)!, data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, dtype: '<f' });
    }
  })).bytes;
  await refused(await k2('gru', [['gru/gru_cell/kernel:0', [3, 12]], ['gru/gru_cell/recurrent_kernel:0', [4, 12]], ['gru/gru_cell/bias:0', [2, 12]]]), 'gru.h5', /layer "gru" \(GRU\) is not a layer this engine runs/);
  const bi = (d: string): [string, number[]][] => [[`bidirectional/${d}_lstm/lstm_cell/kernel:0`, [3, 8]], [`bidirectional/${d}_lstm/lstm_cell/recurrent_kernel:0`, [2, 8]]];
  await refused(await k2('bidirectional', [...bi('forward'), ...bi('backward')]), 'bi.h5', /layer "bidirectional" \(Bidirectional\) is not a layer this engine runs/);
  await refused(await k2('embedding', [['embedding/embeddings:0', [5, 3]]]), 'emb.h5', /layer "embedding" \(Embedding\) is not a layer this engine runs/);
});

function randomParams(m: ModelConfig, seed: number): Tensors {
  const rng = createRng(seed);
  return Object.fromEntries(Object.entries(tensorShapes(m)).map(([n, s]) => [n, Float32Array.from({ length: tensorSize(s) }, () => rng.normal() * 0.4)]));
}

/** Every group and dataset of a file with its shape, and each group's attribute names: the layout, values aside. */
function layoutOf(f: Group): string[] {
  const out: string[] = [];
  const walk = (g: Group): void => {
    for (const key of g.keys()) {
      const e = g.get(key) as Group | Dataset;
      if (e.type === 'Dataset') {
        out.push(`${e.path} ${(e as Dataset).dtype} [${(e as Dataset).shape}]`);
      } else {
        out.push(`${e.path}/ @${Object.keys(e.attrs).join(',')}=${Object.values(e.attrs).map((a) => a.value).join(',')}`);
        walk(e as Group);
      }
    }
  };
  walk(f);
  return out;
}

test('our export is the Keras 3 layout of save_weights (the fixture\'s, name for name) and Keras\'s equations on it give our logits', async () => {
  const m: ModelConfig = { steps: 28, inputSize: 28, layers: [5, 3], classes: 10, forgetBias: 1 };
  const params = randomParams(m, 3);
  const bytes = await toKerasWeightsH5(m, params, { name: 'mnist' });
  assert.ok(isHdf5(bytes));
  const theirs = (await withHdf5(fixture('keras3-lstm.weights.h5'), 'r', layoutOf)).result;
  const raw = (await withHdf5(bytes, 'r', (f) => {
    assert.deepEqual(layoutOf(f), theirs);
    assert.deepEqual(Object.fromEntries(Object.entries(f.attrs).map(([k, a]) => [k, a.value])), { source: 'webgpu-lstm', timesteps: '28' }, 'root attributes, which Keras does not read');
    const lstm = (at: string, units: number): KerasLstm => ({
      kernel: dataset(f, `${at}/cell/vars/0`).value as Float32Array, recurrent: dataset(f, `${at}/cell/vars/1`).value as Float32Array,
      bias: dataset(f, `${at}/cell/vars/2`).value as Float32Array, units,
    });
    return { lstms: [lstm('layers/lstm', 5), lstm('layers/lstm_1', 3)], dense: { kernel: dataset(f, 'layers/dense/vars/0').value as Float32Array, bias: dataset(f, 'layers/dense/vars/1').value as Float32Array, classes: 10 } };
  })).result;
  const B = 3;
  const rng = createRng(4);
  const x = Float64Array.from({ length: B * 28 * 28 }, () => rng.next());
  const ours = ourLogits(m, params, x, B);
  // The forget bias folded into Keras's f block rounds each such bias to float32 once: measured 3e-9.
  const close = (what: string, a: ArrayLike<number>): void => {
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(a[i] - ours[i]) <= 1e-7 * (1 + Math.abs(ours[i])), `${what} logit ${i}: ${a[i]} vs ours ${ours[i]}`);
  };
  close('Keras on the exported arrays', kerasForward(raw.lstms, raw.dense, x, B, 28, 28));
  const back = await kerasModel(bytes, 'ours.weights.h5');
  assert.deepEqual([back.config, back.task], [{ ...m, forgetBias: 0 }, { name: 'mnist' }]);
  close('our export read back', ourLogits(back.config, back.params, x, B));
});

test('exports carry their steps and task back: pixel MNIST (else told by I=1), a text model as a token model again', async () => {
  const pixel: ModelConfig = { steps: 784, inputSize: 1, layers: [4], classes: 10, forgetBias: 1 };
  const bytes = await toKerasWeightsH5(pixel, randomParams(pixel, 5), { name: 'pixel-mnist', permute: 7 });
  const back = await kerasModel(bytes, 'p');
  assert.deepEqual([back.config.steps, back.task], [784, { name: 'pixel-mnist', permute: 7 }]);
  const bare = (await withHdf5(bytes, 'a', (f) => ['timesteps', 'task', 'permute'].forEach((k) => f.delete_attribute(k)))).bytes;
  const guessed = await kerasModel(bare, 'bare');
  assert.deepEqual([guessed.config.steps, guessed.task], [784, { name: 'pixel-mnist' }], 'no attributes: I=1 is pixel MNIST, T=784');
  const lm: ModelConfig = { steps: 7, inputSize: 3, layers: [5, 4], classes: 3, forgetBias: 1, input: 'tokens', outputs: 'every' };
  const text = await kerasModel(await toKerasWeightsH5(lm, randomParams(lm, 6), { name: 'text', vocabulary: ['a', 'b', 'c'] }), 'lm');
  assert.deepEqual([text.config, text.task], [{ ...lm, forgetBias: 0 }, { name: 'text', vocabulary: ['a', 'b', 'c'] }]);
});

test('loadAnyModelBytes reads HDF5 as Keras, points a .keras zip to the weights inside, and reads everything else as before', async () => {
  const keras = await loadAnyModelBytes(fixture('keras3-lstm.weights.h5'), 'k');
  assert.deepEqual(keras.config, stackConfig);
  const m: ModelConfig = { steps: 3, inputSize: 2, layers: [4], classes: 3, forgetBias: 1 };
  const ours = await loadAnyModelBytes(saveModelBytes(m, randomParams(m, 7), {}), 'ours');
  assert.deepEqual(ours.config, m);
  assert.equal(isHdf5(saveModelBytes(m, randomParams(m, 7), {})), false);
  // A Keras 3 .keras file is a zip holding model.weights.h5: told to extract it.
  await assert.rejects(loadAnyModelBytes(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0), 'm.keras'), /^UserError: m\.keras: a zip archive, as Keras 3 saves a \.keras model: .*unzip m\.keras model\.weights\.h5/);
});

test('npm run export -- --to pytorch reads a Keras file: the state_dict computes what Keras does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keras-export-'));
  const out = join(dir, 'pt.safetensors');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', join(fixtures, 'keras2-lstm.h5'), '--to', 'pytorch', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(out)), 'pt');
  const { config, params } = fromPytorchStateDict(tensors, 28, 'pt');
  const { x } = firstTestImages(2);
  const keras = kerasForward(stack, head, x, 2, 28, 28);
  const ours = ourLogits(config, params, x, 2);
  keras.forEach((v, i) => assert.ok(Math.abs(ours[i] - v) <= 1e-12, `logit ${i}: ${ours[i]} vs Keras ${v}`));
  const bad = join(dir, 'bad.h5');
  writeFileSync(bad, fixture('keras2-gru.h5'));
  const refusedRun = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', bad, '--to', 'pytorch', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(refusedRun.status, 2, refusedRun.stderr);
  assert.match(refusedRun.stderr, /^error: .*bad\.h5: layer "gru" \(GRU\) is not a layer this engine runs/);
  assert.equal(refusedRun.stderr.trim().split('\n').length, 1, `one line: ${refusedRun.stderr}`);
});

test('npm run export -- --to keras writes a .weights.h5 that reads back to the same function; another --out name is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keras-export-'));
  const out = join(dir, 'm.weights.h5');
  const exportTo = (target: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', join(fixtures, 'keras2-lstm.h5'), '--to', 'keras', '--out', target], { encoding: 'utf8', timeout: 60_000 });
  const r = exportTo(out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Wrote .*m\.weights\.h5: /);
  assert.ok(isHdf5(new Uint8Array(readFileSync(out))));
  return loadAnyModelBytes(new Uint8Array(readFileSync(out)), 'm.weights.h5').then(({ config, params }) => {
    const { x } = firstTestImages(2);
    const keras = kerasForward(stack, head, x, 2, 28, 28);
    const ours = ourLogits(config, params, x, 2);
    keras.forEach((v, i) => assert.ok(Math.abs(ours[i] - v) <= 1e-12, `logit ${i}: ${ours[i]} vs Keras ${v}`));
    const wrong = exportTo(join(dir, 'm.h5'));
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /^error: --out .*m\.h5: Keras's load_weights reads this layout only from a name ending in \.weights\.h5/);
  });
});
