// The training worker: WebGPU (navigator.gpu exists in dedicated workers), MNIST, and one training
// session at a time, driven by the page's messages (protocol.ts). Training here never blocks the page.
// A new run's scheduler and workgroup sizes come from this browser's tuning cache for the adapter and shape, or from
// the autotuner at the first start (src/train/first-use.ts, as in the CLI), which a reset stops.
import { loadAnyModelBytes } from '../../io/load-model.ts';
import { isHdf5 } from '../../io/keras.ts';
import { exportModel } from '../../io/export-formats.ts';
import { createBrowserGpu } from '../../gpu/browser-gpu.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { decodeCheckpoint } from '../../io/checkpoint.ts';
import { loadModelBytes } from '../../io/model-file.ts';
import { decodeSafetensors } from '../../io/safetensors.ts';
import { constantSchedule } from '../../train/lr-schedule.ts';
import { type ModelConfig, describeLayers, topHidden } from '../../train/model.ts';
import type { PlanTuning } from '../../train/plan.ts';
import { timestampsSupported } from '../../train/timing.ts';
import { type TuningCache, type TuningOutcome, outcomeTuning, tuneAtFirstUse } from '../../train/first-use.ts';
import { type TuningRecord, tuningKept, tuningRecord } from '../../train/tuner.ts';
import { UserError } from '../../user-error.ts';
import { loadCheckpoint } from '../checkpoint-store.ts';
import { type Hyper, currentHyper, referenceHyper, totalSteps } from '../hyperparams.ts';
import type { FromWorker, History, ToWorker, TuningStatus } from '../protocol.ts';
import { loadTuning, saveTuning } from '../tuning-store.ts';
import { type BrowserMnist, loadMnist } from './load-mnist.ts';
import { type Session, type SessionOptions, createSession } from './session.ts';
import type { SampleSettings, TextFile } from '../protocol.ts';
import { type RunData, defaultTextName, digitsData, fetchDefaultText, textData } from './run-data.ts';
import type { Task } from '../../data/tasks.ts';
import { readsTokens } from '../../train/model.ts';

/** A reset stopped the tuning of the run being opened. */
class TuningStopped extends Error {
  override name = 'TuningStopped';
  constructor() {
    super('tuning stopped by a reset');
  }
}

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

let ctx: GpuContext | undefined;
let data: BrowserMnist | undefined;
let pageUrl = '';
let sampleSettings: SampleSettings = { temperature: 0.8, prime: 'The ' };
let session: Session | undefined;
let control: Promise<void> = Promise.resolve();
/** Aborts the tuning in progress (a reset arrived). */
let tuning: AbortController | undefined;

/** A fresh GPU context when there is none or the last one failed (device lost). */
async function gpu(): Promise<GpuContext> {
  if (ctx && !ctx.failure()) return ctx;
  ctx?.destroy();
  ctx = undefined;
  ctx = await createBrowserGpu({ log: (m) => console.warn(m) });
  post({ type: 'adapter', adapter: ctx.adapter, timestampQuery: timestampsSupported(ctx.device) });
  return ctx;
}

/** A new GPU context in place of a lost one (the training loop's recovery). */
async function replaceGpu(): Promise<GpuContext> {
  ctx?.destroy();
  ctx = undefined;
  return gpu();
}

async function init(dataUrl: string, baseUrl: string): Promise<void> {
  pageUrl = baseUrl;
  try {
    await gpu();
  } catch (e) {
    const message = (e as Error).message;
    post({ type: 'error', kind: e instanceof UserError ? 'no-webgpu' : 'training', message: `WebGPU could not start: ${message}` });
    return;
  }
  data = await loadMnist(dataUrl, (loaded, total) => post({ type: 'data-progress', loaded, total }));
  post({ type: 'data-ready', train: data.train.count, validation: data.validation.count, test: data.test.count });
  post({ type: 'state', state: 'idle' });
}

async function closeSession(): Promise<void> {
  if (!session) return;
  await session.pause();
  session.destroy();
  session = undefined;
}

interface OpenOptions {
  hyper: Hyper;
  /** What the run trains on (digits or a text). */
  data: RunData;
  totalSteps: number;
  source: string;
  start?: SessionOptions['start'];
  stepOffset?: number;
  fromSavedCheckpoint?: boolean;
  trainMs?: number;
  history?: History;
  /** Run the autotuner when this browser has no workgroup sizes for the adapter and shape (a new run's Start). */
  autotune?: boolean;
}

const postTuning = (source: TuningStatus['source'], text: string): void => post({ type: 'tuning', status: { source, text } });

const gain = (r: Pick<TuningRecord, 'overrides' | 'scheduler' | 'defaultMs' | 'tunedMs'>): string =>
  tuningKept(r) ? `${(r.defaultMs / r.tunedMs).toFixed(2)}x faster than the defaults` : 'defaults fastest';

/** The scheduler and workgroup sizes for a run of `hyper` here: cached for this adapter and shape, else tuned
 *  now (with `autotune`), else the defaults. Throws the abort's reason when a reset stops the tuning. */
async function planTuningFor(context: GpuContext, loaded: RunData, hyper: Hyper, autotune: boolean): Promise<PlanTuning | undefined> {
  const cache: TuningCache = {
    load: (key) => loadTuning(key).catch((e: Error) => {
      console.warn(`The tuning cache could not be read (${e.message}): it is ignored.`);
      return undefined;
    }),
    save: (r) => saveTuning(r.key, tuningRecord(r)),
  };
  const working = 'Tuning workgroup sizes for this adapter…';
  const abort = new AbortController();
  tuning = abort;
  let outcome: TuningOutcome;
  try {
    outcome = await tuneAtFirstUse(context, loaded.model, hyper.batch, loaded.train, {
      when: autotune ? 'auto' : 'cached', cache, signal: abort.signal,
      onStart: () => {
        post({ type: 'state', state: 'tuning', hyper });
        postTuning('tuning', working);
      },
      onProgress: (done, total) => postTuning('tuning', `${working} ${done} of ${total} candidates`),
    });
  } finally {
    tuning = undefined;
  }
  if (outcome.source === 'cache') postTuning('cached', `cached for this adapter: ${gain(outcome.record)}`);
  else if (outcome.source === 'off') postTuning('defaults', 'defaults (not tuned for this adapter and shape)');
  else if (outcome.source === 'failed') postTuning('failed', `defaults: tuning failed (${outcome.error.message})`);
  else {
    const { result, saveError } = outcome;
    if (saveError) console.warn(`The tuning could not be cached (${saveError.message}): it is used for this run only.`);
    const tried = result.trials.length;
    const cut = result.cut.length > 0 ? `; no time for ${result.cut.join(', ')}` : '';
    postTuning('tuned', `tuned: ${gain(result)} (${tried} of ${tried + result.skipped} candidates in ${(result.elapsedMs / 1000).toFixed(1)} s${cut})`);
  }
  return outcomeTuning(outcome);
}

/** Opens a run (closing the one before); undefined when a reset stopped its tuning. */
async function open(o: OpenOptions): Promise<Session | undefined> {
  const loaded = o.data;
  await closeSession();
  const context = await gpu();
  post({ type: 'history', history: o.history ?? { train: [], validation: [] } });
  try {
    const tuning = await planTuningFor(context, loaded, o.hyper, o.autotune === true);
    // Progress and state changes carry the memory figure along, so the page sees it during a run too.
    const report = (m: FromWorker, transfer?: Transferable[]): void => {
      post(m, transfer);
      if (m.type === 'progress' || m.type === 'state') postMemory();
    };
    session = await createSession({ ...o, ctx: context, replaceGpu, data: loaded, post: report, tuning, sampleSettings });
  } catch (e) {
    post({ type: 'state', state: 'idle' }); // the previous run is closed already
    if (e instanceof TuningStopped) return undefined;
    throw e;
  }
  session.postState();
  return session;
}

/** The MNIST sets, or a refusal while they load. */
function mnist(): BrowserMnist {
  if (!data) throw new UserError('MNIST is still loading: wait for the progress bar to finish.');
  return data;
}

/** A run's data for `hyper`: digits, or the text (`text`: a file the page sent; absent: the default corpus). */
async function runData(hyper: Hyper, text?: TextFile | { name: string; bytes: Uint8Array }, vocabulary?: string[]): Promise<RunData> {
  if (hyper.task !== 'text') return digitsData(mnist(), hyper.layers);
  const bytes = text ? new Uint8Array(text.bytes) : await fetchDefaultText(pageUrl);
  const run = textData(text?.name ?? defaultTextName, bytes, text === undefined, hyper, vocabulary);
  const { train, validation } = run;
  post({ type: 'text-ready', name: run.text!.name, characters: train.count * hyper.seq + validation.count * hyper.seq, symbols: run.model.inputSize, train: train.count, validation: validation.count });
  return run;
}

/** A loaded file's task as the page's: text or digits. */
const pageTask = (task: Task | undefined): 'text' | 'digits' => (task?.name === 'text' ? 'text' : 'digits');

/** A model file's hyperparameters: its own where the metadata has them, the form's otherwise. */
function hyperFromFile(form: Hyper, layers: number[], metadata: Record<string, string>): Hyper {
  const num = (key: string, ok: (n: number) => boolean, fallback: number): number => {
    const n = Number(metadata[key]);
    return metadata[key] !== undefined && ok(n) ? n : fallback;
  };
  return {
    ...form,
    layers,
    batch: num('batch', (n) => Number.isInteger(n) && n >= 1 && n <= 65536, form.batch),
    lr: num('lr', (n) => n > 0 && n <= 1, form.lr),
    seed: num('seed', (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, form.seed),
  };
}

function checkMnistShape(name: string, config: ModelConfig): void {
  if (config.steps !== 28 || config.inputSize !== 28 || config.classes !== 10) {
    throw new UserError(`${name}: the model reads ${config.steps} steps of ${config.inputSize} inputs into ${config.classes} classes; this page trains on MNIST (28 rows of 28 pixels, 10 classes).`);
  }
  if (config.layers.length > 8 || config.layers.some((h) => h > 4096)) {
    throw new UserError(`${name}: layers ${config.layers.join(',')}, over this page's limit of 8 layers of at most 4096 units.`);
  }
}

/**
 * The run's model with the file's forget bias: the form knows the layers, not that a model imported from
 * PyTorch (or fine-tuned from one) adds 0, where ours add 1.
 */
function keepForgetBias(run: RunData, file: ModelConfig): RunData {
  return { ...run, model: { ...run.model, forgetBias: file.forgetBias } };
}

/** A model file (--out) starts a new run from its weights; a checkpoint (--checkpoint) continues its run exactly. */
async function loadFile(name: string, buffer: ArrayBuffer, form: Hyper, text?: TextFile): Promise<void> {
  const bytes = new Uint8Array(buffer);
  if (!isHdf5(bytes) && decodeSafetensors(bytes, name, { convert: true }).metadata.format?.startsWith('webgpu-lstm-checkpoint/')) {
    const state = decodeCheckpoint(bytes, name);
    const task = pageTask(state.options.task);
    if (task === 'digits') checkMnistShape(name, state.config);
    const { batch, lr, seed, clipNorm, schedule = constantSchedule } = state.options;
    const hyper: Hyper = {
      ...form, task, layers: state.config.layers, batch, lr, seed, clipNorm, lrSchedule: schedule.kind, warmup: schedule.warmup,
      ...(task === 'text' ? { seq: state.config.steps, stateful: state.options.stateful === true } : {}),
    };
    const run = keepForgetBias(await runData(hyper, text, state.options.task?.vocabulary), state.config);
    // A cosine schedule ends where it was planned to; other runs go on for the form's length.
    const end = schedule.kind === 'cosine' ? Math.max(state.step, schedule.steps) : state.step + totalSteps(hyper, run.train.count);
    if (!(await open({ hyper, data: run, totalSteps: end, source: name, start: state }))) return;
    post({ type: 'notice', message: `Loaded the checkpoint ${name} at step ${state.step}: Resume continues its run exactly where it stopped.` });
    return;
  }
  const { config, params, metadata, task: fileTask, conversion } = await loadAnyModelBytes(bytes, name);
  const task = pageTask(fileTask);
  if (task === 'digits') checkMnistShape(name, config);
  const hyper: Hyper = { ...hyperFromFile(form, config.layers, metadata), task, ...(task === 'text' ? { seq: config.steps } : {}) };
  const run = keepForgetBias(await runData(hyper, text, fileTask.vocabulary), config);
  const startStep = Number.isSafeInteger(Number(metadata.steps)) ? Math.max(0, Number(metadata.steps)) : 0;
  if (!(await open({ hyper, data: run, totalSteps: startStep + totalSteps(hyper, run.train.count), source: name, start: { params, steps: startStep } }))) return;
  const tryIt = task === 'text' ? 'press Sample now to read what it writes' : 'draw a digit to try it';
  const converted = conversion ? ` (${conversion})` : '';
  post({ type: 'notice', message: `Loaded ${name}${converted}: an LSTM of ${describeLayers(config.layers)} units, trained for ${startStep} steps. Resume trains it further; ${tryIt}.` });
}

async function resumeCheckpoint(): Promise<void> {
  const c = await loadCheckpoint();
  if (!c) throw new UserError('there is no checkpoint saved in this browser.');
  const state = decodeCheckpoint(c.bytes, 'the checkpoint saved in this browser');
  const schedule = state.options.schedule ?? constantSchedule;
  // A record saved before schedules has none in its hyperparameters: its checkpoint's (constant) counts.
  const hyper: Hyper = { ...referenceHyper, ...currentHyper(c.hyper), lrSchedule: schedule.kind, warmup: schedule.warmup };
  // A text run's record keeps its text (the default corpus by name only).
  const text = c.text?.bytes ? { name: c.text.name, bytes: c.text.bytes } : undefined;
  const run = keepForgetBias(await runData(hyper, text, state.options.task?.vocabulary), state.config);
  const s = await open({
    hyper, data: run,
    totalSteps: c.totalSteps, source: 'the checkpoint', start: state, stepOffset: c.stepOffset, fromSavedCheckpoint: true,
    trainMs: c.trainMs, history: c.history,
  });
  void s?.run();
}

// Predictions are coalesced: while one runs, only the latest drawing waits.
let pendingPixels: Uint8Array | undefined;
let predicting = false;
async function predict(pixels: Uint8Array): Promise<void> {
  pendingPixels = pixels;
  if (predicting) return;
  predicting = true;
  try {
    while (pendingPixels) {
      const next = pendingPixels;
      pendingPixels = undefined;
      if (!session || session.state === 'failed') {
        post({ type: 'no-prediction', message: 'Start training or load a model to see what it predicts.' });
        continue;
      }
      if (readsTokens(session.model)) {
        post({ type: 'no-prediction', message: 'This is a text model: it writes text (see Write) rather than reading digits.' });
        continue;
      }
      const p = await (await session.predictor()).predict(next, session.trainer.plan.buffers.params);
      const { steps } = session.model;
      post({ type: 'prediction', probabilities: p.probabilities, hidden: p.hidden, steps, units: topHidden(session.model) }, [p.hidden.buffer]);
    }
  } finally {
    predicting = false;
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': return init(m.dataUrl, m.baseUrl);
    case 'start': {
      const run = await runData(m.hyper, m.text);
      const s = await open({ hyper: m.hyper, data: run, totalSteps: totalSteps(m.hyper, run.train.count), source: 'a new model', autotune: m.autotune });
      void s?.run();
      return;
    }
    case 'sample':
      sampleSettings = m.settings;
      if (!session) throw new UserError('there is no text model to sample from yet: start training or load one.');
      return session.sample(m.settings);
    case 'sample-settings':
      sampleSettings = m.settings;
      session?.setSampleSettings(m.settings);
      return;
    case 'pause': return session?.pause();
    case 'resume':
      if (session) void session.run();
      return;
    case 'reset':
      await closeSession();
      post({ type: 'history', history: { train: [], validation: [] } });
      post({ type: 'state', state: data ? 'idle' : 'loading' });
      return;
    case 'download': {
      if (!session) throw new UserError('there is no model to download yet: start training or load a model.');
      const ours = await session.modelBytes();
      const name = `webgpu-lstm-${readsTokens(session.model) ? 'text-' : ''}h${session.model.layers.join('-')}-step${session.step}`;
      if (m.format === 'webgpu-lstm') {
        post({ type: 'model-file', name: `${name}.safetensors`, bytes: ours }, [ours.buffer]);
        return;
      }
      const { config, params, task } = loadModelBytes(ours, 'the model');
      const { bytes, suffix } = await exportModel(m.format, config, params, task);
      post({ type: 'model-file', name: name + suffix, bytes }, [bytes.buffer as ArrayBuffer]);
      return;
    }
    case 'download-checkpoint': {
      if (!session) throw new UserError('there is no run to save yet: start training or load a model.');
      const bytes = await session.checkpointBytes();
      post({ type: 'model-file', name: `webgpu-lstm-${readsTokens(session.model) ? 'text-' : ''}h${session.model.layers.join('-')}-step${session.step}.checkpoint.safetensors`, bytes }, [bytes.buffer]);
      return;
    }
    case 'load-file': return loadFile(m.name, m.bytes, m.hyper, m.text);
    case 'resume-checkpoint': return resumeCheckpoint();
    case 'predict': return predict(m.pixels);
    case 'simulate-device-loss':
      ctx?.device.destroy(); // not ctx.destroy(): the context must see it as lost
      return;
  }
}

/** Tells the page what GPU memory the engine holds, after every message that may change it. */
function postMemory(): void {
  if (ctx) post({ type: 'memory', ...ctx.memory });
}

scope.onmessage = (event) => {
  const m = event.data;
  const fail = (e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    post({ type: 'error', kind: e instanceof UserError ? 'input' : 'training', message });
  };
  if (m.type === 'reset') tuning?.abort(new TuningStopped()); // now, not after the tuning it would wait for
  if (m.type === 'simulate-device-loss') {
    void handle(m); // not queued either: the device is lost whatever the worker is doing
    return;
  }
  if (m.type === 'predict') {
    // Not queued behind a control message; a failure is said where the prediction would be.
    handle(m).then(postMemory, (e: unknown) => post({ type: 'no-prediction', message: `The prediction failed: ${e instanceof Error ? e.message : String(e)}` }));
    return;
  }
  control = control.then(() => handle(m)).catch(fail).then(postMemory);
};
