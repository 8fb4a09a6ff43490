// npm run eval -- --model FILE: accuracy of a saved model on the 10,000 MNIST test images.
import { readFile } from 'node:fs/promises';
import { loadMnist } from '../data/mnist.ts';
import { taskFlags, taskView } from '../data/tasks.ts';
import { createNodeGpu } from '../gpu/node-gpu.ts';
import { loadModelBytes } from '../io/model-file.ts';
import { createTrainer, defaultAdam } from '../train/trainer.ts';
import { UserError } from '../user-error.ts';
import { evalUsage, parseEvalArgs } from './args.ts';
import { createReporter, describeAdapterForUser, modelLayers, runMain } from './output.ts';

runMain(async () => {
  const opts = parseEvalArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(evalUsage);
    return;
  }
  const out = createReporter(opts.json);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(opts.model));
  } catch (e) {
    throw new UserError(`--model ${opts.model}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Pass a model saved by \`npm run train -- --out FILE\`.`);
  }
  const { config, params, task } = loadModelBytes(bytes, opts.model);
  // The test set read as the model was trained (its metadata's task: rows, pixels, permuted pixels).
  const test = taskView((await loadMnist(opts.data)).test, task);
  if (test.rows !== config.steps || test.cols !== config.inputSize) {
    throw new UserError(`--model ${opts.model} reads ${config.steps} steps of ${config.inputSize} inputs, but ${taskFlags(task)} reads the test images as ${test.rows} steps of ${test.cols}`);
  }
  const ctx = await createNodeGpu({ adapter: opts.adapter, log: (m) => process.stderr.write(`${m}\n`) });
  describeAdapterForUser(ctx.adapter).forEach((l) => out.say(l));
  out.say(`Model: ${opts.model} (LSTM T=${config.steps} I=${config.inputSize} ${modelLayers(config)} C=${config.classes}${task.name === 'mnist' ? '' : `; ${taskFlags(task)}`})`);
  const evaluator = await createTrainer(ctx, { model: config, batch: opts.batch, adam: defaultAdam, seed: 0 }, { test }, params);
  const started = performance.now();
  const result = await evaluator.evaluate('test');
  const seconds = (performance.now() - started) / 1000;
  out.say(`Testing Accuracy: ${result.accuracy.toFixed(4)} on ${result.count} test images (loss ${result.loss.toFixed(4)}, ${seconds.toFixed(1)} s)`);
  out.event({ event: 'done', testAccuracy: result.accuracy, testLoss: result.loss, count: result.count, seconds, adapter: ctx.adapter, model: opts.model });
  evaluator.destroy();
  ctx.destroy();
});
