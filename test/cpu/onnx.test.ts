// ONNX export (src/io/onnx.ts, src/io/protobuf.ts) without a GPU: the protobuf writer against the examples
// of the protobuf encoding guide; the exported graphs run in ONNX Runtime (onnxruntime-node, CPU) give the
// float64 oracle's logits (src/reference/lstm-stack.ts, lstm-lm.ts), for a classifier of one layer and a
// stack of two different sizes, at several batch sizes (the symbolic N), and for a language model over int64
// tokens (OneHot in the graph, logits at every step, any length T); the metadata tells how to feed it;
// and `npm run export -- --to onnx` writes a file ONNX Runtime runs, bad --to values getting one error line.
// test/gpu/onnx_export.test.ts compares ONNX Runtime with the GPU engine on trained models and MNIST.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadMnist } from '../../src/data/mnist.ts';
import { type Task, pixelPermutation } from '../../src/data/tasks.ts';
import { saveModelBytes } from '../../src/io/model-file.ts';
import { toOnnx } from '../../src/io/onnx.ts';
import { bytesField, float32Bytes, int64Bytes, packedVarintField, stringField, varintBytes, varintField } from '../../src/io/protobuf.ts';
import { lmForward } from '../../src/reference/lstm-lm.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, type Tensors, languageModel, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { createRng } from '../../src/train/rng.ts';

const hex = (b: ArrayLike<number>): string => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');

test('protobuf writer: the encoding guide\'s examples, negative varints, raw little-endian values', () => {
  // https://protobuf.dev/programming-guides/encoding/: "08 96 01" (field 1 = 150), "12 07 74 65 73 74 69 6e 67"
  // (field 2 = "testing"), "1a 03 08 96 01" (field 3 = a message holding field 1 = 150), "22 06 03 8e 02 9e
  // a7 05" (field 4 = packed [3, 270, 86942]).
  assert.equal(hex(varintField(1, 150)), '08 96 01');
  assert.equal(hex(stringField(2, 'testing')), '12 07 74 65 73 74 69 6e 67');
  assert.equal(hex(bytesField(3, varintField(1, 150))), '1a 03 08 96 01');
  assert.equal(hex(packedVarintField(4, [3, 270, 86942])), '22 06 03 8e 02 9e a7 05');
  assert.equal(hex(varintBytes(300)), 'ac 02');
  assert.equal(hex(varintBytes(0)), '00');
  assert.equal(hex(varintBytes(-1)), 'ff ff ff ff ff ff ff ff ff 01', 'a negative int64 is 10 bytes of two\'s complement');
  assert.equal(hex(varintBytes(2 ** 53 - 1)), 'ff ff ff ff ff ff ff 0f');
  assert.equal(hex(float32Bytes([1, -2])), '00 00 80 3f 00 00 00 c0');
  assert.equal(hex(int64Bytes([1, -2])), '01 00 00 00 00 00 00 00 fe ff ff ff ff ff ff ff');
  assert.throws(() => varintBytes(1.5), /not a safe integer/);
});

function randomParams(m: ModelConfig, seed: number): Tensors {
  const rng = createRng(seed);
  return Object.fromEntries(Object.entries(tensorShapes(m)).map(([n, s]) => [n, Float32Array.from({ length: tensorSize(s) }, () => (2 * rng.next() - 1) * 0.5)]));
}

const session = (bytes: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });

/** ONNX Runtime (float32) against the float64 oracle: |ort - ref| <= tol * max(1, |ref|). */
function close(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: number): number {
  assert.equal(got.length, ref.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
    assert.ok(e <= tol, `${what}[${i}]: ONNX Runtime ${got[i]}, oracle ${ref[i]}`);
    worst = Math.max(worst, e);
  }
  return worst;
}

/** (N, T, I) batch-major floats as the oracle's (T, N, I). */
function timeMajor(x: Float32Array, N: number, T: number, I: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let i = 0; i < I; i++) out[(t * N + n) * I + i] = x[(n * T + t) * I + i];
  return out;
}

// Measured worst relative error of ONNX Runtime's float32 against float64: about 1e-7 on these shapes.
const oracleTolerance = 1e-5;

for (const layers of [[9], [9, 7]]) {
  test(`classifier of layers ${layers.join(',')}: ONNX Runtime gives the float64 oracle's logits at N = 1, 3 and 8`, async (t) => {
    const m: ModelConfig = { steps: 5, inputSize: 6, layers, classes: 11, forgetBias: 1 };
    const params = randomParams(m, 30 + layers.length);
    const onnx = toOnnx(m, params, { name: 'mnist' });
    assert.deepEqual(onnx.input, { name: 'input', type: 'float32', shape: ['N', 5, 6] });
    assert.deepEqual(onnx.output, { name: 'logits', type: 'float32', shape: ['N', 11] });
    const s = await session(onnx.bytes);
    assert.deepEqual([s.inputNames, s.outputNames], [['input'], ['logits']]);
    const meta = s.inputMetadata[0];
    assert.ok(meta.isTensor && meta.type === 'float32');
    assert.deepEqual(meta.shape, ['N', 5, 6], 'a symbolic batch dimension');
    let worst = 0;
    for (const N of [1, 3, 8]) {
      const rng = createRng(N);
      const x = Float32Array.from({ length: N * 5 * 6 }, () => rng.next());
      const { logits } = await s.run({ input: new ort.Tensor('float32', x, [N, 5, 6]) });
      assert.deepEqual(logits.dims, [N, 11]);
      const ref = stackForward(m, stackParamsOf(m, toFloat64(params)), timeMajor(x, N, 5, 6), new Array(N).fill(0), N).logits;
      worst = Math.max(worst, close(`N=${N} logits`, logits.data as Float32Array, ref, oracleTolerance));
    }
    t.diagnostic(`worst relative error ${worst.toExponential(2)}`);
    await s.release();
  });
}

test('language model: int64 tokens through OneHot, logits at every step match the LM oracle, at any length T', async (t) => {
  const m = languageModel(6, 5, [7, 4]);
  const params = randomParams(m, 40);
  const onnx = toOnnx(m, params, { name: 'text', vocabulary: ['a', 'b', 'c', 'd', 'e'] });
  assert.deepEqual(onnx.input, { name: 'tokens', type: 'int64', shape: ['N', 'T'] });
  assert.deepEqual(onnx.output, { name: 'logits', type: 'float32', shape: ['N', 'T', 5] });
  const s = await session(onnx.bytes);
  const N = 3;
  const rng = createRng(41);
  const tokens = Array.from({ length: N * 6 }, () => rng.int(5)); // (N, T)
  let worst = 0;
  for (const T of [6, 4]) { // T = 4: the first four steps of the same windows
    const window = (n: number): number[] => tokens.slice(n * 6, n * 6 + T);
    const ids = BigInt64Array.from(Array.from({ length: N }, (_, n) => window(n)).flat().map(BigInt));
    const { logits } = await s.run({ tokens: new ort.Tensor('int64', ids, [N, T]) });
    assert.deepEqual(logits.dims, [N, T, 5]);
    // The oracle reads (t, n) order and gives (T*N, V) rows in that order; ONNX's are (N, T, V).
    const timeOrder = Array.from({ length: T * N }, (_, r) => window(r % N)[Math.floor(r / N)]);
    const f = lmForward({ steps: T, vocab: 5, layers: m.layers, forgetBias: m.forgetBias }, stackParamsOf(m, toFloat64(params)), timeOrder, timeOrder, N);
    const ref = new Float64Array(N * T * 5);
    for (let r = 0; r < T * N; r++) ref.set(f.logits.subarray(r * 5, r * 5 + 5), ((r % N) * T + Math.floor(r / N)) * 5);
    worst = Math.max(worst, close(`T=${T} logits`, logits.data as Float32Array, ref, oracleTolerance));
  }
  t.diagnostic(`worst relative error ${worst.toExponential(2)}`);
  await s.release();
});

test('the metadata says how to feed each task: the pixel order of a permuted pixel-mnist model, a text model\'s vocabulary', () => {
  const rows: ModelConfig = { steps: 28, inputSize: 28, layers: [4], classes: 10, forgetBias: 1 };
  assert.deepEqual(toOnnx(rows, randomParams(rows, 1), { name: 'mnist' }).metadata, {
    task: 'mnist', steps: '28',
    input: 'input: float32 (N, 28, 28), an MNIST image row by row (28 rows of 28 pixels), each byte / 255',
    output: 'logits per sequence (argmax is the class)',
  });
  const pixels: ModelConfig = { ...rows, steps: 784, inputSize: 1 };
  const permuted = toOnnx(pixels, randomParams(pixels, 2), { name: 'pixel-mnist', permute: 7 }).metadata;
  assert.deepEqual(JSON.parse(permuted.pixel_order), Array.from(pixelPermutation(784, 7)));
  assert.equal(permuted.permute, '7');
  assert.match(permuted.input, /^input: float32 \(N, 784, 1\), an MNIST image.s pixels one per step in the order of metadata "pixel_order" \(step k reads row-major pixel pixel_order\[k\]\), each byte \/ 255$/);
  assert.equal(toOnnx(pixels, randomParams(pixels, 2), { name: 'pixel-mnist' }).metadata.pixel_order, undefined, 'no permutation: row-major');
  const lm = languageModel(10, 3, [4]);
  const text = toOnnx(lm, randomParams(lm, 3), { name: 'text', vocabulary: ['a', 'b', 'c'] } as Task).metadata;
  assert.equal(text.vocabulary, '["a","b","c"]');
  assert.match(text.input, /^tokens: int64 \(N, T\), symbol ids 0\.\.2: id n is the character vocabulary\[n\]/);
  // The library's own sequences (no MNIST shape) are described by their shape.
  const own: ModelConfig = { steps: 20, inputSize: 1, layers: [3], classes: 2, forgetBias: 1 };
  assert.match(toOnnx(own, randomParams(own, 4), { name: 'mnist' }).metadata.input, /N sequences of 20 steps of 1 values, as the model was trained on/);
});

test('npm run export -- --to onnx writes a model file ONNX Runtime runs on MNIST rows; bad --to values get one error line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-export-'));
  const m: ModelConfig = { steps: 28, inputSize: 28, layers: [6, 5], classes: 10, forgetBias: 1 };
  const params = randomParams(m, 50);
  writeFileSync(join(dir, 'model.safetensors'), saveModelBytes(m, params, {}));
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  const ok = run('--model', join(dir, 'model.safetensors'), '--to', 'onnx', '--out', join(dir, 'model.onnx'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.match(ok.stdout, /^Wrote .*model\.onnx: ONNX \(opset 14\) of an LSTM of 2 layers of 6, 5 and a dense head; input "input" float32 \(N, 28, 28\), output "logits" float32 \(N, 10\); its metadata says how to feed it\.\n$/);
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  assert.deepEqual(bytes, toOnnx(m, params, { name: 'mnist' }).bytes, 'the bytes toOnnx gives');
  const s = await session(bytes);
  const { test: images } = await loadMnist();
  const N = 4;
  const x = Float32Array.from(images.pixels.subarray(0, N * 784), (v) => v / 255);
  const { logits } = await s.run({ input: new ort.Tensor('float32', x, [N, 28, 28]) });
  assert.deepEqual(logits.dims, [N, 10]);
  const ref = stackForward(m, stackParamsOf(m, toFloat64(params)), timeMajor(x, N, 28, 28), new Array(N).fill(0), N).logits;
  close('CLI model logits', logits.data as Float32Array, ref, oracleTolerance);
  await s.release();

  for (const [args, message] of [
    [['--to', 'tensorflow'], /^error: --to: expected pytorch \(a PyTorch state_dict\), onnx \(an ONNX model\) or keras \(a Keras \.weights\.h5\), got "tensorflow"\. Run with --help for usage\.\n$/],
    [['--to', 'keras'], /^error: --out .*x\.onnx: Keras's load_weights reads this layout only from a name ending in \.weights\.h5/],
    [['--to', 'ONNX'], /^error: --to: expected pytorch .*, onnx .* or keras .*, got "ONNX"/],
    [['--to'], /^error: --to needs a value, but it is followed by the flag --out/],
  ] as const) {
    const r = run('--model', join(dir, 'model.safetensors'), ...args, '--out', join(dir, 'x.onnx'));
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const help = run('--help');
  assert.match(help.stdout, /--to onnx {7}an ONNX model/);
});
