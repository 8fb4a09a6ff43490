// The ONNX export (src/io/onnx.ts) against our engine: models trained a few steps on the GPU, exported,
// and run in ONNX Runtime (onnxruntime-node, CPU) give the GPU forward pass's logits (Trainer.logits, the
// kernels `npm run eval` and predict() run) and the same predictions, fed as the file's metadata says:
//   - classifiers on real MNIST test images (rows / 255): one layer, and a stack of 9 and 7 units;
//   - permuted pixel-by-pixel MNIST (T=784): the ONNX input is built from the raw images through the
//     metadata's "pixel_order", the GPU reads the permuted copy the task makes (taskView);
//   - a character language model over int64 tokens: logits at every step (N, T, V).
// Tolerance: |ort - gpu| <= 1e-4 * max(1, |gpu|) per logit (both float32, summing in different orders;
// measured on lavapipe at most 1.7e-6, in each test's diagnostic).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { Dataset, ImageSet } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/data/mnist.ts';
import { type Task, taskView } from '../../src/data/tasks.ts';
import { buildVocabulary, encodeText, tokenSet } from '../../src/data/text.ts';
import { toOnnx } from '../../src/io/onnx.ts';
import { type ModelConfig, languageModel } from '../../src/train/model.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, withErrorScopes } from './harness.ts';

const tolerance = 1e-4;

const firstImages = (set: ImageSet, n: number): ImageSet => ({
  count: n, rows: set.rows, cols: set.cols,
  pixels: set.pixels.subarray(0, n * set.rows * set.cols),
  labels: set.labels.subarray(0, n),
});
let mnist: ReturnType<typeof loadMnist> | undefined;

/** Worst |ort - gpu| / max(1, |gpu|), asserting each within the tolerance. */
function compare(what: string, ortLogits: ArrayLike<number>, gpu: Float32Array): number {
  assert.equal(ortLogits.length, gpu.length, `${what}: as many logits`);
  let worst = 0;
  for (let i = 0; i < gpu.length; i++) {
    const e = Math.abs(ortLogits[i] - gpu[i]) / Math.max(1, Math.abs(gpu[i]));
    assert.ok(e <= tolerance, `${what}[${i}]: ONNX Runtime ${ortLogits[i]}, GPU ${gpu[i]}`);
    worst = Math.max(worst, e);
  }
  return worst;
}

/** The class of each row of C logits. */
const argmax = (logits: ArrayLike<number>, C: number): number[] =>
  Array.from({ length: logits.length / C }, (_, r) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[r * C + c] > logits[r * C + best]) best = c;
    return best;
  });

/** Trains `steps` steps on `train`, then the GPU's logits of `test` and the exported model's bytes. */
async function trainAndExport(
  ctx: NonNullable<Awaited<ReturnType<typeof gpuOrSkip>>>, model: ModelConfig, task: Task, train: Dataset, testSet: Dataset, steps: number, batch: number,
): Promise<{ gpu: Float32Array; onnx: ReturnType<typeof toOnnx> }> {
  return withErrorScopes(ctx.device, async () => {
    const tr = await createTrainer(ctx, { model, batch, adam: { ...defaultAdam, lr: 0.01 }, seed: 3 }, { train, test: testSet });
    try {
      for (let i = 0; i < steps; i++) await tr.trainStep();
      await tr.flush();
      return { gpu: await tr.logits('test'), onnx: toOnnx(model, await tr.readParams(), task) };
    } finally {
      tr.destroy();
    }
  });
}

const session = (bytes: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });

for (const layers of [[8], [9, 7]]) {
  test(`MNIST rows, layers ${layers.join(',')}: ONNX Runtime gives the GPU's logits and predictions on 100 test images`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { train, test: testImages } = await (mnist ??= loadMnist());
    const model: ModelConfig = { steps: 28, inputSize: 28, layers, classes: 10, forgetBias: 1 };
    const N = 100;
    const testSet = firstImages(testImages, N);
    const { gpu, onnx } = await trainAndExport(ctx, model, { name: 'mnist' }, firstImages(train, 2000), testSet, 60, 32);
    const s = await session(onnx.bytes);
    const x = Float32Array.from(testSet.pixels, (v) => v / 255); // as the metadata says: rows, bytes / 255
    const { logits } = await s.run({ input: new ort.Tensor('float32', x, [N, 28, 28]) });
    assert.deepEqual(logits.dims, [N, 10]);
    const worst = compare('logits', logits.data as Float32Array, gpu);
    const predicted = argmax(logits.data as Float32Array, 10);
    assert.deepEqual(predicted, argmax(gpu, 10), 'the same predictions');
    const accuracy = predicted.filter((c, n) => c === testSet.labels[n]).length / N;
    // Measured 0.44 for both (seed 3): trained weights, not an untrained model's near-chance guesses.
    assert.ok(accuracy > 0.25, `test accuracy ${accuracy} after 60 steps: the weights should have learned something`);
    t.diagnostic(`worst relative difference ${worst.toExponential(2)}; test accuracy after 60 steps ${accuracy}`);
    await s.release();
  });
}

test('permuted pixel-by-pixel MNIST (T=784): fed through the metadata\'s pixel_order, ONNX Runtime gives the GPU\'s logits', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const { train, test: testImages } = await (mnist ??= loadMnist());
  const task: Task = { name: 'pixel-mnist', permute: 5 };
  const model: ModelConfig = { steps: 784, inputSize: 1, layers: [6], classes: 10, forgetBias: 1 };
  const N = 16;
  const raw = firstImages(testImages, N);
  const { gpu, onnx } = await trainAndExport(ctx, model, task, taskView(firstImages(train, 64), task), taskView(raw, task), 3, 16);
  const order: number[] = JSON.parse(onnx.metadata.pixel_order);
  const x = new Float32Array(N * 784);
  for (let n = 0; n < N; n++) for (let k = 0; k < 784; k++) x[n * 784 + k] = raw.pixels[n * 784 + order[k]] / 255;
  const s = await session(onnx.bytes);
  const { logits } = await s.run({ input: new ort.Tensor('float32', x, [N, 784, 1]) });
  const worst = compare('logits', logits.data as Float32Array, gpu);
  assert.deepEqual(argmax(logits.data as Float32Array, 10), argmax(gpu, 10), 'the same predictions');
  t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
  await s.release();
});

test('character language model (layers 9,7): ONNX Runtime on int64 tokens gives the GPU\'s logits at every step', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const text = 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, ' +
    'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.';
  const vocabulary = buildVocabulary(text, 'the text');
  const symbols = encodeText(text, vocabulary, 'the text');
  const T = 12;
  const V = vocabulary.length;
  const model = languageModel(T, V, [9, 7]);
  const windows = tokenSet(symbols, T);
  const { gpu, onnx } = await trainAndExport(ctx, model, { name: 'text', vocabulary }, windows, windows, 5, 8);
  assert.deepEqual(JSON.parse(onnx.metadata.vocabulary), vocabulary);
  const N = windows.count;
  const ids = BigInt64Array.from(symbols.subarray(0, N * T), (v) => BigInt(v)); // window n: symbols n*T .. n*T+T-1
  const s = await session(onnx.bytes);
  const { logits } = await s.run({ tokens: new ort.Tensor('int64', ids, [N, T]) });
  assert.deepEqual(logits.dims, [N, T, V]);
  const worst = compare('logits', logits.data as Float32Array, gpu);
  assert.deepEqual(argmax(logits.data as Float32Array, V), argmax(gpu, V), 'the same next-symbol predictions');
  t.diagnostic(`${N} windows of ${T} symbols, V=${V}; worst relative difference ${worst.toExponential(2)}`);
  await s.release();
});
