// npm run train -- [flags]: train the LSTM on MNIST through WebGPU, then report test-set accuracy; or with
// --task text a character-level language model of a text (text-task.ts), reported in bits per character.
// Checkpoints (--checkpoint, --resume), Ctrl-C, lost devices and non-finite training are handled by
// src/train/session.ts; this file wires it to files and the terminal.
import { existsSync } from 'node:fs';
import { splitTrainValidation } from '../data/dataset.ts';
import { loadMnist, mnistClasses } from '../data/mnist.ts';
import { defaultTask, taskFlags, taskView } from '../data/tasks.ts';
import { createNodeGpu } from '../gpu/node-gpu.ts';
import { readFileChecked, writeFileAtomic } from '../io/atomic-file.ts';
import { type TrainingOptions, type TrainingState, checkResumeCompatible, decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.ts';
import { saveModelBytes } from '../io/model-file.ts';
import { type ModelConfig, referenceModel } from '../train/model.ts';
import { type LrSchedule, constantSchedule, describeSchedule, makeSchedule } from '../train/lr-schedule.ts';
import { runSession } from '../train/session.ts';
import { type TuningCache, type TuningOutcome, outcomeTuning, tuneAtFirstUse, tuningFacts } from '../train/first-use.ts';
import { describeTuning, planTuning } from '../train/tuner.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { PlanTuning } from '../train/plan.ts';
import { loadTuning, saveTuning, tuningFile } from './tuning-cache.ts';
import { defaultAdam } from '../train/trainer.ts';
import { type TrainOptions, parseTrainArgs, trainUsage } from './args.ts';
import { UserError } from '../user-error.ts';
import { createReporter, describeAdapterForUser, formatSeconds, modelLayers, runMain } from './output.ts';
import { readModelFile } from './model-input.ts';
import type { Dataset } from '../data/dataset.ts';
import { type TextData, bits, checkStatefulBatch, createRunSampler, loadTextData, textStepsPerEpoch } from './text-task.ts';

/** Options of a resumed run: flags given on the command line, else the checkpoint's. */
function resumedOptions(opts: TrainOptions, saved: TrainingState): { layers: number[]; seq: number; options: TrainingOptions } {
  const given = (flag: string): boolean => opts.explicit.includes(flag);
  const savedTask = saved.options.task ?? defaultTask;
  // A text run's task carries its vocabulary: --task text asks for the same task as the checkpoint's.
  const task = !given('task') || (opts.task.name === 'text' && savedTask.name === 'text') ? savedTask : opts.task;
  const stateful = given('stateful') ? opts.stateful : saved.options.stateful === true;
  return {
    layers: given('hidden') || given('layers') ? opts.layers : saved.config.layers,
    seq: given('seq') ? opts.seq : saved.config.steps,
    options: {
      batch: given('batch') ? opts.batch : saved.options.batch,
      lr: given('lr') ? opts.lr : saved.options.lr,
      seed: given('seed') ? opts.seed : saved.options.seed,
      clipNorm: given('clip-norm') ? opts.clipNorm : saved.options.clipNorm,
      task,
      ...(stateful ? { stateful } : {}),
    },
  };
}

/** The run's data and model: MNIST (rows or pixels) with a test set, or a text's windows. */
interface RunData {
  model: ModelConfig;
  datasets: Record<string, Dataset> & { train: Dataset; validation: Dataset };
  stepsPerEpoch: number;
  dataLine: string;
  text?: TextData;
}

async function mnistData(opts: TrainOptions, layers: number[], options: TrainingOptions): Promise<RunData> {
  const task = options.task ?? defaultTask;
  const mnist = await loadMnist(opts.data);
  const { train, validation } = splitTrainValidation(taskView(mnist.train, task));
  const test = taskView(mnist.test, task);
  return {
    model: { ...referenceModel, steps: train.rows, inputSize: train.cols, layers, classes: mnistClasses },
    datasets: { train, validation, test },
    stepsPerEpoch: Math.ceil(train.count / options.batch),
    dataLine: `${task.name === 'mnist' ? '' : `${taskFlags(task)}, `}${train.count} training, ${validation.count} validation, ${test.count} test images`,
  };
}

async function textData(opts: TrainOptions, layers: number[], seq: number, options: TrainingOptions): Promise<RunData> {
  // Resuming (or fine-tuning) without --text reads the text the checkpoint (or model) learned: its task names the file.
  const file = opts.text ?? (opts.resume || opts.init ? options.task?.source : undefined);
  const text = await loadTextData(file, seq, layers, options.task?.vocabulary, opts.resume);
  options.task = text.task;
  if (options.stateful) checkStatefulBatch(text.train, options.batch, seq);
  return {
    model: text.model,
    datasets: { train: text.train, validation: text.validation },
    stepsPerEpoch: textStepsPerEpoch(text.train, options.batch, options.stateful === true),
    dataLine: `${text.source}: ${text.characters} characters, ${text.task.vocabulary.length} distinct; ${text.train.count} training and ` +
      `${text.validation.count} validation windows of ${seq}${options.stateful ? ', stateful (h and c carried along each batch row\'s track)' : ''}`,
    text,
  };
}

/** The run's learning-rate schedule over `totalSteps`: the flags given, else (resuming) the checkpoint's. */
function runSchedule(opts: TrainOptions, totalSteps: number, saved?: LrSchedule): LrSchedule {
  const keep = (flag: string): boolean => saved !== undefined && !opts.explicit.includes(flag);
  const savedStep = saved?.kind === 'step' ? saved : undefined;
  const kind = keep('lr-schedule') ? saved!.kind : opts.lrSchedule;
  const stepOnly = opts.explicit.find((f) => f === 'lr-step-every' || f === 'lr-gamma');
  if (stepOnly && kind !== 'step') throw new UserError(`--${stepOnly} applies only to --lr-schedule step, and ${opts.resume} runs ${kind}: drop --${stepOnly}.`);
  return makeSchedule(kind, keep('warmup') ? saved!.warmup : opts.warmup, totalSteps, {
    every: savedStep && keep('lr-step-every') ? savedStep.every : opts.lrStepEvery,
    gamma: savedStep && keep('lr-gamma') ? savedStep.gamma : opts.lrGamma,
  });
}

async function loadCheckpointFile(path: string): Promise<TrainingState> {
  return decodeCheckpoint(await readFileChecked(path, 'checkpoint'), path);
}

runMain(async () => {
  const opts = parseTrainArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(trainUsage);
    return;
  }
  const out = createReporter(opts.json);
  const resume = opts.resume ? await loadCheckpointFile(opts.resume) : undefined;
  const init = opts.init ? await readModelFile(opts.init) : undefined;
  if (init && init.task.name !== opts.task.name) {
    throw new UserError(`--init ${opts.init} is a ${init.task.name} model, and this run's task is ${opts.task.name}: add --task ${init.task.name}`);
  }
  const checkpointPath = opts.checkpoint ?? opts.resume;
  const chosen: { layers: number[]; seq: number; options: TrainingOptions } = resume
    ? resumedOptions(opts, resume)
    : {
      layers: init?.config.layers ?? opts.layers,
      seq: init && opts.task.name === 'text' && !opts.explicit.includes('seq') ? init.config.steps : opts.seq,
      options: {
        batch: opts.batch, lr: opts.lr, seed: opts.seed, clipNorm: opts.clipNorm, task: init?.task ?? opts.task, ...(opts.stateful ? { stateful: true } : {}),
      },
    };
  if (chosen.options.stateful && chosen.options.task?.name !== 'text') throw new UserError('--stateful applies only to --task text');
  const data = chosen.options.task?.name === 'text'
    ? await textData(opts, chosen.layers, chosen.seq, chosen.options)
    : await mnistData(opts, chosen.layers, chosen.options);
  const task = chosen.options.task ?? defaultTask;
  const { text } = data;
  // A model to fine-tune keeps its own forget bias (0 for a PyTorch state_dict, whose biases hold it).
  const model: ModelConfig = init ? { ...data.model, forgetBias: init.config.forgetBias } : data.model;
  if (init && (init.config.inputSize !== model.inputSize || init.config.classes !== model.classes || init.config.steps !== model.steps && !text)) {
    throw new UserError(
      `--init ${opts.init} reads ${init.config.steps} steps of ${init.config.inputSize} inputs into ${init.config.classes} classes, ` +
        `but this run's data is ${model.steps} steps of ${model.inputSize} into ${model.classes}: pass a model of this task`,
    );
  }
  const train = data.datasets.train;
  const { batch } = chosen.options;
  const savedSchedule = resume ? (resume.options.schedule ?? constantSchedule) : undefined;
  // Resuming a cosine schedule without --steps or --epochs finishes it.
  const finish = savedSchedule?.kind === 'cosine' && !opts.explicit.some((f) => f === 'steps' || f === 'epochs') ? savedSchedule.steps : undefined;
  const asked = opts.steps ?? opts.epochs * data.stepsPerEpoch;
  const totalSteps = finish ?? asked;
  const schedule = runSchedule(opts, totalSteps, savedSchedule);
  if (schedule.kind !== 'constant' || schedule.warmup > 0) chosen.options.schedule = schedule; // absent: constant, as before schedules
  if (resume) checkResumeCompatible(resume, { config: model, options: chosen.options }, opts.resume!);

  let interrupted = false;
  const stopTuning = new AbortController();
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: stop now
    interrupted = true;
    stopTuning.abort(new Error('interrupted'));
    out.say(checkpointPath ? 'Interrupted: saving a checkpoint after this step (Ctrl-C again to quit now)...' : 'Interrupted: stopping after this step...');
  });

  let adapterShown = false;
  const cacheFile = opts.tuningCache ?? tuningFile;
  const warn = (m: string): void => { process.stderr.write(`warning: ${m}\n`); };
  /** This run's scheduler and workgroup sizes, decided on its first device (a recovered device gets the same). */
  let sizes: Promise<PlanTuning | undefined> | undefined;
  const workgroupSizes = (ctx: GpuContext): Promise<PlanTuning | undefined> => (sizes ??= chooseSizes(ctx).catch((e: unknown) => {
    sizes = undefined;
    throw e;
  }));
  /** How this run's tuning went, for the done event. */
  let tuned: TuningOutcome = { source: 'off' };
  const chooseSizes = async (ctx: GpuContext): Promise<PlanTuning | undefined> => {
    const cache: TuningCache = { load: async (key) => loadTuning(key, cacheFile, warn), save: (r) => saveTuning(r, cacheFile) };
    try {
      tuned = await tuneAtFirstUse(ctx, model, batch, train, {
        when: opts.tune, cache, signal: stopTuning.signal,
        onStart: (budgetMs) => out.say(budgetMs !== undefined
          ? `Tuning the scheduler and workgroup sizes for this adapter and shape (first use, within about ${budgetMs / 1000} s; --no-tune skips it)...`
          : 'Tuning the scheduler and workgroup sizes for this adapter and shape, every candidate (--tune)...'),
      });
    } catch (e) {
      if (stopTuning.signal.aborted) return undefined; // Ctrl-C: nothing cached, the run stops before its first step
      throw e;
    }
    if (tuned.source === 'cache') {
      out.say(`Workgroup sizes tuned earlier for this adapter and shape (${cacheFile}): ${describeTuning(tuned.record)}; --tune tunes again`);
      out.event({ event: 'tuning', source: 'cache', defaultMs: tuned.record.defaultMs, tunedMs: tuned.record.tunedMs, ...planTuning(tuned.record), file: cacheFile });
    } else if (tuned.source === 'failed') {
      warn(`tuning failed (${tuned.error.message}): training with the default scheduler and workgroup sizes`);
    } else if (tuned.source === 'tuned') {
      const { result, saveError } = tuned;
      if (saveError) warn(`the tuning was not saved (${saveError.message.replace(/\.$/, '')}); it is used for this run only`);
      const tried = result.trials.length;
      out.say(`Tuned in ${(result.elapsedMs / 1000).toFixed(1)} s: ${describeTuning(result)}; ${tried} of ${tried + result.skipped} workgroup candidates tried` +
        (result.cut.length > 0 ? ' (--tune does everything)' : '') + (saveError ? '' : `; cached in ${cacheFile}`));
      out.event({
        event: 'tuning', source: 'tuned', defaultMs: result.defaultMs, tunedMs: result.tunedMs, ...planTuning(result),
        tried, skipped: result.skipped, cut: result.cut, seconds: result.elapsedMs / 1000, file: saveError ? null : cacheFile,
      });
    }
    return outcomeTuning(tuned);
  };
  const createGpu = async () => {
    const ctx = await createNodeGpu({ adapter: opts.adapter, log: (m) => process.stderr.write(`${m}\n`) });
    if (!adapterShown) describeAdapterForUser(ctx.adapter).forEach((l) => out.say(l));
    adapterShown = true;
    return ctx;
  };
  const kind = text ? `character-level language model, T=${model.steps} V=${model.inputSize}` : `T=${model.steps} I=${model.inputSize}`;
  out.say(`Model: LSTM ${kind} ${modelLayers(model)} C=${model.classes}; batch ${batch}, Adam lr ${chosen.options.lr}, seed ${chosen.options.seed}` +
    (chosen.options.clipNorm > 0 ? `, clip norm ${chosen.options.clipNorm}` : '') + (chosen.options.schedule ? `, lr schedule ${describeSchedule(schedule)}` : ''));
  out.say(`Data: ${data.dataLine}; ${totalSteps} steps` + (resume ? `, resuming at step ${resume.step} from ${opts.resume}` : '') +
    (init ? `, starting from the weights of ${opts.init} (Adam afresh${model.forgetBias === 0 ? '; forget bias 0: its biases hold it' : ''})` : ''));
  const sampleText = text ? createRunSampler(model, text.task.vocabulary) : undefined;
  if (resume && resume.step >= totalSteps) out.say(`The checkpoint has ${resume.step} steps already, at or past --steps ${totalSteps}: nothing to train.`);

  const result = await runSession(
    {
      model, adam: defaultAdam, options: chosen.options, totalSteps, logEvery: opts.logEvery,
      checkpoint: checkpointPath ? { everySteps: opts.checkpointEvery } : undefined,
      datasets: data.datasets,
    },
    {
      createGpu,
      tuningFor: (ctx) => workgroupSizes(ctx),
      say: (line) => out.say(line),
      stopRequested: () => interrupted,
      saveCheckpoint: checkpointPath ? (state) => writeFileAtomic(checkpointPath, encodeCheckpoint(state)) : undefined,
      loadCheckpoint: checkpointPath ? async () => (existsSync(checkpointPath) ? loadCheckpointFile(checkpointPath) : undefined) : undefined,
      onCheckpoint: (step) => out.event({ event: 'checkpoint', step, file: checkpointPath }),
      onProgress: (step, rate, eta) => out.progress(step, totalSteps, rate, eta),
      onStats: (s, rate, elapsed) => {
        const eta = formatSeconds(((totalSteps - s.step) * batch) / rate);
        if (text) {
          out.say(`Step ${s.step}/${totalSteps}: training loss ${bits(s.loss)}, next-character accuracy ${s.accuracy.toFixed(4)}  (${(rate * model.steps).toFixed(0)} characters/s, ETA ${eta})`);
        } else {
          out.say(`Iter ${s.step * batch}, Minibatch Loss= ${s.loss.toFixed(6)}, Training Accuracy= ${s.accuracy.toFixed(5)}  (step ${s.step}/${totalSteps}, ${rate.toFixed(1)} samples/s, ETA ${eta})`);
        }
        out.event({
          event: 'step', step: s.step, loss: s.loss, accuracy: s.accuracy, gradNorm: s.gradNorm, samplesPerSec: rate, elapsedSec: elapsed,
          ...(text ? { bitsPerChar: s.loss / Math.LN2 } : {}),
        });
      },
      afterStep: sampleText && opts.sampleEvery > 0
        ? async (step, ctx, trainer) => {
          if (step % opts.sampleEvery !== 0 || step === totalSteps) return;
          const held = await trainer.evaluate('validation');
          const sample = await sampleText(ctx, trainer, opts.sampleLength, chosen.options.seed + step);
          out.say(`Step ${step}: validation loss ${bits(held.loss)}. Sample (temperature 0.8):\n${indent(sample)}`);
          out.event({ event: 'sample', step, validationLoss: held.loss, validationBitsPerChar: held.loss / Math.LN2, text: sample });
        }
        : undefined,
    },
    resume ?? init?.params,
  );
  const { trainer, ctx } = result;
  if (result.outcome === 'interrupted') {
    out.say(`Stopped at step ${trainer.step}${checkpointPath ? `; the checkpoint ${checkpointPath} holds it. Continue with --resume ${checkpointPath}` : ''}.`);
    out.event({ event: 'interrupted', step: trainer.step, checkpoint: checkpointPath ?? null });
    trainer.destroy();
    ctx.destroy();
    process.exitCode = 130;
    return;
  }
  const samplesPerSec = (result.stepsRun * batch) / result.trainSeconds;
  out.say(`Optimization Finished! ${result.stepsRun} steps in ${result.trainSeconds.toFixed(1)} s, ${samplesPerSec.toFixed(1)} samples/s`);

  const held = await trainer.evaluate('validation');
  if (text) {
    out.say(`Validation loss: ${bits(held.loss)} over ${held.count} held-out windows of ${model.steps} characters (next-character accuracy ${held.accuracy.toFixed(4)})`);
    const sample = await sampleText!(ctx, trainer, opts.sampleLength, chosen.options.seed);
    out.say(`Sample (temperature 0.8):\n${indent(sample)}`);
  } else {
    out.say(`Validation Accuracy: ${held.accuracy.toFixed(4)} on ${held.count} held-out training images (loss ${held.loss.toFixed(4)})`);
  }
  const test = text ? undefined : await trainer.evaluate('test');
  if (test) out.say(`Testing Accuracy: ${test.accuracy.toFixed(4)} on ${test.count} test images (loss ${test.loss.toFixed(4)})`);

  if (opts.out) {
    const params = await trainer.readParams();
    const bytes = saveModelBytes(model, params, {
      steps: String(trainer.step), batch: String(batch), lr: String(chosen.options.lr), seed: String(chosen.options.seed),
      ...(test ? { test_accuracy: test.accuracy.toFixed(4) } : { validation_bits_per_char: (held.loss / Math.LN2).toFixed(4) }),
    }, task);
    await writeFileAtomic(opts.out, bytes);
    out.say(`Saved the model to ${opts.out}${text ? `; write with it: npm run sample -- --model ${opts.out}` : ''}`);
  }
  out.event({
    event: 'done', ...(test ? { testAccuracy: test.accuracy, testLoss: test.loss } : { validationLoss: held.loss, validationBitsPerChar: held.loss / Math.LN2 }),
    validationAccuracy: held.accuracy, steps: trainer.step, batch,
    trainSeconds: result.trainSeconds, samplesPerSec, dispatchesPerStep: trainer.dispatchesPerStep, submitsPerStep: trainer.submitsPerStep,
    recoveries: result.recoveries, adapter: ctx.adapter, model: opts.out ?? null, tuning: tuningFacts(tuned),
  });
  trainer.destroy();
  ctx.destroy();
});

/** A sample's lines indented under its heading. */
function indent(text: string): string {
  return text.split('\n').map((line) => `  | ${line}`).join('\n');
}
