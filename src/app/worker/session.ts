// One training run in the worker: the trainer (the same src/train code as the CLI), its loop with pause and
// resume, the stats it posts, validation at intervals, an occasional profiled step, and checkpoints.
import type { GpuContext } from '../../gpu/device.ts';
import { type TrainingOptions, type TrainingState, encodeCheckpoint } from '../../io/checkpoint.ts';
import { saveModelBytes } from '../../io/model-file.ts';
import { type ModelConfig, type Tensors, referenceModel } from '../../train/model.ts';
import { type Predictor, createPredictor } from '../../train/predictor.ts';
import { type Profiler, createProfiler, timestampsSupported } from '../../train/timing.ts';
import { makeSchedule } from '../../train/lr-schedule.ts';
import { UserError } from '../../user-error.ts';
import type { PlanTuning } from '../../train/plan.ts';
import { type Trainer, createTrainer, defaultAdam } from '../../train/trainer.ts';
import { recordFormat, saveCheckpoint } from '../checkpoint-store.ts';
import type { Hyper } from '../hyperparams.ts';
import type { FromWorker, History, Progress, RunState } from '../protocol.ts';
import type { BrowserMnist } from './load-mnist.ts';

export interface SessionOptions {
  ctx: GpuContext;
  data: BrowserMnist;
  hyper: Hyper;
  totalSteps: number;
  post: (m: FromWorker, transfer?: Transferable[]) => void;
  /** Where to start: a checkpoint's full state, a loaded model's parameters, or (absent) the seeded initialisation. */
  start?: TrainingState | { params: Tensors; steps: number };
  /** With a checkpoint: the steps before it was started from a loaded model (its trainer counts from 0). */
  stepOffset?: number;
  /** `start` is the checkpoint saved in this browser (so there is one to fall back on from the first step). */
  fromSavedCheckpoint?: boolean;
  trainMs?: number;
  history?: History;
  /** What the run started from, for the page ("a new model", a file name, "the checkpoint"). */
  source: string;
  /** The autotuner's choice (scheduler, workgroup sizes); the defaults when absent. */
  tuning?: PlanTuning;
}

export interface Session {
  readonly hyper: Hyper;
  readonly model: ModelConfig;
  readonly trainer: Trainer;
  readonly state: RunState;
  readonly step: number;
  /** Runs until paused, done or failed; resolves then (never rejects: failures are posted). */
  run(): Promise<void>;
  /** Asks the loop to stop after the current step; resolves once it has. */
  pause(): Promise<void>;
  predictor(): Promise<Predictor>;
  /** The weights as the CLI's model file (read between two steps when training). */
  modelBytes(): Promise<Uint8Array>;
  /** The full state as the CLI's checkpoint file (read between two steps when training). */
  checkpointBytes(): Promise<Uint8Array>;
  postState(): void;
  destroy(): void;
}

const statsEveryMs = 100;
const progressEveryMs = 100;
/** By time, not steps: a GPU does thousands of steps between two saves, a software adapter a handful. */
const checkpointEveryMs = 20_000;
const profileFirstAt = 3;
const profileEverySteps = 500;
const yieldEveryMs = 30;

/** Lets queued messages (pause, predict) run between steps even when no GPU wait did. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(undefined);
});

/**
 * A lost device first shows as whatever GPU call was pending failing (a mapAsync "unmapped before
 * mapping was resolved"); the loss itself is reported a moment later. Prefer it: it says what happened.
 */
async function rootCause(ctx: GpuContext, e: unknown): Promise<unknown> {
  if (!ctx.failure()) await Promise.race([ctx.device.lost, new Promise((resolve) => setTimeout(resolve, 250))]);
  await Promise.resolve();
  return ctx.failure() ?? e;
}

/** The engine's messages name the CLI's flags; the page's fields have names of their own. */
const pageWords = (message: string): string =>
  message.replace(/--clip-norm\b/g, 'a gradient-norm clip').replace(/--warmup\b/g, 'a warmup of').replace(/--lr\b/g, 'learning rate').replace(/--batch\b/g, 'batch size').replace(/--hidden\b/g, 'hidden size');

/** The LSTM the page trains on MNIST with `hidden` units. */
export const pageModel = (data: BrowserMnist, hidden: number): ModelConfig =>
  ({ ...referenceModel, steps: data.train.rows, inputSize: data.train.cols, hidden, classes: 10 });

export async function createSession(o: SessionOptions): Promise<Session> {
  const { ctx, data, hyper, post } = o;
  const model = pageModel(data, hyper.hidden);
  // The trainer counts the steps since its initialisation or since a model was loaded (Adam's moments
  // start at zero then); the page counts on from the loaded model's own steps.
  const offset = o.start && !('dataOrder' in o.start) ? o.start.steps : (o.stepOffset ?? 0);
  // A checkpoint continues its own schedule; a new run's falls over the trainer's steps.
  const resumed = o.start && 'dataOrder' in o.start ? o.start : undefined;
  let schedule = resumed?.options.schedule;
  if (!resumed && (hyper.lrSchedule !== 'constant' || hyper.warmup > 0)) {
    try {
      schedule = makeSchedule(hyper.lrSchedule, hyper.warmup, o.totalSteps - offset);
    } catch (e) {
      throw e instanceof UserError ? new UserError(pageWords(e.message)) : e;
    }
  }
  const options: TrainingOptions = { batch: hyper.batch, lr: hyper.lr, seed: hyper.seed, clipNorm: hyper.clipNorm, ...(schedule ? { schedule } : {}) };
  const trainer = await createTrainer(
    ctx,
    { model, batch: hyper.batch, adam: { ...defaultAdam, lr: hyper.lr }, seed: hyper.seed, clipNorm: hyper.clipNorm, schedule, ...o.tuning },
    { train: data.train, validation: data.validation, test: data.test },
    resumed ?? o.start?.params,
  );
  const startStep = offset + trainer.step;
  const history: History = o.history ?? { train: [], validation: [] };
  let state: RunState = startStep >= o.totalSteps ? 'done' : 'paused';
  let trainMs = o.trainMs ?? 0;
  let loop: Promise<void> | undefined;
  let stopRequested = false;
  let predictor: Promise<Predictor> | undefined;
  let profiler: Profiler | undefined | 'unavailable';
  // The checkpoint that holds this run: the one it resumed, then each one it saves.
  let lastSave = o.fromSavedCheckpoint ? { step: startStep, at: performance.now() } : undefined;
  const sessionStarted = performance.now();
  let rate = { step: startStep, trainMs, msPerStep: 0 };
  let testAccuracy: number | undefined;
  /** Work that must not interleave with a step (reading a consistent state): the loop runs it between steps. */
  const betweenSteps: (() => Promise<void>)[] = [];
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!loop) return fn();
    return new Promise<T>((resolve, reject) => betweenSteps.push(() => fn().then(resolve, reject)));
  };
  const step = (): number => offset + trainer.step;

  const progress = (): Progress => {
    const s = step();
    if (s > rate.step && trainMs > rate.trainMs) rate = { step: s, trainMs, msPerStep: (trainMs - rate.trainMs) / (s - rate.step) };
    const msPerStep = rate.msPerStep;
    return {
      step: s, totalSteps: o.totalSteps, epoch: (s * hyper.batch) / data.train.count, trainMs, msPerStep,
      samplesPerSec: msPerStep > 0 ? (1000 * hyper.batch) / msPerStep : 0,
    };
  };
  const postState = (): void => post({ type: 'state', state, hyper, progress: progress(), source: o.source });

  const modelBytes = async (): Promise<Uint8Array> => {
    const params = await trainer.readParams();
    const extra: Record<string, string> = { steps: String(step()), batch: String(hyper.batch), lr: String(hyper.lr), seed: String(hyper.seed) };
    const validation = history.validation.at(-1);
    if (validation) extra.validation_accuracy = validation.accuracy.toFixed(4);
    if (testAccuracy !== undefined) extra.test_accuracy = testAccuracy.toFixed(4);
    return saveModelBytes(model, params, extra);
  };

  const checkpointBytes = async (): Promise<Uint8Array> => {
    const state = await trainer.saveState();
    return encodeCheckpoint({ ...state, config: model, options });
  };

  const checkpoint = async (): Promise<void> => {
    const summary = { step: step(), totalSteps: o.totalSteps, savedAt: Date.now(), hyper };
    await saveCheckpoint({ format: recordFormat, ...summary, stepOffset: offset, trainMs, history, bytes: await checkpointBytes() });
    lastSave = { step: summary.step, at: performance.now() };
    post({ type: 'checkpoint-saved', summary });
  };

  const validate = async (): Promise<void> => {
    const r = await trainer.evaluate('validation');
    const point = { step: step(), loss: r.loss, accuracy: r.accuracy };
    history.validation.push(point);
    post({ type: 'validation', ...point });
  };

  const profile = async (): Promise<void> => {
    if (profiler === 'unavailable') return;
    if (!profiler) {
      if (!timestampsSupported(ctx.device)) {
        profiler = 'unavailable';
        post({ type: 'timings-unavailable', reason: 'This adapter does not offer the timestamp-query feature, so per-kernel GPU times cannot be measured.' });
        return;
      }
      try {
        profiler = await createProfiler(ctx, trainer.plan);
      } catch (e) {
        profiler = 'unavailable';
        post({ type: 'timings-unavailable', reason: `The profiling step could not be set up: ${(e as Error).message}` });
        return;
      }
    }
    const times = await profiler.profile();
    if (profiler.dispatches !== trainer.dispatchesPerStep) {
      throw new Error(`the profiled step encoded ${profiler.dispatches} dispatches, a training step ${trainer.dispatchesPerStep}`);
    }
    post({ type: 'timings', step: step(), times });
  };

  const loopBody = async (): Promise<void> => {
    let lastStats = -Infinity;
    let lastProgress = -Infinity;
    let lastYield = performance.now();
    let runSteps = 0;
    while (!stopRequested && step() < o.totalSteps) {
      const began = performance.now();
      const s = step() + 1;
      const wantStats = runSteps === 0 || s % 10 === 0 || began - lastStats >= statsEveryMs || s === o.totalSteps;
      const stats = await trainer.trainStep({ stats: wantStats });
      const now = performance.now();
      trainMs += now - began;
      runSteps += 1;
      if (stats) {
        lastStats = now;
        history.train.push({ step: s, loss: stats.loss, accuracy: stats.accuracy });
        post({ type: 'stats', step: s, loss: stats.loss, accuracy: stats.accuracy, gradNorm: stats.gradNorm });
      }
      if (stats || now - lastProgress >= progressEveryMs) {
        lastProgress = now;
        post({ type: 'progress', progress: progress() });
      }
      if (s % hyper.validateEvery === 0 || s === o.totalSteps) await validate();
      if (runSteps === profileFirstAt || s % profileEverySteps === 0) await profile();
      if (performance.now() - (lastSave?.at ?? sessionStarted) >= checkpointEveryMs) await checkpoint();
      while (betweenSteps.length > 0) await betweenSteps.shift()!();
      if (performance.now() - lastYield >= yieldEveryMs) {
        await yieldToEvents();
        lastYield = performance.now();
      }
    }
    await trainer.flush();
    while (betweenSteps.length > 0) await betweenSteps.shift()!();
    if (step() >= o.totalSteps) {
      const test = await trainer.evaluate('test');
      testAccuracy = test.accuracy;
      post({ type: 'test', step: step(), accuracy: test.accuracy, count: test.count });
      state = 'done';
    } else {
      state = 'paused';
    }
    if (step() !== lastSave?.step) await checkpoint();
  };

  const run = async (): Promise<void> => {
    if (loop) return loop;
    if (state === 'done' || state === 'failed') return;
    stopRequested = false;
    state = 'running';
    postState();
    loop = loopBody()
      .catch(async (e: unknown) => {
        state = 'failed';
        const cause = await rootCause(ctx, e);
        const message = pageWords(cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, '');
        const kept = lastSave ? `The last checkpoint (step ${lastSave.step}) is kept in this browser.` : 'No checkpoint of this run had been saved yet.';
        post({ type: 'error', kind: 'training', message: `Training stopped at step ${step()}: ${message}. ${kept}` });
      })
      .finally(async () => {
        loop = undefined;
        postState();
        // Whatever waited for a step boundary runs now (and fails with the reason, if training did).
        while (betweenSteps.length > 0) await betweenSteps.shift()!();
      });
    return loop;
  };

  return {
    hyper, model, trainer,
    get state() { return state; },
    get step() { return step(); },
    run,
    async pause() {
      stopRequested = true;
      await loop;
    },
    predictor() {
      predictor ??= createPredictor(ctx, model);
      return predictor;
    },
    modelBytes: () => exclusive(modelBytes),
    checkpointBytes: () => exclusive(checkpointBytes),
    postState,
    destroy() {
      stopRequested = true;
      void predictor?.then((p) => p.destroy(), () => undefined);
      if (profiler && profiler !== 'unavailable') profiler.destroy();
      trainer.destroy();
    },
  };
}
