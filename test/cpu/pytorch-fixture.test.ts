// State_dicts written by real PyTorch (1.13, Debian's python3-torch) load to the function PyTorch computes:
// test/fixtures/pytorch/ holds nn.LSTM(28, 6, num_layers=2) + nn.Linear(6, 10) with PyTorch's own random
// initialisation, in float32 and float16, and the logits PyTorch gave for the first 4 MNIST test images
// (scripts/fixtures/pytorch-check.py make wrote them). Our loader and our float64 oracle must reproduce
// those logits: PyTorch's arithmetic, not our writer's, is the expected value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIdxImages, parseIdxLabels } from '../../src/data/idx.ts';
import { locateMnist, mnistFileNames } from '../../src/data/mnist.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';

const fixtures = 'test/fixtures/pytorch';
const torchLogits = JSON.parse(readFileSync(join(fixtures, 'torch-logits.json'), 'utf8')) as {
  labels: number[]; logits_f64: number[][]; logits_f32: number[][]; logits_f16_weights_f64: number[][];
};

/** The first n MNIST test images as the oracle reads them, time-major (T=28 rows, n, I=28) float32(pixels / 255) as torch makes them, and their labels. */
function firstTestImages(n: number): { x: Float64Array; labels: Uint8Array } {
  const dir = locateMnist();
  const images = parseIdxImages(new Uint8Array(readFileSync(join(dir, mnistFileNames.testImages))), 'test images');
  const labels = parseIdxLabels(new Uint8Array(readFileSync(join(dir, mnistFileNames.testLabels))), 'test labels');
  const x = new Float64Array(n * 784);
  for (let b = 0; b < n; b++) for (let t = 0; t < 28; t++) for (let i = 0; i < 28; i++) x[(t * n + b) * 28 + i] = Math.fround(images.pixels[b * 784 + t * 28 + i] / 255);
  return { x, labels: labels.subarray(0, n) };
}

function oracleLogits(file: string): { logits: Float64Array; conversion?: string } {
  const { config, params, conversion } = loadModelBytes(new Uint8Array(readFileSync(join(fixtures, file))), file);
  assert.deepEqual(config, { steps: 28, inputSize: 28, layers: [6, 6], classes: 10, forgetBias: 0 });
  const { x, labels } = firstTestImages(4);
  assert.deepEqual([...labels], torchLogits.labels);
  return { logits: stackForward(config, stackParamsOf(config, toFloat64(params)), x, labels, 4).logits, conversion };
}

test('a float32 state_dict from PyTorch: our float64 oracle gives PyTorch\'s float64 logits (1e-7) and its float32 ones (1e-5)', () => {
  const { logits, conversion } = oracleLogits('lstm2-f32.safetensors');
  assert.equal(conversion, undefined);
  // Our one bias is bias_ih + bias_hh rounded to float32 (PyTorch keeps two): measured differences up to 5e-9.
  torchLogits.logits_f64.flat().forEach((v, i) => assert.ok(Math.abs(logits[i] - v) <= 1e-7, `logit ${i}: ours ${logits[i]}, torch float64 ${v}`));
  // torch's float32 forward rounds at every step: measured differences are about 1e-7.
  torchLogits.logits_f32.flat().forEach((v, i) => assert.ok(Math.abs(logits[i] - v) <= 1e-5, `logit ${i}: ours ${logits[i]}, torch float32 ${v}`));
});

test('the same state_dict saved in float16 (model.half()) converts exactly and gives PyTorch\'s logits of the half weights', () => {
  const { logits, conversion } = oracleLogits('lstm2-f16.safetensors');
  // Sums of two halves are exact in float32, so here the match is to float64 rounding.
  assert.equal(conversion, 'converted 10 tensors from float16 to float32 (exact)');
  torchLogits.logits_f16_weights_f64.flat().forEach((v, i) => assert.ok(Math.abs(logits[i] - v) <= 1e-12, `logit ${i}: ours ${logits[i]}, torch ${v}`));
  // And the half weights are not the float32 ones: the fixture would catch a converter that ignored them.
  assert.ok(torchLogits.logits_f64.flat().some((v, i) => Math.abs(logits[i] - v) > 1e-6));
});

test('PyTorch\'s half-precision state_dict through npm run export -- --to onnx: ONNX Runtime gives PyTorch\'s logits; the CLI notes the conversion', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const ort = await import('onnxruntime-node');
  const out = join(mkdtempSync(join(tmpdir(), 'pt-onnx-')), 'm.onnx');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', join(fixtures, 'lstm2-f16.safetensors'), '--to', 'onnx', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `note: ${join(fixtures, 'lstm2-f16.safetensors')}: converted 10 tensors from float16 to float32 (exact)\n`);
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(out)), { logSeverityLevel: 3 });
  const dir = locateMnist();
  const pixels = parseIdxImages(new Uint8Array(readFileSync(join(dir, mnistFileNames.testImages))), 'test images').pixels.subarray(0, 4 * 784);
  const { logits } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(pixels, (v) => v / 255), [4, 28, 28]) });
  const got = logits.data as Float32Array;
  torchLogits.logits_f16_weights_f64.flat().forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-5, `logit ${i}: ONNX Runtime ${got[i]}, PyTorch ${v}`));
  await session.release();
});
