// npm run train -- [flags]: train the LSTM on MNIST through WebGPU, then report test-set accuracy.
import { rename, writeFile } from 'node:fs/promises';
import { splitTrainValidation } from '../data/dataset.ts';
import { loadMnist, mnistClasses } from '../data/mnist.ts';
import { createNodeGpu } from '../gpu/node-gpu.ts';
import { saveModelBytes } from '../io/model-file.ts';
import { type ModelConfig, referenceModel } from '../train/model.ts';
import { createTrainer, defaultAdam } from '../train/trainer.ts';
import { parseTrainArgs, trainUsage } from './args.ts';
import { createReporter, describeAdapterForUser, runMain } from './output.ts';

runMain(async () => {
  const opts = parseTrainArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(trainUsage);
    return;
  }
  const out = createReporter(opts.json);
  const mnist = await loadMnist(opts.data);
  const { train, validation } = splitTrainValidation(mnist.train);
  const model: ModelConfig = { ...referenceModel, steps: train.rows, inputSize: train.cols, hidden: opts.hidden, classes: mnistClasses };
  const totalSteps = opts.steps ?? opts.epochs * Math.ceil(train.count / opts.batch);

  const ctx = await createNodeGpu({ adapter: opts.adapter, log: (m) => process.stderr.write(`${m}\n`) });
  describeAdapterForUser(ctx.adapter).forEach((l) => out.say(l));
  out.say(`Model: LSTM T=${model.steps} I=${model.inputSize} H=${model.hidden} C=${model.classes}; batch ${opts.batch}, Adam lr ${opts.lr}, seed ${opts.seed}`);
  out.say(`Data: ${train.count} training, ${validation.count} validation, ${mnist.test.count} test images; ${totalSteps} steps`);

  const trainer = await createTrainer(
    ctx,
    { model, batch: opts.batch, adam: { ...defaultAdam, lr: opts.lr }, seed: opts.seed },
    { train, validation, test: mnist.test },
  );
  out.say(`Plan: ${(trainer.plan.bytes / 2 ** 20).toFixed(1)} MiB of GPU buffers; ${2 * model.steps + 6} dispatches and 1 submit per step`);

  const started = performance.now();
  for (let s = 1; s <= totalSteps; s++) {
    const log = s % opts.logEvery === 0 || s === 1 || s === totalSteps;
    const stats = await trainer.trainStep({ stats: log });
    const seconds = (performance.now() - started) / 1000;
    const rate = (s * opts.batch) / seconds;
    out.progress(s, totalSteps, rate, (totalSteps - s) * (seconds / s));
    if (stats) {
      out.say(`Iter ${s * opts.batch}, Minibatch Loss= ${stats.loss.toFixed(6)}, Training Accuracy= ${stats.accuracy.toFixed(5)}  (step ${s}/${totalSteps}, ${rate.toFixed(1)} samples/s)`);
      out.event({ event: 'step', step: s, loss: stats.loss, accuracy: stats.accuracy, samplesPerSec: rate, elapsedSec: seconds });
    }
  }
  await trainer.flush();
  const trainSeconds = (performance.now() - started) / 1000;
  const samplesPerSec = (totalSteps * opts.batch) / trainSeconds;
  out.say(`Optimization Finished! ${totalSteps} steps in ${trainSeconds.toFixed(1)} s, ${samplesPerSec.toFixed(1)} samples/s`);

  const test = await trainer.evaluate('test');
  out.say(`Testing Accuracy: ${test.accuracy.toFixed(4)} on ${test.count} test images (loss ${test.loss.toFixed(4)})`);

  if (opts.out) {
    const params = await trainer.readParams();
    const bytes = saveModelBytes(model, params, {
      steps: String(totalSteps), batch: String(opts.batch), lr: String(opts.lr), seed: String(opts.seed),
      test_accuracy: test.accuracy.toFixed(4),
    });
    const tmp = `${opts.out}.tmp-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, opts.out);
    out.say(`Saved the model to ${opts.out}`);
  }
  out.event({
    event: 'done', testAccuracy: test.accuracy, testLoss: test.loss, steps: totalSteps, batch: opts.batch,
    trainSeconds, samplesPerSec, dispatchesPerStep: trainer.dispatchesPerStep, submitsPerStep: trainer.submitsPerStep,
    adapter: ctx.adapter, model: opts.out ?? null,
  });
  trainer.destroy();
  ctx.destroy();
});
