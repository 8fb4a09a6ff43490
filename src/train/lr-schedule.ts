// The learning rate of each optimizer step, computed on the CPU in float64 and written with Adam's
// per-step uniform (src/kernels/adam.ts applies Adam's bias correction on top). A pure function of the step
// number n (from 1, as Adam counts), the base rate and the schedule, so a resumed run recomputes exactly the
// rates an uninterrupted one used. With W warmup steps and d = n - 1 - W the steps since the warmup ended:
//   warmup    n <= W:  lr * n / W          (linear: lr/W at step 1, lr at step W; W = 0: none)
//   constant  lr
//   cosine    lr * 0.5 * (1 + cos(pi * min(1, d / (N - W))))     N = the run's total steps: full lr on the
//             first step after the warmup, down toward 0 (reached only past step N), as PyTorch's
//             CosineAnnealingLR with eta_min = 0 and Hugging Face's cosine schedule
//   step      lr * gamma^floor(d / every)                          PyTorch's StepLR (gamma 0.1 by default),
//             counted from the end of the warmup
// A constant schedule without warmup returns lr itself, so it trains bit for bit as before schedules.
import { UserError } from '../user-error.ts';

export type LrSchedule =
  | { kind: 'constant'; warmup: number }
  | { kind: 'cosine'; warmup: number; /** the run's total steps, over which the cosine falls */ steps: number }
  | { kind: 'step'; warmup: number; /** multiply by gamma every this many steps */ every: number; gamma: number };

export type LrScheduleKind = LrSchedule['kind'];
export const scheduleKinds: readonly LrScheduleKind[] = ['constant', 'cosine', 'step'];

/** What checkpoints written before schedules existed trained with. */
export const constantSchedule: LrSchedule = { kind: 'constant', warmup: 0 };

/** The default decay factor of the step schedule (PyTorch StepLR's). */
export const defaultGamma = 0.1;

/** The learning rate of optimizer step `step` (from 1). */
export function scheduledLr(lr: number, s: LrSchedule, step: number): number {
  if (step <= s.warmup) return (lr * step) / s.warmup;
  const since = step - 1 - s.warmup;
  switch (s.kind) {
    case 'constant':
      return lr;
    case 'cosine':
      return lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, since / (s.steps - s.warmup))));
    case 'step':
      return lr * s.gamma ** Math.floor(since / s.every);
  }
}

/**
 * A schedule of `kind` for a run of `totalSteps`: the cosine falls over them, and the step schedule's
 * `every` defaults to a third of the steps after the warmup (so the rate drops twice, by gamma each time).
 * Throws a UserError when the warmup leaves no steps for the cosine.
 */
export function makeSchedule(kind: LrScheduleKind, warmup: number, totalSteps: number, step: { every?: number; gamma?: number } = {}): LrSchedule {
  switch (kind) {
    case 'constant':
      return { kind, warmup };
    case 'cosine':
      if (warmup >= totalSteps) {
        throw new UserError(`--warmup ${warmup} leaves none of the run's ${totalSteps} steps for the cosine schedule: make it shorter than ${totalSteps} steps.`);
      }
      return { kind, warmup, steps: totalSteps };
    case 'step':
      return { kind, warmup, every: step.every ?? Math.max(1, Math.ceil((totalSteps - warmup) / 3)), gamma: step.gamma ?? defaultGamma };
  }
}

const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Why `v` is not a valid schedule (for files and programming errors), or undefined when it is. */
export function scheduleProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not an object';
  const o = v as Record<string, unknown>;
  const fields: Record<LrScheduleKind, string[]> = { constant: ['kind', 'warmup'], cosine: ['kind', 'warmup', 'steps'], step: ['kind', 'warmup', 'every', 'gamma'] };
  if (!scheduleKinds.includes(o.kind as LrScheduleKind)) return `.kind is ${JSON.stringify(o.kind)}, expected one of ${scheduleKinds.join(', ')}`;
  const extra = Object.keys(o).filter((k) => !fields[o.kind as LrScheduleKind].includes(k));
  if (extra.length > 0) return `has ${extra.join(', ')}, which a ${String(o.kind)} schedule does not take`;
  if (!isWhole(o.warmup)) return `.warmup is ${String(o.warmup)}, expected a whole number >= 0`;
  if (o.kind === 'cosine' && !(isWhole(o.steps) && o.steps > o.warmup)) return `.steps is ${String(o.steps)}, expected a whole number above the warmup (${o.warmup})`;
  if (o.kind === 'step') {
    if (!(isWhole(o.every) && o.every >= 1)) return `.every is ${String(o.every)}, expected a whole number >= 1`;
    if (!(typeof o.gamma === 'number' && o.gamma > 0 && o.gamma <= 1)) return `.gamma is ${String(o.gamma)}, expected a number greater than 0 and at most 1`;
  }
  return undefined;
}

/** For messages: "cosine over 5500 steps after 200 warmup steps". */
export function describeSchedule(s: LrSchedule): string {
  const warm = s.warmup > 0 ? `, ${s.warmup} warmup steps` : '';
  if (s.kind === 'cosine') return `cosine over ${s.steps} steps${warm}`;
  if (s.kind === 'step') return `x${s.gamma} every ${s.every} steps${warm}`;
  return `constant${warm}`;
}
