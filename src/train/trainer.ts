// The training loop's engine: a plan, the data order, Adam's step counter, and asynchronous readback.
// Each step writes only the batch indices and Adam's uniform, encodes its dispatches into one command
// buffer and submits once. It runs the same in Node and in the browser.
import type { ImageSet } from '../data/dataset.ts';
import { packUniform } from '../gpu/kernel.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { AdamHyper } from '../kernels/adam.ts';
import { initParams } from './init.ts';
import { type ModelConfig, type Tensors, packParams, unpackParams } from './model.ts';
import { type Plan, createPlan } from './plan.ts';
import { createReadbackRing, readBuffer } from './readback.ts';
import { type Rng, createRng, permutation } from './rng.ts';
import { type EncodeCounts, encodeForward, encodeTrainStep } from './step.ts';

export interface TrainConfig {
  model: ModelConfig;
  batch: number;
  adam: AdamHyper;
  seed: number;
}

/** TensorFlow's AdamOptimizer defaults with the tutorial's learning rate. */
export const defaultAdam: AdamHyper = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface StepStats {
  step: number;
  loss: number;
  accuracy: number;
}

export interface EvalResult {
  count: number;
  loss: number;
  accuracy: number;
}

export interface Trainer {
  plan: Plan;
  /** Training steps submitted so far. */
  readonly step: number;
  /** Per training step, counted while encoding. */
  readonly dispatchesPerStep: number;
  readonly submitsPerStep: number;
  /**
   * Runs one training step on the next minibatch of the shuffled order (or on `indices`). With
   * `stats`, resolves with the step's minibatch loss and accuracy once the GPU has finished it; without,
   * resolves once few enough steps are in flight.
   */
  trainStep(opts?: { indices?: Uint32Array; stats?: boolean }): Promise<StepStats | undefined>;
  /** Loss and accuracy over a whole dataset, forward only, in batches of B. */
  evaluate(dataset: string): Promise<EvalResult>;
  /** Waits for all submitted work and throws the device's failure if there was one. */
  flush(): Promise<void>;
  readParams(): Promise<Tensors>;
  readGrads(): Promise<Tensors>;
  writeParams(t: Tensors<Float32Array | Float64Array>): void;
  destroy(): void;
}

const maxInFlight = 2;

export async function createTrainer(
  ctx: GpuContext,
  cfg: TrainConfig,
  datasets: Record<string, ImageSet>,
  initial?: Tensors<Float32Array | Float64Array>,
): Promise<Trainer> {
  const { device } = ctx;
  const plan = await createPlan(ctx, { model: cfg.model, batch: cfg.batch, adam: cfg.adam, datasets });
  const B = cfg.batch;
  const statsBytes = B * 2 * 4;
  const statsRing = createReadbackRing(device, 'stats', statsBytes);
  const indices = new Uint32Array(B);
  const evalReadback = new Map<string, GPUBuffer>();
  const order = datasets.train ? createDataOrder(datasets.train.count, createRng(cfg.seed ^ 0x9e3779b9)) : undefined;
  const inFlight: Promise<unknown>[] = [];
  let step = 0;
  let dispatchesPerStep = 0;

  const writeParams = (t: Tensors<Float32Array | Float64Array>): void => {
    device.queue.writeBuffer(plan.buffers.params, 0, packParams(cfg.model, t));
    for (const moment of [plan.buffers.adamM, plan.buffers.adamV]) device.queue.writeBuffer(moment, 0, new Float32Array(plan.layout.length));
  };
  writeParams(initial ?? initParams(cfg.model, cfg.seed));

  const check = (): void => {
    const failure = ctx.failure();
    if (failure) throw failure;
  };

  const summarize = (data: ArrayBuffer, count: number): { loss: number; accuracy: number } => {
    const s = new Float32Array(data);
    let loss = 0;
    let correct = 0;
    for (let b = 0; b < count; b++) {
      loss += s[2 * b];
      correct += s[2 * b + 1];
    }
    return { loss: loss / count, accuracy: correct / count };
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
        order.fill(indices);
      } else {
        throw new Error('trainStep: this trainer has no dataset named train');
      }
      step += 1;
      const adamUniform = packUniform(plan.kernels.adam, plan.kernels.adam.spec.params(plan.dims, { ...cfg.adam, step }));
      device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
      device.queue.writeBuffer(plan.buffers.uniforms, plan.adamSlot, adamUniform);
      const slot = opts.stats ? await statsRing.acquire() : undefined;
      const encoder = device.createCommandEncoder({ label: `step ${step}` });
      const counts: EncodeCounts = { dispatches: 0 };
      encodeTrainStep(plan, encoder, 'train', counts);
      dispatchesPerStep = counts.dispatches;
      slot?.encodeCopy(encoder, plan.buffers.stats);
      device.queue.submit([encoder.finish()]);
      const thisStep = step;
      if (slot) {
        const stats = summarize(await slot.read(), B);
        check();
        return { step: thisStep, ...stats };
      }
      inFlight.push(device.queue.onSubmittedWorkDone());
      while (inFlight.length > maxInFlight) await inFlight.shift();
      check();
      return undefined;
    },

    async evaluate(dataset) {
      const data = plan.datasets[dataset];
      if (!data) throw new Error(`evaluate: no dataset ${dataset}`);
      const n = data.set.count;
      const batches = Math.ceil(n / B);
      let readback = evalReadback.get(dataset);
      if (!readback) {
        readback = device.createBuffer({ label: `${dataset} eval readback`, size: batches * statsBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        evalReadback.set(dataset, readback);
      }
      for (let i = 0; i < batches; i++) {
        for (let b = 0; b < B; b++) indices[b] = Math.min(i * B + b, n - 1);
        device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
        const encoder = device.createCommandEncoder({ label: `evaluate ${dataset} ${i}` });
        const pass = encoder.beginComputePass({ label: 'forward' });
        encodeForward(plan, pass, dataset, { dispatches: 0 });
        pass.end();
        encoder.copyBufferToBuffer(plan.buffers.stats, 0, readback, i * statsBytes, statsBytes);
        device.queue.submit([encoder.finish()]);
        if (i % 8 === 7) await device.queue.onSubmittedWorkDone();
        check();
      }
      await readback.mapAsync(GPUMapMode.READ);
      const all = readback.getMappedRange().slice(0);
      readback.unmap();
      check();
      return { count: n, ...summarize(all, n) };
    },

    async flush() {
      await device.queue.onSubmittedWorkDone();
      inFlight.length = 0;
      check();
    },
    readParams: async () => unpackParams(cfg.model, new Float32Array(await readBuffer(device, plan.buffers.params))),
    readGrads: async () => unpackParams(cfg.model, new Float32Array(await readBuffer(device, plan.buffers.grads))),
    writeParams,
    destroy() {
      statsRing.destroy();
      evalReadback.forEach((b) => b.destroy());
      plan.destroy();
    },
  };
}

/**
 * Minibatches drawn from a per-epoch shuffle; a batch that runs past the end of an epoch takes the
 * rest of it and continues with the next epoch's shuffle (as the tutorial's loader did).
 */
export interface DataOrder {
  fill(target: Uint32Array): void;
  readonly epoch: number;
}

export function createDataOrder(count: number, rng: Rng): DataOrder {
  let perm = permutation(count, rng);
  let position = 0;
  let epoch = 0;
  return {
    fill(target) {
      for (let i = 0; i < target.length; i++) {
        if (position === count) {
          perm = permutation(count, rng);
          position = 0;
          epoch += 1;
        }
        target[i] = perm[position++];
      }
    },
    get epoch() { return epoch; },
  };
}
