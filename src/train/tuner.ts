// The autotuner: picks the scheduler (one dispatch per timestep or per sequence: plan.ts Scheduler) and
// each hot kernel's workgroup size for this adapter and shape. The schedulers are timed whole steps
// against each other first (their gradients must be bit-identical); then, under the faster, for every
// candidate it builds a plan, runs one training step from the same weights and batch, and keeps the
// candidate only if every gradient is bit-identical to the default plan's (whose kernels are tested against
// the float64 oracle); then it times the phase that holds the kernel and keeps the fastest. Sizes that
// differ from the defaults are kept only if a whole step with them is faster than with the defaults (the
// final check). Runs the same in Node and the browser (first-use.ts: at first use on an adapter and shape,
// cached by tuningKey). A time budget is a deadline: every unit of work (a plan, a step, a phase) is
// estimated from the ones measured before it (tuning-budget.ts) and only started when it, and the final
// check it may call for, end before the deadline. Only the default plan and its first step, which
// nothing measured can estimate, always run.
import { type Dataset, isTokenSet } from '../data/dataset.ts';
import type { AdapterDescription, GpuContext } from '../gpu/device.ts';
import type { Overrides } from '../kernels/dims.ts';
import { initParams } from './init.ts';
import { type ModelConfig, packParams } from './model.ts';
import { type KernelOverrides, type Plan, type PlanTuning, type Scheduler, cellSpecs, createPlan, defaultScheduler, schedulers } from './plan.ts';
import { readBuffer } from './readback.ts';
import { type EncodeCounts, type Phase, encodePhase } from './step.ts';
import { defaultAdam } from './trainer.ts';
import { type Budget, type Unit, createBudget } from './tuning-budget.ts';

/** The kernels worth tuning under a scheduler (the others are a few dispatches of little work), and the
 *  phase that times each. */
export function tunedKernels(scheduler: Scheduler): Record<string, Phase> {
  const cells = cellSpecs(scheduler);
  return { input_projection: 'forward', [cells.forward.name]: 'forward', [cells.backward.name]: 'backward', lstm_weight_grad: 'weightGradients' };
}

/** A choice is kept only if a whole step is at least this much faster than with the defaults. */
export const minGain = 1.02;

/** Every hot kernel's default size (16x4, 4x4, 32x1) and one square: on lavapipe at the reference shape no
 *  other size (8x4, 4x16) was ever the fastest for any kernel. */
export const workgroupCandidates: [number, number][] = [[4, 4], [8, 8], [16, 4], [32, 1]];

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
  /** Median ms of a training step's four phases with the defaults, and with the choice (the same when the
   *  defaults are kept). */
  defaultMs: number;
  tunedMs: number;
  /** Workgroup candidates, each timed under searchedUnder (the fastest scheduler at default sizes). */
  trials: TuneTrial[];
  searchedUnder: Scheduler;
  /** Empty when the budget left no time to compare the schedulers. */
  schedulerTrials: SchedulerTrial[];
  /** Candidates not tried because the time budget was spent (0: every candidate was tried). */
  skipped: number;
  /** What the budget left out, in words ("the timestep scheduler", "16 of 16 workgroup candidates", "the
   *  final check"); empty when nothing. */
  cut: string[];
  /** Wall-clock time the tuning took, everything included. */
  elapsedMs: number;
}

export interface TuneOptions {
  /** Timed runs per measurement (median taken); default 3. */
  reps?: number;
  candidates?: [number, number][];
  /** The tuning's deadline from its start (default: none): work that would end past it is not started. */
  budgetMs?: number;
  /** Aborts the tuning (throws the signal's reason) between two units of work. */
  signal?: AbortSignal;
  /** Called before each candidate and at the end: how many of `total` are done (tried, refused or skipped). */
  onProgress?(done: number, total: number): void;
}

/** The autotuner's deadline at first use. The bound is 20 s on any adapter: the 5 s between them
 *  cover the default plan and its first step, which run before anything can be estimated. */
export const firstUseBudgetMs = 15_000;

/** The cache key of a tuning: adapter and shape (v2: the scheduler is part of the choice). */
export function tuningKey(adapter: AdapterDescription, model: ModelConfig, batch: number): string {
  const a = `v2|${adapter.runtime}|${adapter.vendor}|${adapter.architecture}|${adapter.device}|${adapter.description}`;
  return `${a}|B=${batch} T=${model.steps} I=${model.inputSize} H=${model.layers.join(',')} C=${model.classes}`;
}

const timedPhases: Phase[] = ['forward', 'loss', 'backward', 'weightGradients'];

/** Plans at the tuning's shape on one batch, timed runs of them, and their gradients; every cost recorded. */
interface Bench {
  ctx: GpuContext;
  budget: Budget;
  /** A plan (kept until release or releaseAll). */
  plan(scheduler: Scheduler, overrides: KernelOverrides): Promise<Plan>;
  release(plan: Plan): void;
  releaseAll(): void;
  /** A plan's first step from the fixed weights and batch: its gradients as raw bits. */
  gradients(plan: Plan): Promise<Uint32Array>;
  /** ms of one run of `phases`, recorded as `unit`. */
  time(plan: Plan, phases: Phase[], unit: Unit): Promise<number>;
}

function createBench(ctx: GpuContext, model: ModelConfig, batch: number, sample: Dataset, budget: Budget): Bench {
  const { device } = ctx;
  const params = packParams(model, initParams(model, 0));
  // Only the images of one batch go to the GPU (every plan uploads its datasets).
  const images = firstImages(sample, Math.min(batch, sample.count));
  const indices = Uint32Array.from({ length: batch }, (_, i) => i % images.count);
  const live = new Set<Plan>();
  let warm = false;
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
  return {
    ctx,
    budget,
    async plan(scheduler, overrides) {
      const plan = await budget.time(live.size === 0 ? 'coldPlan' : 'plan', () =>
        createPlan(ctx, { model, batch, adam: defaultAdam, datasets: { sample: images }, overrides, scheduler }));
      live.add(plan);
      return plan;
    },
    release(plan) {
      plan.destroy();
      live.delete(plan);
    },
    releaseAll() {
      for (const plan of live) plan.destroy();
      live.clear();
    },
    gradients: (plan) => budget.time(warm ? 'warmup' : 'coldWarmup', async () => {
      warm = true;
      device.queue.writeBuffer(plan.buffers.params, 0, params);
      device.queue.writeBuffer(plan.buffers.batchIndex, 0, indices);
      await run(plan, timedPhases);
      return new Uint32Array(await readBuffer(device, plan.buffers.grads));
    }),
    async time(plan, phases, unit) {
      const ms = await run(plan, phases);
      budget.record(unit, ms);
      return ms;
    },
  };
}

const sameBits = (a: Uint32Array, b: Uint32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const refusedBits = 'gradients differ from the default plan';

export async function tuneWorkgroups(
  ctx: GpuContext,
  model: ModelConfig,
  batch: number,
  sample: Dataset,
  opts: TuneOptions = {},
): Promise<TuneResult> {
  const budget = createBudget(opts.budgetMs);
  const reps = opts.reps ?? 3;
  const b = createBench(ctx, model, batch, sample, budget);
  try {
    const base = await b.plan(defaultScheduler, {});
    const reference = await b.gradients(base);
    const firstMs = await b.time(base, timedPhases, 'step');
    const cut: string[] = [];
    const { home, homeMs, baseMs, schedulerTrials } = await compareSchedulers(b, base, reference, reps, cut, opts.signal);
    // The final check's least cost (reps pairs of whole steps) stays in the budget while candidates are tried.
    const finalMs = (pairs: number): number => budget.cost({ plan: 1, warmup: 1, step: 2 * pairs });
    const search = await searchWorkgroups(b, home, reference, reps, opts.candidates ?? workgroupCandidates, () => finalMs(reps), cut, opts);
    opts.signal?.throwIfAborted();

    const key = tuningKey(ctx.adapter, model, batch);
    const measured = { key, trials: search.trials, searchedUnder: home.scheduler, schedulerTrials, skipped: search.skipped, cut };
    const done = (r: Pick<TuneResult, 'scheduler' | 'overrides' | 'defaultMs' | 'tunedMs'>): TuneResult => ({ ...measured, ...r, elapsedMs: budget.elapsedMs() });
    const defaultMs = baseMs ?? firstMs;
    const schedulerOnly = (): TuneResult => home === base
      ? done({ scheduler: defaultScheduler, overrides: {}, defaultMs, tunedMs: defaultMs })
      : done({ scheduler: home.scheduler, overrides: {}, defaultMs, tunedMs: homeMs });
    if (!search.changed) return schedulerOnly();

    // The choice against the defaults, whole steps taking turns (the machine's load drifts): kept only if
    // faster by minGain (less is within the noise of a shared machine, and would be reported as "1.00x").
    const pairs = budget.most(reps, 2 * reps + 1, finalMs);
    if (pairs === 0) {
      cut.push('the final check');
      return schedulerOnly();
    }
    const tuned = await b.plan(home.scheduler, search.chosen);
    // The first run checks the choices together too (each alone gave the defaults' exact gradients).
    if (!sameBits(await b.gradients(tuned), reference)) return schedulerOnly();
    const plain: number[] = [];
    const fast: number[] = [];
    for (let i = 0; i < pairs; i++) {
      plain.push(await b.time(base, timedPhases, 'step'));
      fast.push(await b.time(tuned, timedPhases, 'step'));
    }
    if (!(mid(fast) * minGain < mid(plain))) return schedulerOnly();
    return done({ scheduler: home.scheduler, overrides: search.chosen, defaultMs: mid(plain), tunedMs: mid(fast) });
  } finally {
    b.releaseAll();
  }
}

/** The schedulers at the default sizes, whole steps taking turns with the default's (fewer pairs, down to
 *  one, when the budget is short; none when even one does not fit). `home`: the faster by minGain;
 *  `baseMs`: the default's median step in the comparison. */
async function compareSchedulers(
  b: Bench, base: Plan, reference: Uint32Array, reps: number, cut: string[], signal?: AbortSignal,
): Promise<{ home: Plan; homeMs: number; baseMs?: number; schedulerTrials: SchedulerTrial[] }> {
  const schedulerTrials: SchedulerTrial[] = [];
  let home = base;
  let homeMs = Infinity;
  let baseMs: number | undefined;
  for (const scheduler of schedulers.filter((x) => x !== base.scheduler)) {
    signal?.throwIfAborted();
    const pairs = b.budget.most(1, reps, (n) => b.budget.cost({ plan: 1, warmup: 1, step: 2 * n }));
    if (pairs === 0) {
      cut.push(`the ${scheduler} scheduler`);
      continue;
    }
    try {
      const plan = await b.plan(scheduler, {});
      if (!sameBits(await b.gradients(plan), reference)) {
        schedulerTrials.push({ scheduler, ms: NaN, refused: refusedBits });
        continue;
      }
      const mine: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < pairs; i++) {
        theirs.push(await b.time(base, timedPhases, 'step'));
        mine.push(await b.time(plan, timedPhases, 'step'));
      }
      baseMs ??= mid(theirs);
      if (schedulerTrials.length === 0) schedulerTrials.push({ scheduler: base.scheduler, ms: baseMs });
      schedulerTrials.push({ scheduler, ms: mid(mine) });
      if (mid(mine) * minGain < Math.min(mid(theirs), homeMs)) [home, homeMs] = [plan, mid(mine)];
    } catch (e) {
      if (b.ctx.failure()) throw e;
      schedulerTrials.push({ scheduler, ms: NaN, refused: (e as Error).message });
    }
  }
  return { home, homeMs, baseMs, schedulerTrials };
}
/** The candidates under `home`'s scheduler: each kernel's default size first (timed on `home`, no plan to
 *  build or check), then the others in turns over the kernels, so that a spent budget leaves every kernel
 *  the same number tried; each candidate's plan holds the defaults elsewhere, so a kernel's candidates
 *  compare alone. A candidate is started only when it and `finalMs()` fit; those left are skipped. */
async function searchWorkgroups(
  b: Bench, home: Plan, reference: Uint32Array, reps: number, candidates: [number, number][], finalMs: () => number, cut: string[], opts: TuneOptions,
): Promise<{ trials: TuneTrial[]; chosen: KernelOverrides; changed: boolean; skipped: number }> {
  const defaults = (kernel: string): Overrides | undefined => Object.values(home.kernels).find((k) => k.spec.name === kernel)?.overrides;
  const isDefault = (kernel: string, [x, y]: [number, number]): boolean => defaults(kernel)?.WG_X === x && defaults(kernel)?.WG_Y === y;
  const hot = Object.entries(tunedKernels(home.scheduler));
  const queue = [
    ...hot.flatMap(([kernel, phase]) => candidates.filter((c) => isDefault(kernel, c)).map((workgroup) => ({ kernel, phase, workgroup }))),
    ...candidates.flatMap((workgroup) => hot.filter(([kernel]) => !isDefault(kernel, workgroup)).map(([kernel, phase]) => ({ kernel, phase, workgroup }))),
  ];
  const best: Record<string, { ms: number; workgroup: [number, number] }> = {};
  const trials: TuneTrial[] = [];
  let skipped = 0;
  for (const [done, { kernel, phase, workgroup }] of queue.entries()) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.(done, queue.length);
    const own = isDefault(kernel, workgroup);
    if (!b.budget.fits(b.budget.cost(own ? { [phase]: reps } : { plan: 1, warmup: 1, [phase]: reps }) + finalMs())) {
      skipped = queue.length - done;
      cut.push(`${skipped} of ${queue.length} workgroup candidates`);
      break;
    }
    const [x, y] = workgroup;
    let plan: Plan | undefined;
    try {
      plan = own ? home : await b.plan(home.scheduler, { [kernel]: { WG_X: x, WG_Y: y } });
      if (!own && !sameBits(await b.gradients(plan), reference)) {
        trials.push({ kernel, workgroup, ms: NaN, refused: refusedBits });
        continue;
      }
      const times: number[] = [];
      for (let i = 0; i < reps; i++) times.push(await b.time(plan, [phase], phase));
      const ms = mid(times);
      trials.push({ kernel, workgroup, ms });
      if (!best[kernel] || ms < best[kernel].ms) best[kernel] = { ms, workgroup };
    } catch (e) {
      if (b.ctx.failure()) throw e;
      trials.push({ kernel, workgroup, ms: NaN, refused: (e as Error).message });
    } finally {
      if (plan && !own) b.release(plan);
    }
  }
  opts.onProgress?.(queue.length, queue.length);
  const chosen: KernelOverrides = Object.fromEntries(Object.entries(best).map(([k, { workgroup: [x, y] }]) => [k, { WG_X: x, WG_Y: y }]));
  const changed = Object.entries(best).some(([k, { workgroup }]) => !isDefault(k, workgroup));
  return { trials, chosen, changed, skipped };
}

const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** What a cache keeps of a tuning (.cache/tuning.json in Node, IndexedDB in the page), by tuningKey. */
export interface TuningRecord {
  overrides: KernelOverrides;
  scheduler: Scheduler;
  defaultMs: number;
  tunedMs: number;
  /** Candidates the time budget left untried. */
  skipped?: number;
  /** What the time budget left out (TuneResult.cut). */
  cut?: string[];
  /** ISO 8601. */
  date: string;
}

export function tuningRecord(r: TuneResult): TuningRecord {
  return { overrides: r.overrides, scheduler: r.scheduler, defaultMs: r.defaultMs, tunedMs: r.tunedMs, skipped: r.skipped, cut: r.cut, date: new Date().toISOString() };
}

/** A cached record as read back (JSON, IndexedDB): workgroup sizes within any device's limits, positive times. */
export function isTuningRecord(e: unknown): e is TuningRecord {
  if (typeof e !== 'object' || e === null) return false;
  const { overrides, scheduler, defaultMs, tunedMs, cut } = e as Record<string, unknown>;
  const ms = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  const size = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1024;
  const perKernel = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(size);
  if (!schedulers.includes(scheduler as Scheduler)) return false;
  // Only the scheduler's tuned kernels: a plan refuses any other name, which would stop the run.
  const tuned = tunedKernels(scheduler as Scheduler);
  return typeof overrides === 'object' && overrides !== null && !Array.isArray(overrides) &&
    Object.entries(overrides).every(([kernel, v]) => Object.hasOwn(tuned, kernel) && perKernel(v)) && ms(defaultMs) && ms(tunedMs) &&
    (cut === undefined || (Array.isArray(cut) && cut.every((x) => typeof x === 'string')));
}

/** What a plan takes of a cached record or a result. */
export function planTuning(r: Pick<TuningRecord, 'overrides' | 'scheduler'>): PlanTuning {
  return { overrides: r.overrides, scheduler: r.scheduler };
}

/** True when the tuning changed something (a scheduler or workgroup sizes) and is faster. */
export function tuningKept(r: Pick<TuningRecord, 'overrides' | 'scheduler'>): boolean {
  return Object.keys(r.overrides).length > 0 || r.scheduler !== defaultScheduler;
}

function firstImages(set: Dataset, count: number): Dataset {
  if (isTokenSet(set)) return { ...set, count, tokens: set.tokens.subarray(0, count * set.rows + 1) };
  const size = set.rows * set.cols;
  return { ...set, count, pixels: set.pixels.subarray(0, count * size), labels: set.labels.subarray(0, count) };
}

/** One line on the outcome, for people: "1.12x faster than the defaults" or "the defaults were the fastest". */
export function describeTuning(r: Pick<TuningRecord, 'overrides' | 'scheduler' | 'defaultMs' | 'tunedMs' | 'cut'>): string {
  const ms = (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
  const what = r.scheduler === defaultScheduler ? '' : `, one dispatch per ${r.scheduler}`;
  const cut = r.cut?.length ? `; the time budget left out ${r.cut.join(', ')}` : '';
  if (tuningKept(r)) return `${(r.defaultMs / r.tunedMs).toFixed(2)}x faster than the defaults (${ms(r.defaultMs)} -> ${ms(r.tunedMs)} a step's kernels${what}${cut})`;
  return cut
    ? `the default scheduler and workgroup sizes (${ms(r.defaultMs)} a step's kernels${cut})`
    : `the default scheduler and workgroup sizes were the fastest (${ms(r.defaultMs)} a step's kernels)`;
}
