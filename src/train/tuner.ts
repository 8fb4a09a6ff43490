// The autotuner: picks the scheduler (one dispatch per timestep or per sequence: plan.ts Scheduler) and
// each hot kernel's workgroup size for this adapter and shape. The schedulers are timed whole steps
// against each other first (their gradients must be bit-identical); then, under the faster, for every candidate
// it builds a plan, runs one training step's forward, loss, backward and weight gradients from the same
// weights and batch, and keeps the candidate only if every gradient is bit-identical to the default
// plan's (whose kernels are tested against the float64 oracle); then it times the phase that holds the
// kernel and keeps the fastest. The choices together are kept only if a whole step is faster than with
// the defaults. Runs the same in Node and the browser, at first use on an adapter and shape; callers cache
// the result by tuningKey (Node: src/cli/tuning-cache.ts, the page: src/app/tuning-store.ts). A time
// budget bounds it: candidates left when it is spent are not tried.
import type { ImageSet } from '../data/dataset.ts';
import type { AdapterDescription, GpuContext } from '../gpu/device.ts';
import type { Overrides } from '../kernels/dims.ts';
import { initParams } from './init.ts';
import { type ModelConfig, packParams } from './model.ts';
import { type KernelOverrides, type Plan, type PlanTuning, type Scheduler, cellSpecs, createPlan, defaultScheduler, schedulers } from './plan.ts';
import { readBuffer } from './readback.ts';
import { type EncodeCounts, type Phase, encodePhase } from './step.ts';
import { defaultAdam } from './trainer.ts';

/** The kernels worth tuning under a scheduler (the others are a few dispatches of little work), and the
 *  phase that times each. */
export function tunedKernels(scheduler: Scheduler): Record<string, Phase> {
  const cells = cellSpecs(scheduler);
  return { input_projection: 'forward', [cells.forward.name]: 'forward', [cells.backward.name]: 'backward', lstm_weight_grad: 'weightGradients' };
}

/** A choice is kept only if a whole step is at least this much faster than with the defaults. */
export const minGain = 1.02;

export const workgroupCandidates: [number, number][] = [[4, 4], [8, 4], [8, 8], [16, 4], [32, 1], [4, 16]];

export interface TuneTrial {
  kernel: string;
  workgroup: [number, number];
  /** Median ms of the kernel's phase; NaN when the candidate was refused. */
  ms: number;
  /** Why the candidate was refused (gradients differ, over a limit). */
  refused?: string;
}

/** A scheduler's whole step at the default workgroup sizes, against the default scheduler's. */
export interface SchedulerTrial {
  scheduler: Scheduler;
  /** Median ms of a training step's four phases; NaN when refused. */
  ms: number;
  refused?: string;
}

export interface TuneResult extends Required<PlanTuning> {
  key: string;
  /** Median ms of a training step's four phases with the defaults, and with the chosen sizes (overrides is
   *  empty, and tunedMs = defaultMs, when the chosen sizes were not faster than the defaults). */
  defaultMs: number;
  tunedMs: number;
  /** Workgroup candidates, each timed under searchedUnder (the fastest scheduler at default sizes). */
  trials: TuneTrial[];
  searchedUnder: Scheduler;
  schedulerTrials: SchedulerTrial[];
  /** Candidates not tried because the time budget was spent (0: every candidate was tried). */
  skipped: number;
  /** Wall-clock time the tuning took. */
  elapsedMs: number;
}

export interface TuneOptions {
  /** Timed runs per measurement (median taken); default 3. */
  reps?: number;
  candidates?: [number, number][];
  /** The tuning's time, roughly: candidates are tried only while the time left covers the final comparison
   *  with the defaults (estimated from the defaults' step time); the ones left are skipped. */
  budgetMs?: number;
  /** Aborts the tuning (throws the signal's reason) between two candidates. */
  signal?: AbortSignal;
  /** Called after each candidate: how many of `total` are done (tried, refused or skipped). */
  onProgress?(done: number, total: number): void;
}

/** The autotuner's budget at first use: a bound on the candidate search, whatever the adapter's speed. */
export const firstUseBudgetMs = 15_000;

/** The cache key of a tuning: adapter and shape (v2: the scheduler is part of the choice). */
export function tuningKey(adapter: AdapterDescription, model: ModelConfig, batch: number): string {
  const a = `v2|${adapter.runtime}|${adapter.vendor}|${adapter.architecture}|${adapter.device}|${adapter.description}`;
  return `${a}|B=${batch} T=${model.steps} I=${model.inputSize} H=${model.hidden} C=${model.classes}`;
}

const timedPhases: Phase[] = ['forward', 'loss', 'backward', 'weightGradients'];

export async function tuneWorkgroups(
  ctx: GpuContext,
  model: ModelConfig,
  batch: number,
  sample: ImageSet,
  opts: TuneOptions = {},
): Promise<TuneResult> {
  const { device } = ctx;
  const started = performance.now();
  const reps = opts.reps ?? 3;
  const candidates = opts.candidates ?? workgroupCandidates;
  const total = candidates.length * Object.keys(tunedKernels(defaultScheduler)).length;
  const params = packParams(model, initParams(model, 0));
  // Only the images of one batch go to the GPU (every candidate's plan uploads its datasets).
  const images = firstImages(sample, Math.min(batch, sample.count));
  const indices = Uint32Array.from({ length: batch }, (_, i) => i % images.count);

  const planWith = (scheduler: Scheduler, overrides: KernelOverrides): Promise<Plan> =>
    createPlan(ctx, { model, batch, adam: defaultAdam, datasets: { sample: images }, overrides, scheduler });
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
  /** Median of `reps` timed runs; the caller has run the plan once already (pipelines warm). */
  const median = async (plan: Plan, phases: Phase[]): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await run(plan, phases));
    return mid(times);
  };
  /** One step's gradients from the fixed weights and batch, as raw bits. */
  const gradients = async (plan: Plan): Promise<Uint32Array> => {
    device.queue.writeBuffer(plan.buffers.params, 0, params);
    device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
    await run(plan, timedPhases);
    return new Uint32Array(await readBuffer(device, plan.buffers.grads));
  };
  const sameBits = (a: Uint32Array, b: Uint32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

  const planStarted = performance.now();
  const base = await planWith(defaultScheduler, {});
  const planMs = performance.now() - planStarted;
  const extra: Plan[] = []; // the other schedulers' default plans
  try {
    const reference = await gradients(base);
    // The budget keeps time for the comparison at the end: a plan and 2(2 reps + 1) + 1 whole steps.
    const stepMs = await run(base, timedPhases);
    const searchUntil = opts.budgetMs === undefined ? Infinity : started + opts.budgetMs - planMs - (4 * reps + 3) * stepMs;

    // The schedulers: whole steps at the default sizes, taking turns with the default scheduler's.
    const schedulerTrials: SchedulerTrial[] = [];
    let home = base; // the plan of the scheduler the workgroup search runs under
    let homeMs = Infinity;
    for (const scheduler of schedulers.filter((x) => x !== defaultScheduler)) {
      opts.signal?.throwIfAborted();
      if (performance.now() > searchUntil) break;
      try {
        const plan = await planWith(scheduler, {});
        extra.push(plan);
        if (!sameBits(await gradients(plan), reference)) {
          schedulerTrials.push({ scheduler, ms: NaN, refused: 'gradients differ from the default plan' });
          continue;
        }
        const mine: number[] = [];
        const theirs: number[] = [];
        for (let i = 0; i < reps; i++) {
          theirs.push(await run(base, timedPhases));
          mine.push(await run(plan, timedPhases));
        }
        if (schedulerTrials.length === 0) schedulerTrials.push({ scheduler: defaultScheduler, ms: mid(theirs) });
        schedulerTrials.push({ scheduler, ms: mid(mine) });
        if (mid(mine) * minGain < Math.min(mid(theirs), homeMs)) [home, homeMs] = [plan, mid(mine)];
      } catch (e) {
        if (ctx.failure()) throw e;
        schedulerTrials.push({ scheduler, ms: NaN, refused: (e as Error).message });
      }
    }
    const scheduler = home.scheduler;
    const hot = tunedKernels(scheduler);
    const defaults = (kernel: string): Overrides | undefined => Object.values(home.kernels).find((k) => k.spec.name === kernel)?.overrides;
    // Candidates in turns over the kernels, so that a spent budget leaves every kernel the same number
    // tried; each candidate's plan holds the defaults elsewhere, so a kernel's candidates compare alone.
    const best: Record<string, { ms: number; overrides: Overrides }> = {};
    const trials: TuneTrial[] = [];
    let skipped = 0;
    for (const [x, y] of candidates) {
      for (const [kernel, phase] of Object.entries(hot)) {
        opts.signal?.throwIfAborted();
        opts.onProgress?.(trials.length + skipped, total);
        if (performance.now() > searchUntil) {
          skipped += 1;
          continue;
        }
        const overrides: Overrides = { WG_X: x, WG_Y: y };
        const d = defaults(kernel);
        if (d?.WG_X === x && d.WG_Y === y) { // the default plan is this candidate's: no plan to build or check
          const ms = await median(home, [phase]);
          trials.push({ kernel, workgroup: [x, y], ms });
          if (!best[kernel] || ms < best[kernel].ms) best[kernel] = { ms, overrides };
          continue;
        }
        let plan: Plan | undefined;
        try {
          plan = await planWith(scheduler, { [kernel]: overrides });
          if (!sameBits(await gradients(plan), reference)) {
            trials.push({ kernel, workgroup: [x, y], ms: NaN, refused: 'gradients differ from the default plan' });
            continue;
          }
          const ms = await median(plan, [phase]);
          trials.push({ kernel, workgroup: [x, y], ms });
          if (!best[kernel] || ms < best[kernel].ms) best[kernel] = { ms, overrides };
        } catch (e) {
          if (ctx.failure()) throw e;
          trials.push({ kernel, workgroup: [x, y], ms: NaN, refused: (e as Error).message });
        } finally {
          plan?.destroy();
        }
      }
    }
    opts.onProgress?.(total, total);
    opts.signal?.throwIfAborted();
    const chosen: KernelOverrides = Object.fromEntries(Object.entries(best).map(([k, b]) => [k, b.overrides]));

    // The choice against the defaults, whole steps taking turns (the machine's load drifts): kept only if
    // faster by minGain (less is within the noise of a shared machine, and would be reported as "1.00x").
    const key = tuningKey(ctx.adapter, model, batch);
    const tunedPlan = Object.keys(chosen).length > 0 || scheduler !== defaultScheduler ? await planWith(scheduler, chosen) : undefined;
    try {
      // The warm-up run checks the choices together too (each alone gave the defaults' exact gradients).
      const together = tunedPlan !== undefined && sameBits(await gradients(tunedPlan), reference);
      const plain: number[] = [];
      const fast: number[] = [];
      for (let i = 0; i < 2 * reps + 1; i++) {
        plain.push(await run(base, timedPhases));
        if (together) fast.push(await run(tunedPlan, timedPhases));
      }
      const defaultMs = mid(plain);
      const tunedMs = together ? mid(fast) : defaultMs;
      const elapsedMs = performance.now() - started;
      const measured = { key, defaultMs, trials, searchedUnder: scheduler, schedulerTrials, skipped, elapsedMs };
      if (!(tunedMs * minGain < defaultMs)) return { ...measured, scheduler: defaultScheduler, overrides: {}, tunedMs: defaultMs };
      return { ...measured, scheduler, overrides: chosen, tunedMs };
    } finally {
      tunedPlan?.destroy();
    }
  } finally {
    base.destroy();
    for (const plan of extra) plan.destroy();
  }
}

const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** What a cache keeps of a tuning (.cache/tuning.json in Node, IndexedDB in the page), by tuningKey. */
export interface TuningRecord {
  overrides: KernelOverrides;
  /** Absent in records of before the schedulers: the default. */
  scheduler?: Scheduler;
  defaultMs: number;
  tunedMs: number;
  /** Candidates the time budget left untried. */
  skipped?: number;
  /** ISO 8601. */
  date: string;
}

export function tuningRecord(r: TuneResult): TuningRecord {
  return { overrides: r.overrides, scheduler: r.scheduler, defaultMs: r.defaultMs, tunedMs: r.tunedMs, skipped: r.skipped, date: new Date().toISOString() };
}

/** A cached record as read back (JSON, IndexedDB): workgroup sizes within any device's limits, positive times. */
export function isTuningRecord(e: unknown): e is TuningRecord {
  if (typeof e !== 'object' || e === null) return false;
  const { overrides, scheduler, defaultMs, tunedMs } = e as Record<string, unknown>;
  const ms = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  const size = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1024;
  const perKernel = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(size);
  return typeof overrides === 'object' && overrides !== null && !Array.isArray(overrides) &&
    Object.values(overrides).every(perKernel) && ms(defaultMs) && ms(tunedMs) &&
    (scheduler === undefined || schedulers.includes(scheduler as Scheduler));
}

/** What a plan takes of a cached record or a result. */
export function planTuning(r: Pick<TuningRecord, 'overrides' | 'scheduler'>): PlanTuning {
  return { overrides: r.overrides, scheduler: r.scheduler ?? defaultScheduler };
}

/** True when the tuning changed something (a scheduler or workgroup sizes) and is faster. */
export function tuningKept(r: Pick<TuningRecord, 'overrides' | 'scheduler'>): boolean {
  return Object.keys(r.overrides).length > 0 || (r.scheduler ?? defaultScheduler) !== defaultScheduler;
}

function firstImages(set: ImageSet, count: number): ImageSet {
  const size = set.rows * set.cols;
  return { ...set, count, pixels: set.pixels.subarray(0, count * size), labels: set.labels.subarray(0, count) };
}

/** One line on the outcome, for people: "1.12x faster than the defaults" or "the defaults were the fastest". */
export function describeTuning(r: Pick<TuningRecord, 'overrides' | 'scheduler' | 'defaultMs' | 'tunedMs'>): string {
  const ms = (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
  const scheduler = r.scheduler ?? defaultScheduler;
  const what = scheduler === defaultScheduler ? '' : `, one dispatch per ${scheduler}`;
  return tuningKept(r)
    ? `${(r.defaultMs / r.tunedMs).toFixed(2)}x faster than the defaults (${ms(r.defaultMs)} -> ${ms(r.tunedMs)} a step's kernels${what})`
    : `the default scheduler and workgroup sizes were the fastest (${ms(r.defaultMs)} a step's kernels)`;
}
