// GPU time of each phase of a training step, measured with timestamp queries: the phases of
// encodeTrainStep (step.ts) in the same order, each in its own compute pass that writes its begin and end
// timestamps. It runs as an occasional extra step on a scratch plan of the same model and batch (its
// parameters copied from the training plan first), so the training run itself is never perturbed.
import type { GpuContext } from '../gpu/device.ts';
import { isTokenSet } from '../data/dataset.ts';
import { type Plan, createPlan } from './plan.ts';
import { type EncodeCounts, type Phase, encodePhase, phases } from './step.ts';

export { type Phase, phases } from './step.ts';

export const phaseLabels: Record<Phase, string> = {
  forward: 'forward (gather, input projection, T cells)',
  loss: 'loss (softmax cross-entropy)',
  backward: 'backward (output layer, T cells)',
  weightGradients: 'weight gradients (LSTM GEMM)',
  optimizer: 'optimizer (gradient norm, Adam)',
};

/** Milliseconds of GPU time per phase. */
export type PhaseTimes = Record<Phase, number>;

export interface Profiler {
  /** Dispatches one profiled step encodes (equal to the trainer's per step). */
  readonly dispatches: number;
  /** Runs one step on a batch of the source plan's first images, with the source's current parameters. */
  profile(): Promise<PhaseTimes>;
  destroy(): void;
}

export function timestampsSupported(device: GPUDevice): boolean {
  return device.features.has('timestamp-query');
}

/**
 * The profiler's plan: the source's model, batch, Adam, scheduler and workgroup sizes (so the profiled step
 * is the step training runs), over a batch of the source dataset's first images, gathered in order.
 */
export async function createScratchPlan(ctx: GpuContext, source: Plan, sourceDataset = 'train'): Promise<Plan> {
  const from = source.datasets[sourceDataset]?.set;
  if (!from) throw new Error(`profiler: the source plan has no dataset ${sourceDataset}`);
  const B = source.dims.batch;
  const n = Math.min(B, from.count);
  const sample = isTokenSet(from)
    ? { ...from, count: n, tokens: from.tokens.subarray(0, n * from.rows + 1) }
    : { count: n, rows: from.rows, cols: from.cols, pixels: from.pixels.subarray(0, n * from.rows * from.cols), labels: from.labels.subarray(0, n) };
  const plan = await createPlan(ctx, {
    model: source.model, batch: B, adam: source.adamHyper, datasets: { sample }, scheduler: source.scheduler, overrides: source.overrides, stateful: source.stateful,
  });
  ctx.device.queue.writeBuffer(plan.buffers.batchIndex, 0, Uint32Array.from({ length: B }, (_, i) => i % n));
  return plan;
}

/** Needs a device made with 'timestamp-query' (see timestampsSupported). */
export async function createProfiler(ctx: GpuContext, source: Plan, sourceDataset = 'train'): Promise<Profiler> {
  const { device } = ctx;
  if (!timestampsSupported(device)) throw new Error('this device was not created with the timestamp-query feature');
  const plan = await createScratchPlan(ctx, source, sourceDataset);

  const count = 2 * phases.length;
  const querySet = device.createQuerySet({ label: 'phase timestamps', type: 'timestamp', count });
  const resolve = ctx.createBuffer({ label: 'phase timestamps resolve', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = ctx.createBuffer({ label: 'phase timestamps readback', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  let dispatches = 0;

  return {
    get dispatches() { return dispatches; },
    async profile() {
      const encoder = device.createCommandEncoder({ label: 'profiled step' });
      encoder.copyBufferToBuffer(source.buffers.params, 0, plan.buffers.params, 0, plan.buffers.params.size);
      const counts: EncodeCounts = { dispatches: 0 };
      phases.forEach((phase, i) => {
        const pass = encoder.beginComputePass({
          label: `profiled ${phase}`,
          timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        encodePhase(plan, phase, pass, 'sample', counts);
        pass.end();
      });
      dispatches = counts.dispatches;
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, count * 8);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const ns = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      const failure = ctx.failure();
      if (failure) throw failure;
      const times = {} as PhaseTimes;
      phases.forEach((phase, i) => {
        // Timestamps may be quantized, and some drivers report an end before its begin: never negative.
        times[phase] = Math.max(0, Number(ns[2 * i + 1] - ns[2 * i])) / 1e6;
      });
      return times;
    },
    destroy() {
      querySet.destroy();
      resolve.destroy();
      readback.destroy();
      plan.destroy();
    },
  };
}
