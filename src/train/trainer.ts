// The training loop's engine: a plan, the data order, Adam's step counter, and asynchronous readback.
// Each step writes only the batch indices and Adam's uniform (step counter and its scheduled learning rate),
// encodes its dispatches into one command buffer and submits once. It runs the same in Node and in the
// browser.
import { type Dataset, isTokenSet } from '../data/dataset.ts';
import { packUniform } from '../gpu/kernel.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { AdamHyper } from '../kernels/adam.ts';
import { statusBytes } from '../kernels/grad_norm.ts';
import { UserError } from '../user-error.ts';
import { type DataOrder, type DataOrderState, createDataOrder, restoreDataOrder, restoreTrackOrder, trackOrderStart } from './data-order.ts';
import { initParams } from './init.ts';
import { type LrSchedule, scheduledLr } from './lr-schedule.ts';
import { type ModelConfig, type Tensors, headSteps, packParams, unpackParams } from './model.ts';
import { type DatasetOnGpu, type KernelOverrides, type Plan, type Scheduler, createPlan } from './plan.ts';
import { createReadbackRing, readBuffer } from './readback.ts';
import { createRng } from './rng.ts';
import { type EncodeCounts, encodeForward, encodeTrainStep } from './step.ts';

export interface TrainConfig {
  model: ModelConfig;
  batch: number;
  adam: AdamHyper;
  seed: number;
  /** Clip gradients to this global norm; 0 or absent for no clipping. */
  clipNorm?: number;
  /** Override constants (workgroup sizes) per kernel name, e.g. from a tuner. */
  overrides?: KernelOverrides;
  /** How the recurrence is dispatched (plan.ts Scheduler); the results are the same bit for bit. */
  scheduler?: Scheduler;
  /** The learning rate per step (of adam.lr); absent: adam.lr at every step. */
  schedule?: LrSchedule;
  /** A language model's truncated BPTT: batch row b reads its own contiguous track of the training stream,
   *  window after window, its h and c carried from each to the next (reset at each epoch). */
  stateful?: boolean;
}

/** TensorFlow's AdamOptimizer defaults with the tutorial's learning rate. */
export const defaultAdam: AdamHyper = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Everything a run needs to continue exactly where it was (config and options aside). */
/** Whether a trainer's start is a whole saved state (a checkpoint's) rather than bare weights. */
export function isEngineState(x: Tensors<Float32Array | Float64Array> | EngineState | undefined): x is EngineState {
  return x !== undefined && 'dataOrder' in x && typeof (x as EngineState).step === 'number';
}

export interface EngineState {
  /** Optimizer steps done. */
  step: number;
  params: Tensors;
  adamM: Tensors;
  adamV: Tensors;
  dataOrder: DataOrderState;
  /** A stateful run's carried state (its next window's h_0, c_0) per layer, bottom-up: h (B, H), c (B, H). */
  carried?: CarriedState[];
}

export interface CarriedState {
  h: Float32Array;
  c: Float32Array;
}

export interface StepStats {
  step: number;
  loss: number;
  accuracy: number;
  /** Global norm of this step's gradients, before clipping. */
  gradNorm: number;
}

export interface EvalResult {
  /** Sequences (or windows) evaluated. */
  count: number;
  /** The mean loss over every prediction (B per batch of a classifier, B*T of a language model). */
  loss: number;
  accuracy: number;
}

/** Training stopped because a loss or gradient became NaN or infinite; the weights are the last good ones. */
export class TrainingDiverged extends UserError {
  override name = 'TrainingDiverged';
  constructor(readonly step: number) {
    super(
      `the loss or gradients became NaN or infinite at step ${step}; training stopped there, and the weights ` +
        `are those after step ${step - 1}. Try a lower --lr, or --clip-norm (e.g. 5).`,
    );
  }
}

export interface Trainer {
  plan: Plan;
  /** Training steps submitted so far (from the start of the run, resumed runs included). */
  readonly step: number;
  /** Per training step, counted while encoding. */
  readonly dispatchesPerStep: number;
  readonly submitsPerStep: number;
  /**
   * Runs one training step on the next minibatch of the shuffled order (or on `indices`). With
   * `stats`, resolves with the step's minibatch loss and accuracy once the GPU has finished it (and
   * throws TrainingDiverged if any step so far went non-finite); without, resolves once few enough
   * steps are in flight.
   */
  trainStep(opts?: { indices?: Uint32Array; stats?: boolean }): Promise<StepStats | undefined>;
  /** Loss and accuracy over a whole dataset, forward only, in batches of B. */
  evaluate(dataset: string): Promise<EvalResult>;
  /** The logits (N, C) of every sequence of a dataset, forward only, in batches of B. */
  logits(dataset: string): Promise<Float32Array>;
  /** Waits for all submitted work; throws the device's failure, or TrainingDiverged. */
  flush(): Promise<void>;
  /** The full state after the last submitted step (waits for it); throws TrainingDiverged. Not to be
   *  called while a trainStep is still running (its step would mix with the state read). */
  saveState(): Promise<EngineState>;
  readParams(): Promise<Tensors>;
  readGrads(): Promise<Tensors>;
  writeParams(t: Tensors<Float32Array | Float64Array>): void;
  destroy(): void;
}

const maxInFlight = 2;

export async function createTrainer(
  ctx: GpuContext,
  cfg: TrainConfig,
  datasets: Record<string, Dataset>,
  start?: Tensors<Float32Array | Float64Array> | EngineState,
): Promise<Trainer> {
  const { device } = ctx;
  const stateful = cfg.stateful ?? false;
  if (stateful && !(datasets.train && isTokenSet(datasets.train))) throw new UserError('stateful training needs a token stream to train on (a language model)');
  const plan = await createPlan(ctx, { model: cfg.model, batch: cfg.batch, adam: cfg.adam, datasets, overrides: cfg.overrides, scheduler: cfg.scheduler, stateful });
  const B = cfg.batch;
  const S = headSteps(cfg.model);
  const statsBytes = S * B * 2 * 4;
  const statsRing = createReadbackRing(ctx, 'stats', statsBytes + statusBytes);
  const indices = new Uint32Array(B);
  const evalReadback = new Map<string, GPUBuffer>();
  const resume = isEngineState(start) ? start : undefined;
  let order: DataOrder | undefined;
  if (datasets.train && stateful) {
    order = restoreTrackOrder(datasets.train.count, B, resume?.dataOrder ?? trackOrderStart);
  } else if (datasets.train) {
    order = resume
      ? restoreDataOrder(datasets.train.count, resume.dataOrder)
      : createDataOrder(datasets.train.count, createRng(cfg.seed ^ 0x9e3779b9));
  }
  const inFlight: Promise<unknown>[] = [];
  let step = resume?.step ?? 0;
  let dispatchesPerStep = 0;

  const zeros = new Float32Array(plan.layout.length);
  const writeParams = (t: Tensors<Float32Array | Float64Array>): void => {
    device.queue.writeBuffer(plan.buffers.params, 0, packParams(cfg.model, t));
    for (const moment of [plan.buffers.adamM, plan.buffers.adamV]) device.queue.writeBuffer(moment, 0, zeros);
  };
  // A stateful plan's carried state lives where the next window's forward pass reads it: the h columns of
  // each layer's xh rows t = 0 (beside x and the bias column) and cs rows t = 0.
  const stateRows = (k: number): { xh: Float32Array<ArrayBuffer>; width: number; input: number; hidden: number } => {
    const { input, hidden } = plan.layers[k].dims;
    const width = input + hidden + 1;
    const xh = new Float32Array(B * width);
    for (let b = 0; b < B; b++) xh[b * width + width - 1] = 1; // the bias column
    return { xh, width, input, hidden };
  };
  const writeCarried = (carried?: CarriedState[]): void => {
    plan.layers.forEach((layer, k) => {
      const { xh, width, input, hidden } = stateRows(k);
      const c = new Float32Array(B * hidden);
      if (carried) {
        for (let b = 0; b < B; b++) xh.set(carried[k].h.subarray(b * hidden, (b + 1) * hidden), b * width + input);
        c.set(carried[k].c);
      }
      device.queue.writeBuffer(layer.buffers.xh, 0, xh);
      device.queue.writeBuffer(layer.buffers.cs, 0, c);
    });
  };
  const readCarried = async (): Promise<CarriedState[]> => Promise.all(plan.layers.map(async (layer, k) => {
    const { width, input, hidden } = stateRows(k);
    const xh = new Float32Array(await readBuffer(device, layer.buffers.xh, 0, B * width * 4).catch(explain));
    const h = new Float32Array(B * hidden);
    for (let b = 0; b < B; b++) h.set(xh.subarray(b * width + input, b * width + input + hidden), b * hidden);
    return { h, c: new Float32Array(await readBuffer(device, layer.buffers.cs, 0, B * hidden * 4).catch(explain)) };
  }));
  if (resume?.carried) {
    if (!stateful) throw new Error('createTrainer: a carried state to resume, but the run is not stateful');
    const bad = resume.carried.length !== plan.layers.length ||
      resume.carried.some((s, k) => s.h.length !== B * plan.layers[k].dims.hidden || s.c.length !== B * plan.layers[k].dims.hidden);
    if (bad) throw new Error('createTrainer: the carried state does not fit this model and batch');
  }

  if (resume) {
    device.queue.writeBuffer(plan.buffers.params, 0, packParams(cfg.model, resume.params));
    device.queue.writeBuffer(plan.buffers.adamM, 0, packParams(cfg.model, resume.adamM));
    device.queue.writeBuffer(plan.buffers.adamV, 0, packParams(cfg.model, resume.adamV));
    if (stateful) writeCarried(resume.carried);
  } else {
    writeParams((start as Tensors | undefined) ?? initParams(cfg.model, cfg.seed));
  }

  const check = (): void => {
    const failure = ctx.failure();
    if (failure) throw failure;
  };
  /** A GPU call that fails as its device is lost (a mapAsync aborted, say) rejects before device.lost
   *  resolves: wait a moment for the loss, so the caller sees the real reason (and can recover). */
  const explain = async (e: unknown): Promise<never> => {
    if (!ctx.failure()) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 1000))]);
    throw ctx.failure() ?? e;
  };
  const checkStatus = (data: ArrayBuffer, offset: number): number => {
    const status = new DataView(data, offset, statusBytes);
    const badStep = status.getUint32(4, true);
    if (badStep !== 0) throw new TrainingDiverged(badStep);
    return status.getFloat32(0, true);
  };
  const readStatus = async (): Promise<number> => checkStatus(await readBuffer(device, plan.buffers.status).catch(explain), 0);
  const readTensors = async (buffer: GPUBuffer): Promise<Tensors> =>
    unpackParams(cfg.model, new Float32Array(await readBuffer(device, buffer).catch(explain)));

  /** Loss and accuracy of `count` sequences from the stats of consecutive batches (S*B rows each, in (s, b)
   *  order; past `count` a last batch's rows repeat its last sequence and are left out). */
  const summarize = (data: ArrayBuffer, count: number): { loss: number; accuracy: number } => {
    const s = new Float32Array(data);
    let loss = 0;
    let correct = 0;
    for (let n = 0; n < count; n++) {
      const batch = Math.floor(n / B);
      for (let step = 0; step < S; step++) {
        const row = batch * S * B + step * B + (n % B);
        loss += s[2 * row];
        correct += s[2 * row + 1];
      }
    }
    return { loss: loss / (count * S), accuracy: correct / (count * S) };
  };

  const flush = async (): Promise<void> => {
    await device.queue.onSubmittedWorkDone().catch(explain);
    inFlight.length = 0;
    check();
  };

  const datasetOf = (what: string, dataset: string): DatasetOnGpu => {
    const data = plan.datasets[dataset];
    if (!data) throw new Error(`${what}: no dataset ${dataset}`);
    return data;
  };

  /** Forward passes over a whole dataset in batches of B (the last padded with its last sequence), each
   *  batch's `bytes` of `source` copied into `readback` one after the other; the mapped copy. */
  const forwardBatches = async (dataset: string, source: GPUBuffer, bytes: number, readback: GPUBuffer): Promise<ArrayBuffer> => {
    const n = datasetOf('forward', dataset).set.count;
    // Every window starts from h = c = 0: a stateful run's carried state waits aside meanwhile.
    const carried = stateful ? await readCarried() : undefined;
    if (carried) writeCarried();
    for (let i = 0; i < Math.ceil(n / B); i++) {
      for (let b = 0; b < B; b++) indices[b] = Math.min(i * B + b, n - 1);
      device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
      const encoder = device.createCommandEncoder({ label: `forward ${dataset} ${i}` });
      const pass = encoder.beginComputePass({ label: 'forward' });
      encodeForward(plan, pass, dataset, { dispatches: 0 });
      pass.end();
      encoder.copyBufferToBuffer(source, 0, readback, i * bytes, bytes);
      device.queue.submit([encoder.finish()]);
      if (i % 8 === 7) await device.queue.onSubmittedWorkDone();
      check();
    }
    await readback.mapAsync(GPUMapMode.READ).catch(explain);
    const all = readback.getMappedRange().slice(0);
    readback.unmap();
    if (carried) writeCarried(carried);
    check();
    return all;
  };

  return {
    plan,
    get step() { return step; },
    get dispatchesPerStep() { return dispatchesPerStep; },
    submitsPerStep: 1,

    async trainStep(opts = {}) {
      check();
      if (opts.indices) {
        if (opts.indices.length !== B) throw new Error(`trainStep: ${opts.indices.length} indices for a batch of ${B}`);
        indices.set(opts.indices);
      } else if (order) {
        // A stateful run starts each epoch's tracks from h = c = 0.
        if (order.fill(indices) && stateful) writeCarried();
      } else {
        throw new Error('trainStep: this trainer has no dataset named train');
      }
      step += 1;
      const lr = cfg.schedule ? scheduledLr(cfg.adam.lr, cfg.schedule, step) : cfg.adam.lr;
      const adamUniform = packUniform(plan.kernels.adam, plan.kernels.adam.spec.params(plan.dims, { ...cfg.adam, lr, clipNorm: cfg.clipNorm ?? 0, step }));
      device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
      device.queue.writeBuffer(plan.buffers.uniforms, plan.adamSlot, adamUniform);
      const slot = opts.stats ? await statsRing.acquire() : undefined;
      const encoder = device.createCommandEncoder({ label: `step ${step}` });
      const counts: EncodeCounts = { dispatches: 0 };
      encodeTrainStep(plan, encoder, 'train', counts);
      dispatchesPerStep = counts.dispatches;
      slot?.encodeCopy(encoder, plan.buffers.stats, 0, statsBytes);
      slot?.encodeCopy(encoder, plan.buffers.status, statsBytes, statusBytes);
      device.queue.submit([encoder.finish()]);
      const thisStep = step;
      if (slot) {
        const data = await slot.read().catch(explain);
        check();
        const gradNorm = checkStatus(data, statsBytes);
        return { step: thisStep, gradNorm, ...summarize(data, B) };
      }
      inFlight.push(device.queue.onSubmittedWorkDone());
      while (inFlight.length > maxInFlight) await inFlight.shift()!.catch(explain);
      check();
      return undefined;
    },

    async evaluate(dataset) {
      const n = datasetOf('evaluate', dataset).set.count;
      let readback = evalReadback.get(dataset);
      if (!readback) {
        readback = ctx.createBuffer({ label: `${dataset} eval readback`, size: Math.ceil(n / B) * statsBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        evalReadback.set(dataset, readback);
      }
      const all = await forwardBatches(dataset, plan.buffers.stats, statsBytes, readback);
      return { count: n, ...summarize(all, n) };
    },

    async logits(dataset) {
      const n = datasetOf('logits', dataset).set.count;
      const C = cfg.model.classes;
      const bytes = S * B * C * 4;
      const readback = ctx.createBuffer({ label: `${dataset} logits readback`, size: Math.ceil(n / B) * bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const all = new Float32Array(await forwardBatches(dataset, plan.buffers.logits, bytes, readback));
        if (S === 1) return all.slice(0, n * C);
        // Batches hold (S, B, C): reorder to (N, S, C).
        const out = new Float32Array(n * S * C);
        for (let seq = 0; seq < n; seq++) {
          for (let step = 0; step < S; step++) {
            const from = (Math.floor(seq / B) * S * B + step * B + (seq % B)) * C;
            out.set(all.subarray(from, from + C), (seq * S + step) * C);
          }
        }
        return out;
      } finally {
        readback.destroy();
      }
    },

    async flush() {
      await flush();
      await readStatus();
    },
    async saveState() {
      await flush();
      await readStatus();
      if (!order) throw new Error('saveState: this trainer has no dataset named train');
      return {
        step,
        params: await readTensors(plan.buffers.params),
        adamM: await readTensors(plan.buffers.adamM),
        adamV: await readTensors(plan.buffers.adamV),
        dataOrder: order.state(),
        ...(stateful ? { carried: await readCarried() } : {}),
      };
    },
    readParams: () => readTensors(plan.buffers.params),
    readGrads: () => readTensors(plan.buffers.grads),
    writeParams,
    destroy() {
      statsRing.destroy();
      evalReadback.forEach((b) => b.destroy());
      plan.destroy();
    },
  };
}
