// The library API: train a stack of LSTM layers on your own sequences from code, in Node or the browser.
//
//   const gpu = await nodeGpu();                       // or browserGpu() in a page
//   const model = lstmClassifier({ steps: 20, inputSize: 1, layers: [32, 16], classes: 2 });
//   const trainer = await createTrainer(gpu, model, { x, y }, { batchSize: 32, lr: 0.01 });
//   await trainer.fit({ epochs: 5, onEpochEnd: (e) => console.log(e) });
//   const { accuracy } = await trainer.evaluate({ x: testX, y: testY });
//   const probs = await trainer.predict(testX);        // (N, C) probabilities
//
// x: Float32Array (values used as given) or Uint8Array (bytes, scaled to [0, 1] as MNIST pixels are) of
// N sequences of `steps` timesteps of `inputSize` features, row-major (N, T, I); y: N integer labels below
// `classes` (at most 256). Everything runs on the engine's kernels and its one training loop step
// (src/train/trainer.ts); every bad input is a UserError that says what was wrong and how to fix it.
import { type ExportFormat, exportFormats, exportModel } from '../io/export-formats.ts';
import { defaultTask } from '../data/tasks.ts';
import { loadAnyModelBytes } from '../io/load-model.ts';
import type { ImageSet } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import { type TrainingState, decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.ts';
import { saveModelBytes } from '../io/model-file.ts';
import { initParams } from '../train/init.ts';
import { type LrScheduleKind, makeSchedule } from '../train/lr-schedule.ts';
import type { ModelConfig, Tensors } from '../train/model.ts';
import { checkDataset, checkLimits, checkModel } from '../train/plan.ts';
import { softmax } from '../train/predictor.ts';
import { type StepStats, type Trainer as EngineTrainer, createTrainer as createEngineTrainer, defaultAdam } from '../train/trainer.ts';
import { UserError } from '../user-error.ts';

/** A model description: plain data (what model files and checkpoints store). */
export type LstmModel = ModelConfig;

/** Describes a stacked LSTM classifier: `layers` are the hidden sizes, bottom first; forgetBias defaults to 1. */
export function lstmClassifier(m: { steps: number; inputSize: number; layers: number[]; classes: number; forgetBias?: number }): LstmModel {
  const model = { steps: m.steps, inputSize: m.inputSize, layers: [...(m.layers ?? [])], classes: m.classes, forgetBias: m.forgetBias ?? 1 };
  checkModel(model);
  if (model.classes < 2 || model.classes > 256) throw new UserError(`classes ${model.classes}: a classifier needs 2 to 256 classes`);
  if (!Number.isFinite(model.forgetBias)) throw new UserError(`forgetBias ${model.forgetBias} is not a finite number`);
  return model;
}

/** Sequences and their labels: x is (N, T, I) row-major, y holds N class numbers. */
export interface Data {
  x: Float32Array | Uint8Array;
  y: ArrayLike<number>;
}

export interface TrainOptions {
  /** Sequences per step (default 32). */
  batchSize?: number;
  /** Adam's learning rate (default 0.001). */
  lr?: number;
  /** Seed of the initial weights and the data order (default 0). */
  seed?: number;
  /** Clip gradients to this global norm; 0 (default) for no clipping. */
  clipNorm?: number;
  /** Learning-rate schedule over the steps of the first fit (default constant); warmup in steps. */
  lrSchedule?: LrScheduleKind;
  warmup?: number;
  /** Held-out data: fit reports its loss and accuracy at each epoch's end. */
  validation?: Data;
}

export interface StepLog { step: number; epoch: number; loss: number; accuracy: number }
export interface EpochLog { epoch: number; step: number; loss: number; accuracy: number; valLoss?: number; valAccuracy?: number }

export interface FitOptions {
  /** Passes over the training data (default 1), or `steps` optimizer steps instead. */
  epochs?: number;
  steps?: number;
  /** Called every `logEvery` steps (default 10) with that step's minibatch loss and accuracy. */
  onStep?: (s: StepLog) => void;
  logEvery?: number;
  onEpochEnd?: (e: EpochLog) => void;
}

export interface Evaluation { loss: number; accuracy: number; count: number }

export interface LstmTrainer {
  readonly model: LstmModel;
  /** Optimizer steps done (a resumed trainer counts on from its checkpoint). */
  readonly step: number;
  /** Trains; resolves with one log per epoch (Keras' History). */
  fit(o?: FitOptions): Promise<EpochLog[]>;
  /** The same training as an async iterator: one StepLog per `logEvery` steps. */
  steps(o?: Omit<FitOptions, 'onStep'>): AsyncGenerator<StepLog>;
  evaluate(data: Data): Promise<Evaluation>;
  /** Class probabilities (N, C), row-major. */
  predict(x: Float32Array | Uint8Array): Promise<Float32Array>;
  /**
   * The model file's bytes: ours (.safetensors, format webgpu-lstm/2, which `npm run eval -- --model` reads),
   * or as `format`: a PyTorch state_dict ('pytorch'), ONNX ('onnx') or Keras 3 weights ('keras'), as
   * `npm run export` writes them (README: models that travel).
   */
  save(format?: ExportFormat): Promise<Uint8Array>;
  /** A checkpoint's bytes: resumeTrainer continues exactly from it. */
  checkpoint(): Promise<Uint8Array>;
  destroy(): void;
}

/** The data as the engine's dataset, or a UserError naming what does not fit the model. */
export function toDataset(what: string, data: Data, m: LstmModel): ImageSet {
  if (!data || typeof data !== 'object') throw new UserError(`${what}: expected { x, y }, got ${String(data)}`);
  const { x, y } = data;
  if (!(x instanceof Float32Array) && !(x instanceof Uint8Array)) {
    throw new UserError(`${what}.x: expected a Float32Array or Uint8Array of shape (N, ${m.steps}, ${m.inputSize}), got ${describeValue(x)}`);
  }
  const per = m.steps * m.inputSize;
  if (x.length === 0) throw new UserError(`${what}: no sequences (x is empty); give at least one`);
  if (x.length % per !== 0) {
    throw new UserError(`${what}.x holds ${x.length} values, not a whole number of sequences of ${m.steps} steps x ${m.inputSize} inputs (${per} values each): reshape it to (N, ${m.steps}, ${m.inputSize}) or describe the model with the data's steps and inputSize`);
  }
  const count = x.length / per;
  if (!y || typeof y.length !== 'number') throw new UserError(`${what}.y: expected ${count} labels, got ${String(y)}`);
  if (y.length !== count) throw new UserError(`${what}: ${count} sequences in x but ${y.length} labels in y; give one label per sequence`);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const v = y[n];
    if (!Number.isInteger(v) || v < 0 || v >= m.classes) {
      throw new UserError(`${what}.y[${n}] is ${v}: labels must be whole numbers from 0 to ${m.classes - 1} (the model has ${m.classes} classes)`);
    }
    labels[n] = v;
  }
  const set = { count, rows: m.steps, cols: m.inputSize, pixels: x, labels };
  checkDataset(what, set, m); // NaN and infinite inputs too, now rather than at the first step
  return set;
}

const describeValue = (v: unknown): string =>
  v === null || typeof v !== 'object' ? String(v) : (v as object).constructor?.name ?? Object.prototype.toString.call(v);

const whole = (name: string, v: number | undefined, fallback: number, min: number, max: number): number => {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name} ${n}: expected a whole number from ${min} to ${max}`);
  return n;
};
const positive = (name: string, v: number | undefined, fallback: number, zeroOk = false): number => {
  const n = v ?? fallback;
  if (!Number.isFinite(n) || n < 0 || (!zeroOk && n === 0)) throw new UserError(`${name} ${n}: expected a number ${zeroOk ? '>= 0' : '> 0'}`);
  return n;
};

/** A trainer over `train` (and options.validation); initial weights from the seed, or `weights`. */
export async function createTrainer(gpu: GpuContext, model: LstmModel, train: Data, options: TrainOptions = {}, weights?: Tensors): Promise<LstmTrainer> {
  checkModel(model);
  const batchSize = whole('batchSize', options.batchSize, 32, 1, 65536);
  const lr = positive('lr', options.lr, defaultAdam.lr);
  const seed = whole('seed', options.seed, 0, 0, 2 ** 32 - 1);
  const clipNorm = positive('clipNorm', options.clipNorm, 0, true);
  const warmup = whole('warmup', options.warmup, 0, 0, 1e9);
  const lrSchedule = options.lrSchedule ?? 'constant';
  if (!['constant', 'cosine', 'step'].includes(lrSchedule)) throw new UserError(`lrSchedule "${lrSchedule}": expected constant, cosine or step`);
  const sets: Record<string, ImageSet> = { train: toDataset('train', train, model) };
  if (options.validation) sets.validation = toDataset('validation', options.validation, model);
  checkLimits(model, batchSize, gpu.device.limits, sets);
  return open(gpu, model, sets, { batchSize, lr, seed, clipNorm, lrSchedule, warmup }, weights ?? initParams(model, seed));
}

interface Settings { batchSize: number; lr: number; seed: number; clipNorm: number; lrSchedule: LrScheduleKind; warmup: number }

async function open(gpu: GpuContext, model: LstmModel, sets: Record<string, ImageSet>, s: Settings, start: Tensors | TrainingState): Promise<LstmTrainer> {
  const resumed = 'dataOrder' in start ? (start as TrainingState) : undefined;
  let schedule = resumed?.options.schedule;
  let engine: EngineTrainer | undefined;
  const make = async (totalSteps: number): Promise<EngineTrainer> => {
    if (!schedule && (s.lrSchedule !== 'constant' || s.warmup > 0)) schedule = makeSchedule(s.lrSchedule, s.warmup, totalSteps);
    return createEngineTrainer(gpu, { model, batch: s.batchSize, adam: { ...defaultAdam, lr: s.lr }, seed: s.seed, clipNorm: s.clipNorm, schedule }, sets,
      resumed ? { step: resumed.step, params: resumed.params, adamM: resumed.adamM, adamV: resumed.adamV, dataOrder: resumed.dataOrder } : start as Tensors);
  };
  // The engine trainer is made at the first fit, when the schedule's length is known (a cosine needs it).
  const ready = async (totalSteps: number): Promise<EngineTrainer> => (engine ??= await make(totalSteps));
  const stepsPerEpoch = Math.ceil(sets.train.count / s.batchSize);

  type Logged = { kind: 'step'; log: StepLog } | { kind: 'epoch'; log: EpochLog };
  async function* run(o: FitOptions): AsyncGenerator<Logged> {
    if (o.epochs !== undefined && o.steps !== undefined) throw new UserError('fit: give epochs or steps, not both');
    const total = o.steps !== undefined ? whole('steps', o.steps, 1, 1, 1e9) : whole('epochs', o.epochs, 1, 1, 1e6) * stepsPerEpoch;
    const logEvery = whole('logEvery', o.logEvery, 10, 1, 1e9);
    const e = await ready(total);
    const first = e.step;
    for (let i = 1; i <= total; i++) {
      const step = first + i;
      const epochEnd = step % stepsPerEpoch === 0 || i === total;
      const want = i % logEvery === 0 || epochEnd;
      const stats: StepStats | undefined = await e.trainStep({ stats: want });
      const epoch = Math.ceil(step / stepsPerEpoch);
      if (stats && i % logEvery === 0) yield { kind: 'step', log: { step, epoch, loss: stats.loss, accuracy: stats.accuracy } };
      if (stats && epochEnd) {
        const log: EpochLog = { epoch, step, loss: stats.loss, accuracy: stats.accuracy };
        if (sets.validation) {
          const v = await e.evaluate('validation');
          log.valLoss = v.loss;
          log.valAccuracy = v.accuracy;
        }
        yield { kind: 'epoch', log };
      }
    }
    await e.flush();
  }

  /** A second engine trainer over other data with this one's current weights: forward passes only. */
  const withData = async <T>(data: ImageSet, fn: (t: EngineTrainer) => Promise<T>): Promise<T> => {
    const weights = engine ? await engine.readParams() : ('dataOrder' in start ? (start as TrainingState).params : (start as Tensors));
    checkLimits(model, s.batchSize, gpu.device.limits, { data });
    const t = await createEngineTrainer(gpu, { model, batch: s.batchSize, adam: defaultAdam, seed: 0 }, { data }, weights);
    try {
      return await fn(t);
    } finally {
      t.destroy();
    }
  };
  const metadata = (): Record<string, string> => ({ batch: String(s.batchSize), lr: String(s.lr), seed: String(s.seed), steps: String(engine?.step ?? resumed?.step ?? 0) });

  return {
    model,
    get step() { return engine?.step ?? resumed?.step ?? 0; },
    async fit(o = {}) {
      const history: EpochLog[] = [];
      for await (const l of run(o)) {
        if (l.kind === 'epoch') {
          history.push(l.log);
          o.onEpochEnd?.(l.log);
        } else {
          o.onStep?.(l.log);
        }
      }
      return history;
    },
    async *steps(o = {}) {
      for await (const l of run(o)) {
        if (l.kind === 'step') yield l.log;
        else o.onEpochEnd?.(l.log);
      }
    },
    async evaluate(data) {
      const set = toDataset('evaluate', data, model);
      return withData(set, (t) => t.evaluate('data'));
    },
    async predict(x) {
      const set = toDataset('predict', { x, y: new Uint8Array(x?.length ? Math.floor(x.length / (model.steps * model.inputSize)) : 0) }, model);
      const logits = await withData(set, (t) => t.logits('data'));
      const C = model.classes;
      const probs = new Float32Array(logits.length);
      for (let n = 0; n < set.count; n++) probs.set(softmax(logits.subarray(n * C, (n + 1) * C)), n * C);
      return probs;
    },
    async save(format: ExportFormat = 'webgpu-lstm') {
      if (!exportFormats.includes(format)) throw new UserError(`save: format ${JSON.stringify(format)} is not one of ${exportFormats.join(', ')}`);
      const params = engine ? await engine.readParams() : ('dataOrder' in start ? (start as TrainingState).params : (start as Tensors));
      if (format !== 'webgpu-lstm') return (await exportModel(format, model, params, defaultTask)).bytes;
      return saveModelBytes(model, params, metadata());
    },
    async checkpoint() {
      const e = await ready(stepsPerEpoch);
      const state = await e.saveState();
      return encodeCheckpoint({ config: model, options: { batch: s.batchSize, lr: s.lr, seed: s.seed, clipNorm: s.clipNorm, ...(schedule ? { schedule } : {}) }, ...state });
    },
    destroy() {
      engine?.destroy();
    },
  };
}

/** Loads a model file's bytes (saved by save() or `npm run train -- --out`; or a PyTorch state_dict or Keras .h5 of such a model) as a trainer over `train`. */
export async function loadTrainer(gpu: GpuContext, bytes: Uint8Array, train: Data, options: TrainOptions = {}): Promise<LstmTrainer> {
  const { config, params } = await loadAnyModelBytes(bytes, 'the model file');
  return createTrainer(gpu, config, train, options, params);
}

/** Continues exactly from checkpoint bytes (checkpoint()), on the same training data. */
export async function resumeTrainer(gpu: GpuContext, bytes: Uint8Array, train: Data, validation?: Data): Promise<LstmTrainer> {
  const state = decodeCheckpoint(bytes, 'the checkpoint');
  const sets: Record<string, ImageSet> = { train: toDataset('train', train, state.config) };
  if (validation) sets.validation = toDataset('validation', validation, state.config);
  if (sets.train.count !== state.dataOrder.position && state.dataOrder.position > sets.train.count) {
    throw new UserError(`the checkpoint was taken on a training set larger than the ${sets.train.count} sequences given: resume with the same data`);
  }
  checkLimits(state.config, state.options.batch, gpu.device.limits, sets);
  const { batch, lr, seed, clipNorm, schedule } = state.options;
  return open(gpu, state.config, sets, { batchSize: batch, lr, seed, clipNorm, lrSchedule: schedule?.kind ?? 'constant', warmup: schedule?.warmup ?? 0 }, state);
}
