// The autotuner's time budget: a deadline fixed when tuning starts, and the cost of each kind of unit of
// work (a plan build, a plan's first step with its gradients read back, a timed step or phase) estimated
// from the most that kind cost so far, so that no unit starts that cannot end before the deadline. The most,
// not the median: a loaded machine's speed drifts, and a budget must hold on the slow side.
import type { Phase } from './step.ts';

/** 'coldPlan': the first plan, compiling every pipeline; 'plan': a later one, compiling a few (estimated by
 *  'coldPlan' until one is measured); 'coldWarmup', 'warmup': the first step of the first plan, and of a later
 *  one; a phase or 'step': a timed run. */
export type Unit = 'coldPlan' | 'plan' | 'coldWarmup' | 'warmup' | 'step' | Phase;

const fallback: Partial<Record<Unit, Unit>> = {
  plan: 'coldPlan', warmup: 'coldWarmup', step: 'warmup', forward: 'step', loss: 'step', backward: 'step', weightGradients: 'step', optimizer: 'step',
};

export interface Budget {
  readonly budgetMs: number;
  elapsedMs(): number;
  /** Records what a unit cost. */
  record(unit: Unit, ms: number): void;
  /** Runs a unit and records its cost. */
  time<T>(unit: Unit, work: () => Promise<T>): Promise<T>;
  /** The estimated cost of `count` units of each kind (Infinity when a kind was never measured). */
  cost(units: Partial<Record<Unit, number>>): number;
  /** Whether work of `ms` ends before the deadline. */
  fits(ms: number): boolean;
  /** The largest n in [min, max] for which `ms(n)` fits; 0 when none does. */
  most(min: number, max: number, ms: (n: number) => number): number;
}

/** A budget of `budgetMs` from now (Infinity: no deadline). */
export function createBudget(budgetMs = Infinity, now = (): number => performance.now()): Budget {
  const started = now();
  const worst = new Map<Unit, number>();
  const estimate = (unit: Unit): number => {
    for (let u: Unit | undefined = unit; u; u = fallback[u]) {
      const ms = worst.get(u);
      if (ms !== undefined) return ms;
    }
    return Infinity;
  };
  const budget: Budget = {
    budgetMs,
    elapsedMs: () => now() - started,
    record: (unit, ms) => void worst.set(unit, Math.max(worst.get(unit) ?? 0, ms)),
    async time(unit, work) {
      const t = now();
      const result = await work();
      budget.record(unit, now() - t);
      return result;
    },
    cost: (units) => Object.entries(units).reduce((sum, [unit, n]) => sum + (n === 0 ? 0 : n * estimate(unit as Unit)), 0),
    fits: (ms) => budgetMs === Infinity || now() - started + ms <= budgetMs,
    most(min, max, ms) {
      for (let n = max; n >= min; n--) if (budget.fits(ms(n))) return n;
      return 0;
    },
  };
  return budget;
}
