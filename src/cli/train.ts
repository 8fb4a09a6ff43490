// npm run train -- [flags]: train the LSTM on MNIST through WebGPU, then report test-set accuracy.
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

/** Options of a resumed run: flags given on the command line, else the checkpoint's. */
function resumedOptions(opts: TrainOptions, saved: TrainingState): { layers: number[]; options: TrainingOptions } {
  const given = (flag: string): boolean => opts.explicit.includes(flag);
  return {
    layers: given('hidden') || given('layers') ? opts.layers : saved.config.layers,
    options: {
      batch: given('batch') ? opts.batch : saved.options.batch,
      lr: given('lr') ? opts.lr : saved.options.lr,
      seed: given('seed') ? opts.seed : saved.options.seed,
      clipNorm: given('clip-norm') ? opts.clipNorm : saved.options.clipNorm,
      task: given('task') ? opts.task : saved.options.task ?? defaultTask,
    },
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
  const checkpointPath = opts.checkpoint ?? opts.resume;
  const chosen: { layers: number[]; options: TrainingOptions } = resume ? resumedOptions(opts, resume) : { layers: opts.layers, options: { batch: opts.batch, lr: opts.lr, seed: opts.seed, clipNorm: opts.clipNorm, task: opts.task } };
  const task = chosen.options.task ?? defaultTask;
  const mnist = await loadMnist(opts.data);
  const { train, validation } = splitTrainValidation(taskView(mnist.train, task));
  const testSet = taskView(mnist.test, task);
  const model: ModelConfig = { ...referenceModel, steps: train.rows, inputSize: train.cols, layers: chosen.layers, classes: mnistClasses };
  const { batch } = chosen.options;
  const savedSchedule = resume ? (resume.options.schedule ?? constantSchedule) : undefined;
  // Resuming a cosine schedule without --steps or --epochs finishes it.
  const finish = savedSchedule?.kind === 'cosine' && !opts.explicit.some((f) => f === 'steps' || f === 'epochs') ? savedSchedule.steps : undefined;
  const asked = opts.steps ?? opts.epochs * Math.ceil(train.count / batch);
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
  out.say(`Model: LSTM T=${model.steps} I=${model.inputSize} ${modelLayers(model)} C=${model.classes}; batch ${batch}, Adam lr ${chosen.options.lr}, seed ${chosen.options.seed}` +
    (chosen.options.clipNorm > 0 ? `, clip norm ${chosen.options.clipNorm}` : '') + (chosen.options.schedule ? `, lr schedule ${describeSchedule(schedule)}` : ''));
  out.say(`Data: ${task.name === 'mnist' ? '' : `${taskFlags(task)}, `}${train.count} training, ${validation.count} validation, ${testSet.count} test images; ${totalSteps} steps` +
    (resume ? `, resuming at step ${resume.step} from ${opts.resume}` : ''));
  if (resume && resume.step >= totalSteps) out.say(`The checkpoint has ${resume.step} steps already, at or past --steps ${totalSteps}: nothing to train.`);

  const result = await runSession(
    {
      model, adam: defaultAdam, options: chosen.options, totalSteps, logEvery: opts.logEvery,
      checkpoint: checkpointPath ? { everySteps: opts.checkpointEvery } : undefined,
      datasets: { train, validation, test: testSet },
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
        out.say(`Iter ${s.step * batch}, Minibatch Loss= ${s.loss.toFixed(6)}, Training Accuracy= ${s.accuracy.toFixed(5)}  (step ${s.step}/${totalSteps}, ${rate.toFixed(1)} samples/s, ETA ${eta})`);
        out.event({ event: 'step', step: s.step, loss: s.loss, accuracy: s.accuracy, gradNorm: s.gradNorm, samplesPerSec: rate, elapsedSec: elapsed });
      },
    },
    resume,
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
  out.say(`Validation Accuracy: ${held.accuracy.toFixed(4)} on ${held.count} held-out training images (loss ${held.loss.toFixed(4)})`);
  const test = await trainer.evaluate('test');
  out.say(`Testing Accuracy: ${test.accuracy.toFixed(4)} on ${test.count} test images (loss ${test.loss.toFixed(4)})`);

  if (opts.out) {
    const params = await trainer.readParams();
    const bytes = saveModelBytes(model, params, {
      steps: String(trainer.step), batch: String(batch), lr: String(chosen.options.lr), seed: String(chosen.options.seed),
      test_accuracy: test.accuracy.toFixed(4),
    }, task);
    await writeFileAtomic(opts.out, bytes);
    out.say(`Saved the model to ${opts.out}`);
  }
  out.event({
    event: 'done', testAccuracy: test.accuracy, testLoss: test.loss, validationAccuracy: held.accuracy, steps: trainer.step, batch,
    trainSeconds: result.trainSeconds, samplesPerSec, dispatchesPerStep: trainer.dispatchesPerStep, submitsPerStep: trainer.submitsPerStep,
    recoveries: result.recoveries, adapter: ctx.adapter, model: opts.out ?? null, tuning: tuningFacts(tuned),
  });
  trainer.destroy();
  ctx.destroy();
});
