// npm run eval -- --model FILE: accuracy of a saved model on the 10,000 MNIST test images.
import { loadMnist } from '../data/mnist.ts';
import { taskFlags, taskView } from '../data/tasks.ts';
import { createNodeGpu } from '../gpu/node-gpu.ts';
import { readModelFile } from './model-input.ts';
import { createTrainer, defaultAdam } from '../train/trainer.ts';
import { UserError } from '../user-error.ts';
import { type EvalOptions, evalUsage, parseEvalArgs } from './args.ts';
import type { Task } from '../data/tasks.ts';
import type { ModelConfig, Tensors } from '../train/model.ts';
import { bits, loadTextData } from './text-task.ts';
import { createReporter, describeAdapterForUser, modelLayers, runMain } from './output.ts';

/** A text model's loss on the last 10% of its text (or of --text), in bits per character. */
async function evaluateText(opts: EvalOptions, config: ModelConfig, params: Tensors, task: Task): Promise<void> {
  const out = createReporter(opts.json);
  const data = await loadTextData(opts.text ?? task.source, config.steps, config.layers, task.vocabulary, opts.model);
  const ctx = await createNodeGpu({ adapter: opts.adapter, log: (m) => process.stderr.write(`${m}\n`) });
  describeAdapterForUser(ctx.adapter).forEach((l) => out.say(l));
  out.say(`Model: ${opts.model} (character-level language model, T=${config.steps} V=${config.inputSize} ${modelLayers(config)}); text: ${data.source}`);
  const evaluator = await createTrainer(ctx, { model: config, batch: opts.batch, adam: defaultAdam, seed: 0 }, { validation: data.validation }, params);
  const started = performance.now();
  const result = await evaluator.evaluate('validation');
  const seconds = (performance.now() - started) / 1000;
  out.say(`Validation loss: ${bits(result.loss)} over ${result.count} held-out windows of ${config.steps} characters (next-character accuracy ${result.accuracy.toFixed(4)}, ${seconds.toFixed(1)} s)`);
  out.event({ event: 'done', validationLoss: result.loss, validationBitsPerChar: result.loss / Math.LN2, validationAccuracy: result.accuracy, count: result.count, seconds, adapter: ctx.adapter, model: opts.model });
  evaluator.destroy();
  ctx.destroy();
}

runMain(async () => {
  const opts = parseEvalArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(evalUsage);
    return;
  }
  const out = createReporter(opts.json);
  const { config, params, task } = await readModelFile(opts.model);
  if (task.name === 'text') return evaluateText(opts, config, params, task);
  if (opts.text !== undefined) throw new UserError(`--text is for a text model, and ${opts.model} is a ${task.name} classifier: drop --text`);
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
