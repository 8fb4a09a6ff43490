// The autotuner: picks each hot kernel's workgroup size for this adapter and shape. For every candidate
// it builds a plan, runs one training step's forward, loss, backward and weight gradients from the same
// weights and batch, and keeps the candidate only if every gradient is bit-identical to the default
// plan's (whose kernels are tested against the float64 oracle); then it times the phase that holds the
// kernel and keeps the fastest. Runs the same in Node and the browser; callers cache the result by
// tuningKey (Node: src/cli/tuning-cache.ts).
import type { ImageSet } from '../data/dataset.ts';
import type { AdapterDescription, GpuContext } from '../gpu/device.ts';
import type { Overrides } from '../kernels/dims.ts';
import { initParams } from './init.ts';
import { type ModelConfig, packParams } from './model.ts';
import { type KernelOverrides, type Plan, createPlan } from './plan.ts';
import { readBuffer } from './readback.ts';
import { type EncodeCounts, type Phase, encodePhase } from './step.ts';
import { defaultAdam } from './trainer.ts';

/** The kernels worth tuning (the others are a few dispatches of little work), and the phase that times each. */
export const tunedKernels: Record<string, Phase> = {
  input_projection: 'forward',
  lstm_cell_forward: 'forward',
  lstm_cell_backward: 'backward',
  lstm_weight_grad: 'weightGradients',
};

export const workgroupCandidates: [number, number][] = [[4, 4], [8, 4], [8, 8], [16, 4], [32, 1], [4, 16]];

export interface TuneTrial {
  kernel: string;
  workgroup: [number, number];
  /** Median ms of the kernel's phase; NaN when the candidate was refused. */
  ms: number;
  /** Why the candidate was refused (gradients differ, over a limit). */
  refused?: string;
}

export interface TuneResult {
  key: string;
  overrides: KernelOverrides;
  /** Median ms of a training step's four phases with the defaults, and with the chosen sizes (overrides is
   *  empty, and tunedMs = defaultMs, when the chosen sizes were not faster than the defaults). */
  defaultMs: number;
  tunedMs: number;
  trials: TuneTrial[];
}

export function tuningKey(adapter: AdapterDescription, model: ModelConfig, batch: number): string {
  const a = `${adapter.runtime}|${adapter.vendor}|${adapter.architecture}|${adapter.device}|${adapter.description}`;
  return `${a}|B=${batch} T=${model.steps} I=${model.inputSize} H=${model.hidden} C=${model.classes}`;
}

const timedPhases: Phase[] = ['forward', 'loss', 'backward', 'weightGradients'];

export async function tuneWorkgroups(
  ctx: GpuContext,
  model: ModelConfig,
  batch: number,
  sample: ImageSet,
  opts: { reps?: number; candidates?: [number, number][] } = {},
): Promise<TuneResult> {
  const { device } = ctx;
  const reps = opts.reps ?? 3;
  const candidates = opts.candidates ?? workgroupCandidates;
  const params = packParams(model, initParams(model, 0));
  const indices = Uint32Array.from({ length: batch }, (_, i) => i % sample.count);

  const planWith = (overrides: KernelOverrides): Promise<Plan> =>
    createPlan(ctx, { model, batch, adam: defaultAdam, datasets: { sample }, overrides });
  const run = async (plan: Plan, phases: Phase[]): Promise<number> => {
    const started = performance.now();
    const encoder = device.createCommandEncoder({ label: 'tune' });
    const pass = encoder.beginComputePass({ label: 'tune' });
    const counts: EncodeCounts = { dispatches: 0 };
    for (const phase of phases) encodePhase(plan, phase, pass, 'sample', counts);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const failure = ctx.failure();
    if (failure) throw failure;
    return performance.now() - started;
  };
  const median = async (plan: Plan, phases: Phase[]): Promise<number> => {
    await run(plan, phases); // warm-up
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await run(plan, phases));
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  };
  /** One step's gradients from the fixed weights and batch, as raw bits. */
  const gradients = async (plan: Plan): Promise<Uint32Array> => {
    device.queue.writeBuffer(plan.buffers.params, 0, params);
    device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
    await run(plan, timedPhases);
    return new Uint32Array(await readBuffer(device, plan.buffers.grads));
  };
  const sameBits = (a: Uint32Array, b: Uint32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

  const base = await planWith({});
  let reference: Uint32Array;
  try {
    reference = await gradients(base);
  } finally {
    base.destroy();
  }

  const chosen: KernelOverrides = {};
  const trials: TuneTrial[] = [];
  for (const [kernel, phase] of Object.entries(tunedKernels)) {
    let best: { ms: number; overrides: Overrides } | undefined;
    for (const [x, y] of candidates) {
      const overrides: Overrides = { WG_X: x, WG_Y: y };
      let plan: Plan | undefined;
      try {
        plan = await planWith({ ...chosen, [kernel]: overrides });
        if (!sameBits(await gradients(plan), reference)) {
          trials.push({ kernel, workgroup: [x, y], ms: NaN, refused: 'gradients differ from the default plan' });
          continue;
        }
        const ms = await median(plan, [phase]);
        trials.push({ kernel, workgroup: [x, y], ms });
        if (!best || ms < best.ms) best = { ms, overrides };
      } catch (e) {
        if (ctx.failure()) throw e;
        trials.push({ kernel, workgroup: [x, y], ms: NaN, refused: (e as Error).message });
      } finally {
        plan?.destroy();
      }
    }
    if (best) chosen[kernel] = best.overrides;
  }

  // The choice against the defaults, whole steps, taking turns (the machine's load drifts): kept only if faster.
  const [plainPlan, tunedPlan] = [await planWith({}), await planWith(chosen)];
  try {
    for (const plan of [plainPlan, tunedPlan]) device.queue.writeBuffer(plan.buffers.params, 0, params);
    const plain: number[] = [];
    const fast: number[] = [];
    for (let i = 0; i < reps + 1; i++) {
      plain.push(await median(plainPlan, timedPhases));
      fast.push(await median(tunedPlan, timedPhases));
    }
    const mid = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const defaultMs = mid(plain);
    const tunedMs = mid(fast);
    const key = tuningKey(ctx.adapter, model, batch);
    if (!(tunedMs < defaultMs)) return { key, overrides: {}, defaultMs, tunedMs: defaultMs, trials };
    return { key, overrides: chosen, defaultMs, tunedMs, trials };
  } finally {
    plainPlan.destroy();
    tunedPlan.destroy();
  }
}
