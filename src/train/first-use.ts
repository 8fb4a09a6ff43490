// Tuning at first use, one flow for the CLI and the page: the choice cached for this adapter and shape,
// else the autotuner (tuner.ts) within firstUseBudgetMs, saved to the caller's cache (a JSON file in Node:
// src/cli/tuning-cache.ts; IndexedDB in the page: src/app/tuning-store.ts). A cache is only a shortcut: one
// that cannot be read or written costs a tuning, never a run; a tuning that fails leaves the defaults.
import type { Dataset } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { ModelConfig } from './model.ts';
import type { PlanTuning } from './plan.ts';
import { type SchedulerTrial, type TuneResult, type TuningRecord, firstUseBudgetMs, planTuning, tuneWorkgroups, tuningKey } from './tuner.ts';

export interface TuningCache {
  /** The record kept for `key`; undefined when none (or it cannot be read). Never throws. */
  load(key: string): Promise<TuningRecord | undefined>;
  /** Keeps `result` under `result.key`; throws when it cannot. */
  save(result: TuneResult): Promise<void>;
}

/** 'auto': the cache, else tune within the budget; 'force': tune with every candidate (no budget) and cache
 *  it; 'cached': the cache, else the defaults; 'off': the defaults. */
export type TuneWhen = 'auto' | 'force' | 'cached' | 'off';

export type TuningOutcome =
  | { source: 'off' }
  | { source: 'cache'; record: TuningRecord }
  | { source: 'tuned'; result: TuneResult; budgetMs?: number; saveError?: Error }
  | { source: 'failed'; error: Error; elapsedMs: number };

export interface FirstUseOptions {
  when: TuneWhen;
  cache: TuningCache;
  /** Stops the tuning: it throws the signal's reason, and nothing is cached. */
  signal?: AbortSignal;
  /** Called when the tuning starts (nothing cached), with its budget (undefined: none). */
  onStart?(budgetMs: number | undefined): void;
  onProgress?(done: number, total: number): void;
}

/** The scheduler and workgroup sizes for plans of `model` at `batch` on this device. Throws the device's
 *  failure when it is lost, and the abort's reason when stopped. */
export async function tuneAtFirstUse(ctx: GpuContext, model: ModelConfig, batch: number, sample: Dataset, o: FirstUseOptions): Promise<TuningOutcome> {
  if (o.when === 'off') return { source: 'off' };
  const record = o.when === 'force' ? undefined : await o.cache.load(tuningKey(ctx.adapter, model, batch));
  if (record) return { source: 'cache', record };
  if (o.when === 'cached') return { source: 'off' };
  const budgetMs = o.when === 'auto' ? firstUseBudgetMs : undefined;
  o.onStart?.(budgetMs);
  const started = performance.now();
  let result: TuneResult;
  try {
    result = await tuneWorkgroups(ctx, model, batch, sample, { budgetMs, signal: o.signal, onProgress: o.onProgress });
  } catch (e) {
    if (o.signal?.aborted) throw o.signal.reason;
    const failure = ctx.failure();
    if (failure) throw failure;
    return { source: 'failed', error: e as Error, elapsedMs: performance.now() - started };
  }
  try {
    await o.cache.save(result);
    return { source: 'tuned', result, budgetMs };
  } catch (e) {
    return { source: 'tuned', result, budgetMs, saveError: e as Error };
  }
}

/** What a plan takes of an outcome; undefined for the defaults. */
export function outcomeTuning(o: TuningOutcome): PlanTuning | undefined {
  return o.source === 'cache' ? planTuning(o.record) : o.source === 'tuned' ? planTuning(o.result) : undefined;
}

/** An outcome's facts for a JSON report (the CLI's done event): where the choice came from, how long the
 *  tuning took against its budget, and what it tried. */
export interface TuningFacts {
  source: 'off' | 'cache' | 'tuned' | 'failed';
  seconds: number;
  budgetSeconds: number | null;
  /** The budget left something out (TuneResult.cut says what). */
  hitBudget: boolean;
  cut: string[];
  candidatesTried: number;
  candidatesSkipped: number;
  schedulerTrials: SchedulerTrial[];
}

export function tuningFacts(o: TuningOutcome): TuningFacts {
  const none = { seconds: 0, budgetSeconds: null, hitBudget: false, cut: [], candidatesTried: 0, candidatesSkipped: 0, schedulerTrials: [] };
  if (o.source === 'off' || o.source === 'cache') return { source: o.source, ...none };
  if (o.source === 'failed') return { ...none, source: 'failed', seconds: o.elapsedMs / 1000 };
  const r = o.result;
  return {
    source: 'tuned', seconds: r.elapsedMs / 1000, budgetSeconds: o.budgetMs === undefined ? null : o.budgetMs / 1000, hitBudget: r.cut.length > 0,
    cut: r.cut, candidatesTried: r.trials.length, candidatesSkipped: r.skipped, schedulerTrials: r.schedulerTrials,
  };
}
