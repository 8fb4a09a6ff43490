// The README's library example, run exactly as written there (so the documentation cannot rot): it must
// train its two-layer model on a task that is not MNIST and report a test accuracy well above chance.
// Then the API's refusals of wrong data, each with a message that names the problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTrainer, lstmClassifier, resumeTrainer } from '../../src/node.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { UserError } from '../../src/user-error.ts';
import { gpuOrSkip } from './harness.ts';

const readme = readFileSync('README.md', 'utf8');

test('the README library example runs as written: two layers learn whether a sum is positive', { timeout: 600_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const found = /<!-- library-example -->\n```ts\n([\s\S]*?)```\n<!-- \/library-example -->/.exec(readme);
  assert.ok(found, 'the README has the example between its markers');
  const code = found[1];
  assert.ok(code.split('\n').length <= 31, `the example is under 30 lines (${code.split('\n').length - 1})`);
  // Inside the project, so that 'webgpu-lstm/node' resolves to this package (a self-reference by name).
  const dir = mkdtempSync(join('test', '.library-example-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code);
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'example.ts'], { cwd: dir, encoding: 'utf8', timeout: 500_000 });
  spawnSync('rm', ['-rf', dir]);
  assert.equal(run.status, 0, `the example exits 0: ${run.stderr}`);
  t.diagnostic(run.stdout.trim());
  const epochs = run.stdout.match(/^epoch \d+: loss [\d.]+, validation accuracy [\d.]+$/gm) ?? [];
  assert.equal(epochs.length, 4, 'one line per epoch');
  const accuracy = Number(/test accuracy ([\d.]+)/.exec(run.stdout)?.[1]);
  // Chance is about 0.5; measured 0.97 here (lavapipe).
  assert.ok(accuracy > 0.85, `the model learned the task: test accuracy ${accuracy}`);
  const p = Number(/with probability ([\d.]+)/.exec(run.stdout)?.[1]);
  assert.ok(p >= 0 && p <= 1, `a probability: ${p}`);
});

test('the API refuses wrong data with messages that say what is wrong', async (t) => {
  const gpu = await gpuOrSkip(t);
  if (!gpu) return;
  const model = lstmClassifier({ steps: 4, inputSize: 2, layers: [6, 5], classes: 3 });
  const good = { x: new Float32Array(10 * 8).map((_, i) => Math.sin(i)), y: Uint8Array.from({ length: 10 }, (_, i) => i % 3) };
  const refuses = async (what: string, f: () => Promise<unknown> | unknown, message: RegExp): Promise<void> => {
    await assert.rejects(async () => f(), (e: Error) => {
      assert.ok(e instanceof UserError, `${what}: a UserError, not ${e.name}: ${e.message}`);
      assert.match(e.message, message, what);
      return true;
    });
  };
  await refuses('a ragged x', () => createTrainer(gpu, model, { x: new Float32Array(81), y: good.y }), /holds 81 values, not a whole number of sequences of 4 steps x 2 inputs/);
  await refuses('labels out of range', () => createTrainer(gpu, model, { x: good.x, y: [0, 1, 2, 3, 0, 0, 0, 0, 0, 0] }), /train\.y\[3\] is 3: labels must be whole numbers from 0 to 2/);
  await refuses('fewer labels', () => createTrainer(gpu, model, { x: good.x, y: [0, 1] }), /10 sequences in x but 2 labels in y/);
  await refuses('NaN inputs', () => createTrainer(gpu, model, { x: good.x.slice().fill(Number.NaN, 37, 38), y: good.y }), /sequence 4 holds NaN at timestep 2, feature 1/);
  await refuses('an empty set', () => createTrainer(gpu, model, { x: new Float32Array(0), y: [] }), /no sequences/);
  await refuses('not a typed array', () => createTrainer(gpu, model, { x: [1, 2] as unknown as Float32Array, y: [0] }), /expected a Float32Array or Uint8Array of shape \(N, 4, 2\), got Array/);
  await refuses('no layers', () => lstmClassifier({ steps: 4, inputSize: 2, layers: [], classes: 3 }), /no LSTM layers/);
  await refuses('over the device limits', () => createTrainer(gpu, lstmClassifier({ steps: 4000, inputSize: 2, layers: [2048], classes: 3 }), { x: new Float32Array(4000 * 2), y: [0] }, { batchSize: 64 }),
    /over this device's maxStorageBufferBindingSize/);

  // And what it does with good data: predict gives probabilities, save/checkpoint round-trip, resume is exact.
  const tr = await createTrainer(gpu, model, good, { batchSize: 4, lr: 0.05 });
  try {
    await tr.fit({ steps: 3 });
    const probs = await tr.predict(good.x);
    assert.equal(probs.length, 30);
    for (let n = 0; n < 10; n++) assert.ok(Math.abs(probs[3 * n] + probs[3 * n + 1] + probs[3 * n + 2] - 1) < 1e-5, `row ${n} sums to 1`);
    const saved = loadModelBytes(await tr.save(), 'saved');
    assert.deepEqual(saved.config.layers, [6, 5]);
    // Other formats: the PyTorch state_dict reads back to the same layers; ONNX Runtime gives predict's probabilities.
    assert.deepEqual(loadModelBytes(await tr.save('pytorch'), 'pt').config.layers, [6, 5]);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(await tr.save('onnx'), { logSeverityLevel: 3 });
    const { logits } = await session.run({ input: new ort.Tensor('float32', good.x, [10, 4, 2]) });
    const z = logits.data as Float32Array;
    for (let n = 0; n < 10; n++) {
      const e = [0, 1, 2].map((c) => Math.exp(z[3 * n + c]));
      const sum = e[0] + e[1] + e[2];
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(e[c] / sum - probs[3 * n + c]) < 1e-4, `row ${n} class ${c}: ONNX ${e[c] / sum}, predict ${probs[3 * n + c]}`);
    }
    await session.release();
    await refuses('an unknown save format', () => tr.save('tflite' as 'onnx'), /save: format "tflite" is not one of webgpu-lstm, pytorch, onnx, keras/);
    const ckpt = await tr.checkpoint();
    const logged: number[] = [];
    for await (const s of tr.steps({ steps: 4, logEvery: 1 })) logged.push(s.loss);
    const again = await resumeTrainer(gpu, ckpt, good);
    const resumed: number[] = [];
    for await (const s of again.steps({ steps: 4, logEvery: 1 })) resumed.push(s.loss);
    again.destroy();
    assert.deepEqual(resumed, logged, 'a resumed trainer logs the very same losses');
  } finally {
    tr.destroy();
  }
});
