// The one training loop, for the CLI and the page's worker alike: from a start (or a checkpoint) to the last
// step, it logs stats at a cadence, validates every N steps, saves checkpoints by a policy (every N steps or
// every S seconds), stops cleanly when asked (Ctrl-C, the page's Pause), stops at the step where training goes
// non-finite, and when the GPU device is lost it gets a new one, reloads the last checkpoint and goes on, a
// bounded number of times. The callers differ only in how they report and where checkpoints are kept.
import type { Dataset } from '../data/dataset.ts';
import { GpuFailure, type GpuContext } from '../gpu/device.ts';
import type { TrainingOptions, TrainingState } from '../io/checkpoint.ts';
import type { AdamHyper } from '../kernels/adam.ts';
import { UserError } from '../user-error.ts';
import type { ModelConfig, Tensors } from './model.ts';
import type { PlanTuning } from './plan.ts';
import { type EngineState, type EvalResult, type StepStats, type Trainer, createTrainer, isEngineState } from './trainer.ts';

/** When to save a checkpoint: every this many steps, or once this many seconds passed since the last save. */
export type CheckpointPolicy = { everySteps: number } | { everySeconds: number };

export interface SessionConfig {
  model: ModelConfig;
  adam: AdamHyper;
  options: TrainingOptions;
  /** Train until this many steps are done (counted from the very start, resumes and stepOffset included). */
  totalSteps: number;
  /** Steps done before the trainer's first (a run started from a loaded model's weights); every step the
   *  loop compares or reports counts them. */
  stepOffset?: number;
  /** Log the stats of every this many steps (and of a run's first and last step)... */
  logEvery: number;
  /** ...and of a step this many seconds after the last logged one. */
  logEverySeconds?: number;
  /** Evaluate on the validation set every this many steps and at the last; absent = never. */
  validateEvery?: number;
  /** Absent: no checkpoints. */
  checkpoint?: CheckpointPolicy;
  /** The saved checkpoint this run starts from (its step, and when by `now()`): a seconds policy counts from it. */
  lastCheckpoint?: { step: number; at: number };
  datasets: Record<string, Dataset> & { train: Dataset };
}

export interface SessionHooks {
  createGpu(): Promise<GpuContext>;
  /** Scheduler and workgroup sizes for plans on this device (from the autotuner); the defaults when absent. */
  tuningFor?(ctx: GpuContext): Promise<PlanTuning | undefined>;
  /** Writes a checkpoint (atomically); absent when checkpoints are off. */
  saveCheckpoint?(state: TrainingState): Promise<void>;
  /** The last good checkpoint, to recover from after a device loss. */
  loadCheckpoint?(): Promise<TrainingState | undefined>;
  /** Called with the stats of each logged step. */
  onStats?(stats: StepStats, samplesPerSec: number, elapsedSec: number): void;
  onProgress?(step: number, samplesPerSec: number, etaSec: number): void;
  onValidation?(step: number, result: EvalResult): void;
  onCheckpoint?(step: number): void;
  /** After a device loss: the new device and the trainer reopened from the last checkpoint. */
  onRecovery?(ctx: GpuContext, trainer: Trainer): void;
  /** A line for the user (recoveries, interruptions). */
  say(line: string): void;
  /** True once the user asked to stop (Ctrl-C, Pause): the session checkpoints and returns. */
  stopRequested?(): boolean;
  /** Called after every submitted step (the page profiles there; tests simulate faults). */
  afterStep?(step: number, ctx: GpuContext, trainer: Trainer): void | Promise<void>;
  /** Called at the end of every step, after its checkpoint: work that must see a whole step (reading state). */
  betweenSteps?(): Promise<void>;
  /** The clock in milliseconds (tests pass a fake one); performance.now() when absent. */
  now?(): number;
}

export interface SessionResult {
  trainer: Trainer;
  ctx: GpuContext;
  /** 'done': reached totalSteps; 'interrupted': stopped on request. */
  outcome: 'done' | 'interrupted';
  /** Steps run in this session (not counting a resumed checkpoint's). */
  stepsRun: number;
  trainSeconds: number;
  recoveries: number;
}

export interface Engine {
  ctx: GpuContext;
  trainer: Trainer;
}

export const maxRecoveries = 3;

/** A trainer for `cfg` on `ctx`, from a checkpoint, from weights, or (absent) from the seeded initialisation. */
export function createSessionTrainer(cfg: SessionConfig, ctx: GpuContext, tuning: PlanTuning | undefined, from?: Tensors | EngineState): Promise<Trainer> {
  const { options } = cfg;
  const trainConfig = {
    model: cfg.model, batch: options.batch, adam: { ...cfg.adam, lr: options.lr }, seed: options.seed, clipNorm: options.clipNorm, schedule: options.schedule,
    stateful: options.stateful,
  };
  return createTrainer(ctx, { ...trainConfig, ...tuning }, cfg.datasets, from);
}

/**
 * The device's failure behind `e`, if any. A lost device can first show as whatever GPU call was pending
 * failing (a mapAsync "unmapped before mapping was resolved"), the loss itself reported a moment later.
 */
async function failureBehind(ctx: GpuContext, e: unknown): Promise<GpuFailure | undefined> {
  if (e instanceof UserError) return ctx.failure(); // non-finite training, a bad option: not the device's doing
  if (!ctx.failure() && !(e instanceof GpuFailure)) {
    await Promise.race([ctx.device.lost, new Promise((resolve) => setTimeout(resolve, 250))]);
    await Promise.resolve();
  }
  return ctx.failure() ?? (e instanceof GpuFailure ? e : undefined);
}

/** Runs from `resume` (or the seeded initialisation), or on with an already open `engine`, to totalSteps or a stop. */
export async function runSession(cfg: SessionConfig, hooks: SessionHooks, resume?: Tensors | EngineState, engine?: Engine): Promise<SessionResult> {
  const { options } = cfg;
  const now = hooks.now ?? (() => performance.now());
  const offset = cfg.stepOffset ?? 0;
  const policy = cfg.checkpoint;
  const open = async (from?: Tensors | EngineState): Promise<Engine> => {
    const ctx = await hooks.createGpu();
    try {
      return { ctx, trainer: await createSessionTrainer(cfg, ctx, await hooks.tuningFor?.(ctx), from) };
    } catch (e) {
      ctx.destroy();
      throw e;
    }
  };
  let lastSave = cfg.lastCheckpoint;
  const checkpoint = async (trainer: Trainer): Promise<void> => {
    if (!hooks.saveCheckpoint) return;
    const state = await trainer.saveState(); // throws TrainingDiverged rather than save a bad state
    await hooks.saveCheckpoint({ ...state, config: cfg.model, options });
    lastSave = { step: offset + state.step, at: now() };
    hooks.onCheckpoint?.(offset + state.step);
  };

  let { ctx, trainer } = engine ?? (await open(resume));
  const step = (): number => offset + trainer.step;
  const firstStep = step();
  const started = now();
  const checkpointDue = (): boolean => policy !== undefined &&
    ('everySteps' in policy ? policy.everySteps > 0 && step() % policy.everySteps === 0 : now() - (lastSave?.at ?? started) >= policy.everySeconds * 1000);
  const checkpointDueAtEnd = (): boolean => policy !== undefined &&
    ('everySteps' in policy ? policy.everySteps > 0 && step() % policy.everySteps !== 0 : lastSave?.step !== step());
  let recoveries = 0;
  let outcome: SessionResult['outcome'] = 'done';
  let timedSteps = 0;
  let lastLog = -Infinity;
  const rate = (): number => (timedSteps * options.batch) / ((now() - started) / 1000);

  while (step() < cfg.totalSteps) {
    if (hooks.stopRequested?.()) {
      outcome = 'interrupted';
      break;
    }
    try {
      const next = step() + 1;
      const log = next % cfg.logEvery === 0 || next === firstStep + 1 || next === cfg.totalSteps ||
        (cfg.logEverySeconds !== undefined && now() - lastLog >= cfg.logEverySeconds * 1000);
      const stats = await trainer.trainStep({ stats: log });
      timedSteps += 1;
      await hooks.afterStep?.(trainer.step, ctx, trainer);
      const seconds = (now() - started) / 1000;
      hooks.onProgress?.(step(), rate(), (cfg.totalSteps - step()) * (seconds / timedSteps));
      if (stats) {
        lastLog = now();
        hooks.onStats?.({ ...stats, step: offset + stats.step }, rate(), seconds);
      }
      if (cfg.validateEvery && (step() % cfg.validateEvery === 0 || step() === cfg.totalSteps)) {
        hooks.onValidation?.(step(), await trainer.evaluate('validation'));
      }
      if (checkpointDue()) await checkpoint(trainer);
      await hooks.betweenSteps?.();
    } catch (e) {
      const failure = await failureBehind(ctx, e);
      if (!failure) throw e;
      if (recoveries >= maxRecoveries) {
        throw new GpuFailure(`${failure.message}\nGave up after ${maxRecoveries} recoveries from lost GPU devices.`);
      }
      recoveries += 1;
      const last = await hooks.loadCheckpoint?.();
      const from = last ?? resume;
      hooks.say(
        `${failure.message}\nRecovering (${recoveries} of at most ${maxRecoveries}): new device, ` +
          (last ? `resuming from the checkpoint of step ${offset + last.step}.`
            : isEngineState(from) ? `resuming from step ${offset + from.step}.`
            : from ? `restarting from the weights it started with, at step ${offset}.` : 'restarting from step 0 (no checkpoint yet).'),
      );
      try { trainer.destroy(); } catch { /* the device is gone */ }
      ctx.destroy();
      ({ ctx, trainer } = await open(from));
      hooks.onRecovery?.(ctx, trainer);
    }
  }
  if (outcome === 'interrupted' || step() === cfg.totalSteps) {
    await trainer.flush();
    if (checkpointDueAtEnd()) await checkpoint(trainer);
  }
  return { trainer, ctx, outcome, stepsRun: step() - firstStep, trainSeconds: (now() - started) / 1000, recoveries };
}
