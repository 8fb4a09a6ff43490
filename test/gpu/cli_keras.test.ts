// Keras files through the CLIs, as a user passes them: `npm run eval -- --model KERAS.h5` scores the 10,000
// MNIST test images with the imported weights (the loss and accuracy our float64 oracle gives the same
// weights), and `npm run train -- --init KERAS.weights.h5` starts from them (the first step's loss is the
// one from our own file of the same model). test/fixtures/keras: scripts/fixtures/make-keras-fixtures.py.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadMnist } from '../../src/data/mnist.ts';
import { kerasModel } from '../../src/io/keras.ts';
import { saveModelBytes } from '../../src/io/model-file.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { trainCli } from '../support/train-cli.ts';
import { gpuOrSkip } from './harness.ts';

const fixtures = 'test/fixtures/keras';

test('npm run eval -- --model KERAS.h5 gives the test loss and accuracy the float64 oracle gives the Keras weights', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const { test: images } = await loadMnist();
  const N = images.count;
  const x = new Float64Array(28 * N * 28); // time-major (T, N, I), pixels / 255 as the GPU reads them
  for (let n = 0; n < N; n++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) x[(r * N + n) * 28 + c] = Math.fround(images.pixels[n * 784 + r * 28 + c] / 255);
  for (const file of ['keras2-lstm.h5', 'keras3-lstm.weights.h5']) {
    const path = join(fixtures, file);
    const { config, params } = await kerasModel(new Uint8Array(readFileSync(path)), file);
    const oracle = stackForward(config, stackParamsOf(config, toFloat64(params)), x, images.labels, N);
    const accuracy = oracle.correct.reduce((a, b) => a + b, 0) / N;
    const r = spawnSync(process.execPath, ['scripts/quiet-dawn.mjs', 'src/cli/eval.ts', '--model', path, '--batch', '500', '--json'], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const done = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).find((e) => e.event === 'done');
    assert.equal(done.count, N);
    // float32 on the GPU against float64: relative difference of the mean loss measured 1.6e-8 on lavapipe.
    assert.ok(Math.abs(done.testLoss - oracle.loss) <= 1e-5 * oracle.loss, `${file}: GPU test loss ${done.testLoss}, oracle ${oracle.loss}`);
    assert.ok(Math.abs(done.testAccuracy - accuracy) <= 2 / N, `${file}: GPU accuracy ${done.testAccuracy}, oracle ${accuracy}`);
  }
});

test('npm run train -- --init KERAS.weights.h5 starts from the Keras weights (the same first loss as from our file of them)', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'keras-init-'));
  const path = join(fixtures, 'keras3-lstm.weights.h5');
  const { config, params, task } = await kerasModel(new Uint8Array(readFileSync(path)), path);
  writeFileSync(join(dir, 'same.safetensors'), saveModelBytes(config, params, {}, task));
  const small = ['--batch', '20', '--steps', '1', '--log-every', '1', '--json', '--no-tune'];
  const keras = await trainCli([...small, '--init', path]);
  const ours = await trainCli([...small, '--init', join(dir, 'same.safetensors')]);
  assert.equal(keras.status, 0, keras.stderr);
  assert.equal(ours.status, 0, ours.stderr);
  const loss = (r: typeof ours): number => r.events.find((e) => e.event === 'step' && e.step === 1)!.loss;
  assert.equal(loss(keras), loss(ours));
});
