// One training run in the worker: it drives the shared loop (src/train/session.ts, as the CLI does) and keeps
// what is the page's own: the messages it posts, checkpoints in IndexedDB, an occasional profiled step, and
// reads of the state (downloads, predictions) between two steps.
import type { GpuContext } from '../../gpu/device.ts';
import { type TrainingOptions, type TrainingState, decodeCheckpoint, encodeCheckpoint } from '../../io/checkpoint.ts';
import { saveModelBytes } from '../../io/model-file.ts';
import { decodeSymbols, encodeText } from '../../data/text.ts';
import { type ModelConfig, type Tensors, readsTokens } from '../../train/model.ts';
import { type Sampler, createSampler } from '../../train/sampler.ts';
import { type Predictor, createPredictor } from '../../train/predictor.ts';
import { makeSchedule } from '../../train/lr-schedule.ts';
import { UserError } from '../../user-error.ts';
import type { PlanTuning } from '../../train/plan.ts';
import { type Engine, type SessionConfig, type SessionHooks, createSessionTrainer, runSession } from '../../train/session.ts';
import { type Trainer, defaultAdam } from '../../train/trainer.ts';
import { loadCheckpoint, recordFormat, saveCheckpoint } from '../checkpoint-store.ts';
import { type Hyper, stepsPerEpoch } from '../hyperparams.ts';
import type { FromWorker, History, Progress, RunState, SampleSettings } from '../protocol.ts';
import type { RunData } from './run-data.ts';
import { type StepProfiler, createStepProfiler } from './profile-step.ts';

export interface SessionOptions {
  ctx: GpuContext;
  /** A new device in place of a lost one (the worker's own context follows it). */
  replaceGpu: () => Promise<GpuContext>;
  /** What it trains on: digits or a text (run-data.ts). */
  data: RunData;
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
  /** Text: how the samples at each validation are drawn. */
  sampleSettings?: SampleSettings;
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
  /** Text: a sample of the current weights, posted (read between two steps when training); the settings
   *  also serve the samples at each validation. */
  sample(settings: SampleSettings): Promise<void>;
  setSampleSettings(settings: SampleSettings): void;
  postState(): void;
  destroy(): void;
}

const progressEveryMs = 100;
/** By time, not steps: a GPU does thousands of steps between two saves, a software adapter a handful. */
const checkpointEverySeconds = 20;
const profileFirstAt = 3;
const profileEverySteps = 500;
const yieldEveryMs = 30;

/** Lets queued messages (pause, predict) run between steps even when no GPU wait did. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(undefined);
});

/** The engine's messages name the CLI's flags; the page's fields have names of their own. */
const pageWords = (message: string): string =>
  message.replace(/--clip-norm\b/g, 'a gradient-norm clip').replace(/--warmup\b/g, 'a warmup of').replace(/--lr\b/g, 'learning rate').replace(/--batch\b/g, 'batch size').replace(/--hidden\b/g, 'hidden size');

/** Symbols a sample writes after its prime. */
const sampleLength = 240;

export async function createSession(o: SessionOptions): Promise<Session> {
  const { data, hyper, post } = o;
  const model = data.model;
  const isText = readsTokens(model);
  let sampleSettings: SampleSettings = o.sampleSettings ?? { temperature: 0.8, prime: 'The ' };
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
  const options: TrainingOptions = {
    batch: hyper.batch, lr: hyper.lr, seed: hyper.seed, clipNorm: hyper.clipNorm, ...(schedule ? { schedule } : {}),
    ...(data.task.name !== 'mnist' ? { task: data.task } : {}), ...(isText && hyper.stateful ? { stateful: true } : {}),
  };
  const start = resumed ?? o.start?.params;
  const cfg: SessionConfig = {
    model, adam: defaultAdam, options, totalSteps: o.totalSteps, stepOffset: offset,
    logEvery: 10, logEverySeconds: 0.1, validateEvery: hyper.validateEvery, checkpoint: { everySeconds: checkpointEverySeconds },
    datasets: { train: data.train, validation: data.validation, ...(data.test ? { test: data.test } : {}) },
  };
  let engine: Engine = { ctx: o.ctx, trainer: await createSessionTrainer(cfg, o.ctx, o.tuning, start) };
  const step = (): number => offset + engine.trainer.step;
  const history: History = o.history ?? { train: [], validation: [] };
  let state: RunState = step() >= o.totalSteps ? 'done' : 'paused';
  let trainMs = o.trainMs ?? 0;
  let loop: Promise<void> | undefined;
  let stopRequested = false;
  let predictor: Promise<Predictor> | undefined;
  let sampler: Promise<Sampler> | undefined;
  let profiler: StepProfiler | undefined;
  // The checkpoint that holds this run: the one it resumed, then each one it saves.
  let lastSave = o.fromSavedCheckpoint ? { step: step(), at: performance.now() } : undefined;
  let rate = { step: step(), trainMs, msPerStep: 0 };
  let testAccuracy: number | undefined;
  /** Work that must not interleave with a step (reading a consistent state): the loop runs it between steps. */
  const betweenSteps: (() => Promise<void>)[] = [];
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!loop) return fn();
    return new Promise<T>((resolve, reject) => betweenSteps.push(() => fn().then(resolve, reject)));
  };
  const drain = async (): Promise<void> => {
    while (betweenSteps.length > 0) await betweenSteps.shift()!();
  };

  const progress = (): Progress => {
    const s = step();
    if (s > rate.step && trainMs > rate.trainMs) rate = { step: s, trainMs, msPerStep: (trainMs - rate.trainMs) / (s - rate.step) };
    const msPerStep = rate.msPerStep;
    return {
      step: s, totalSteps: o.totalSteps, epoch: s / stepsPerEpoch(hyper, data.train.count), trainMs, msPerStep,
      samplesPerSec: msPerStep > 0 ? (1000 * hyper.batch) / msPerStep : 0,
    };
  };
  const postState = (): void => post({ type: 'state', state, hyper, progress: progress(), source: o.source });

  const modelBytes = async (): Promise<Uint8Array> => {
    const params = await engine.trainer.readParams();
    const extra: Record<string, string> = { steps: String(step()), batch: String(hyper.batch), lr: String(hyper.lr), seed: String(hyper.seed) };
    const validation = history.validation.at(-1);
    if (validation && isText) extra.validation_bits_per_char = (validation.loss / Math.LN2).toFixed(4);
    else if (validation) extra.validation_accuracy = validation.accuracy.toFixed(4);
    if (testAccuracy !== undefined) extra.test_accuracy = testAccuracy.toFixed(4);
    return saveModelBytes(model, params, extra, data.task);
  };

  /** A sample of the weights now, posted; a prime outside the vocabulary is said where the sample would be. */
  const drawSample = async (): Promise<void> => {
    const vocabulary = data.task.vocabulary;
    if (!isText || !vocabulary) throw new UserError('only a text model writes samples');
    let prime: Uint8Array;
    try {
      prime = encodeText(sampleSettings.prime || (vocabulary.includes('\n') ? '\n' : vocabulary[0]), vocabulary, 'the prime');
    } catch (e) {
      post({ type: 'sample-error', message: (e as Error).message });
      return;
    }
    const ctx = engine.ctx;
    sampler ??= createSampler(ctx, model, await engine.trainer.readParams());
    const s = await sampler;
    s.writeParams(await engine.trainer.readParams());
    const [symbols] = await s.sample({ prime, length: sampleLength, temperature: sampleSettings.temperature, seed: hyper.seed + step() });
    post({ type: 'sample', step: step(), text: decodeSymbols(symbols, vocabulary), settings: sampleSettings });
  };

  const checkpointBytes = async (): Promise<Uint8Array> => {
    const state = await engine.trainer.saveState();
    return encodeCheckpoint({ ...state, config: model, options });
  };

  const store = async (checkpoint: TrainingState): Promise<void> => {
    const summary = { step: offset + checkpoint.step, totalSteps: o.totalSteps, savedAt: Date.now(), hyper };
    await saveCheckpoint({
      format: recordFormat, ...summary, stepOffset: offset, trainMs, history, bytes: encodeCheckpoint(checkpoint), ...(data.text ? { text: data.text } : {}),
    });
    lastSave = { step: summary.step, at: performance.now() };
    post({ type: 'checkpoint-saved', summary });
  };

  /** What the engine on a device holds besides the trainer: a new device starts them afresh. */
  const dropDeviceObjects = (): void => {
    void predictor?.then((p) => p.destroy(), () => undefined);
    predictor = undefined;
    void sampler?.then((s) => s.destroy(), () => undefined);
    sampler = undefined;
    profiler?.destroy();
    profiler = undefined;
  };

  const loopBody = async (): Promise<void> => {
    let stepBegan = performance.now(); // the loop's next step starts as its hooks below return
    let lastProgress = -Infinity;
    let lastYield = performance.now();
    let runSteps = 0;
    const hooks: SessionHooks = {
      createGpu: o.replaceGpu,
      tuningFor: async () => o.tuning,
      saveCheckpoint: store,
      // The checkpoint in this browser holds this run once it resumed or saved one; else the run restarts from its start.
      loadCheckpoint: async () => {
        if (!lastSave) return undefined;
        const saved = await loadCheckpoint();
        return saved ? decodeCheckpoint(saved.bytes, 'the checkpoint saved in this browser') : undefined;
      },
      onProgress: () => {
        const now = performance.now();
        if (now - lastProgress < progressEveryMs) return;
        lastProgress = now;
        post({ type: 'progress', progress: progress() });
      },
      onStats: (stats) => {
        history.train.push({ step: stats.step, loss: stats.loss, accuracy: stats.accuracy });
        post({ type: 'stats', step: stats.step, loss: stats.loss, accuracy: stats.accuracy, gradNorm: stats.gradNorm });
        lastProgress = performance.now();
        post({ type: 'progress', progress: progress() });
      },
      onValidation: (s, r) => {
        const point = { step: s, loss: r.loss, accuracy: r.accuracy };
        history.validation.push(point);
        post({ type: 'validation', ...point });
      },
      say: (line) => post({ type: 'notice', message: pageWords(line) }),
      onRecovery: (ctx, trainer) => {
        dropDeviceObjects();
        engine = { ctx, trainer };
        // The steps after the checkpoint run again: the charts go back to it.
        const s = step();
        history.train = history.train.filter((p) => p.step <= s);
        history.validation = history.validation.filter((p) => p.step <= s);
        rate = { step: s, trainMs, msPerStep: rate.msPerStep };
        post({ type: 'history', history });
        post({ type: 'progress', progress: progress() });
        stepBegan = performance.now();
      },
      stopRequested: () => stopRequested,
      afterStep: async (trainerStep, ctx, trainer) => {
        trainMs += performance.now() - stepBegan;
        runSteps += 1;
        if (runSteps === profileFirstAt || (offset + trainerStep) % profileEverySteps === 0) await (profiler ??= createStepProfiler(ctx, trainer, post)).profile(step());
        // A text run writes a sample at each validation: the page watches it learn.
        if (isText && (step() % hyper.validateEvery === 0 || step() === o.totalSteps)) await drawSample();
      },
      betweenSteps: async () => {
        await drain();
        if (performance.now() - lastYield >= yieldEveryMs) {
          await yieldToEvents();
          lastYield = performance.now();
        }
        stepBegan = performance.now();
      },
    };
    const result = await runSession({ ...cfg, lastCheckpoint: lastSave }, hooks, start, engine);
    engine = result;
    await drain();
    if (result.outcome === 'done') {
      if (data.test) {
        const test = await engine.trainer.evaluate('test');
        testAccuracy = test.accuracy;
        post({ type: 'test', step: step(), accuracy: test.accuracy, count: test.count });
      }
      state = 'done';
    } else {
      state = 'paused';
    }
  };

  const run = async (): Promise<void> => {
    if (loop) return loop;
    if (state === 'done' || state === 'failed') return;
    stopRequested = false;
    state = 'running';
    postState();
    loop = loopBody()
      .catch((e: unknown) => {
        state = 'failed';
        const message = pageWords(e instanceof Error ? e.message : String(e)).replace(/\.+$/, '');
        const kept = lastSave ? `The last checkpoint (step ${lastSave.step}) is kept in this browser.` : 'No checkpoint of this run had been saved yet.';
        post({ type: 'error', kind: 'training', message: `Training stopped at step ${step()}: ${message}. ${kept}` });
      })
      .finally(async () => {
        loop = undefined;
        postState();
        // Whatever waited for a step boundary runs now (and fails with the reason, if training did).
        await drain();
      });
    return loop;
  };

  return {
    hyper, model,
    get trainer() { return engine.trainer; },
    get state() { return state; },
    get step() { return step(); },
    run,
    async pause() {
      stopRequested = true;
      await loop;
    },
    predictor() {
      predictor ??= createPredictor(engine.ctx, model);
      return predictor;
    },
    modelBytes: () => exclusive(modelBytes),
    checkpointBytes: () => exclusive(checkpointBytes),
    sample(settings) {
      sampleSettings = settings;
      return exclusive(drawSample);
    },
    setSampleSettings(settings) {
      sampleSettings = settings;
    },
    postState,
    destroy() {
      stopRequested = true;
      dropDeviceObjects();
      engine.trainer.destroy();
    },
  };
}
