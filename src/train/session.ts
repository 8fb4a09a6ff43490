// A training run from start (or a checkpoint) to its last step, surviving what long runs meet: it saves
// checkpoints at intervals, stops cleanly when asked (Ctrl-C), stops at the step where training goes
// non-finite, and when the GPU device is lost it gets a new one, reloads the last checkpoint and goes on,
// a bounded number of times. The CLI wires it to files and the terminal; tests drive it directly.
import type { ImageSet } from '../data/dataset.ts';
import { GpuFailure, type GpuContext } from '../gpu/device.ts';
import type { TrainingOptions, TrainingState } from '../io/checkpoint.ts';
import type { AdamHyper } from '../kernels/adam.ts';
import type { ModelConfig } from './model.ts';
import type { PlanTuning } from './plan.ts';
import { type EngineState, type StepStats, type Trainer, createTrainer } from './trainer.ts';

export interface SessionConfig {
  model: ModelConfig;
  adam: AdamHyper;
  options: TrainingOptions;
  /** Train until this many optimizer steps are done (counted from the very start, resumes included). */
  totalSteps: number;
  logEvery: number;
  /** Save a checkpoint every this many steps; 0 = never. */
  checkpointEvery: number;
  datasets: Record<string, ImageSet> & { train: ImageSet };
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
  onCheckpoint?(step: number): void;
  /** A line for the user (recoveries, interruptions). */
  say(line: string): void;
  /** True once the user asked to stop (Ctrl-C): the session checkpoints and returns. */
  stopRequested?(): boolean;
  /** Called after every submitted step (tests use it to simulate faults). */
  afterStep?(step: number, ctx: GpuContext, trainer: Trainer): void | Promise<void>;
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

export const maxRecoveries = 3;

export async function runSession(cfg: SessionConfig, hooks: SessionHooks, resume?: TrainingState): Promise<SessionResult> {
  const { options } = cfg;
  const trainConfig = {
    model: cfg.model, batch: options.batch, adam: { ...cfg.adam, lr: options.lr }, seed: options.seed, clipNorm: options.clipNorm, schedule: options.schedule,
  };
  const open = async (from?: EngineState): Promise<{ ctx: GpuContext; trainer: Trainer }> => {
    const ctx = await hooks.createGpu();
    try {
      const tuning = await hooks.tuningFor?.(ctx);
      return { ctx, trainer: await createTrainer(ctx, { ...trainConfig, ...tuning }, cfg.datasets, from) };
    } catch (e) {
      ctx.destroy();
      throw e;
    }
  };
  const checkpoint = async (trainer: Trainer): Promise<void> => {
    if (!hooks.saveCheckpoint) return;
    const state = await trainer.saveState(); // throws TrainingDiverged rather than save a bad state
    await hooks.saveCheckpoint({ ...state, config: cfg.model, options });
    hooks.onCheckpoint?.(state.step);
  };

  let { ctx, trainer } = await open(resume);
  const firstStep = trainer.step;
  let recoveries = 0;
  let outcome: SessionResult['outcome'] = 'done';
  const started = performance.now();
  let timedSteps = 0;
  const rate = (): number => (timedSteps * options.batch) / ((performance.now() - started) / 1000);

  while (trainer.step < cfg.totalSteps) {
    if (hooks.stopRequested?.()) {
      outcome = 'interrupted';
      break;
    }
    try {
      const next = trainer.step + 1;
      const log = next % cfg.logEvery === 0 || next === firstStep + 1 || next === cfg.totalSteps;
      const stats = await trainer.trainStep({ stats: log });
      timedSteps += 1;
      await hooks.afterStep?.(trainer.step, ctx, trainer);
      const seconds = (performance.now() - started) / 1000;
      hooks.onProgress?.(trainer.step, rate(), (cfg.totalSteps - trainer.step) * (seconds / timedSteps));
      if (stats) hooks.onStats?.(stats, rate(), seconds);
      if (cfg.checkpointEvery > 0 && trainer.step % cfg.checkpointEvery === 0) await checkpoint(trainer);
    } catch (e) {
      const failure = ctx.failure() ?? (e instanceof GpuFailure ? e : undefined);
      if (!failure) throw e;
      if (recoveries >= maxRecoveries) {
        throw new GpuFailure(`${failure.message}\nGave up after ${maxRecoveries} recoveries from lost GPU devices.`);
      }
      recoveries += 1;
      const last = await hooks.loadCheckpoint?.();
      hooks.say(
        `${failure.message}\nRecovering (${recoveries} of at most ${maxRecoveries}): new device, ` +
          (last ? `resuming from the checkpoint of step ${last.step}.` : resume ? `resuming from step ${resume.step}.` : 'restarting from step 0 (no checkpoint yet).'),
      );
      try { trainer.destroy(); } catch { /* the device is gone */ }
      ctx.destroy();
      ({ ctx, trainer } = await open(last ?? resume));
    }
  }
  if (outcome === 'interrupted' || trainer.step === cfg.totalSteps) {
    await trainer.flush();
    if (cfg.checkpointEvery > 0 && trainer.step % cfg.checkpointEvery !== 0) await checkpoint(trainer);
  }
  return { trainer, ctx, outcome, stepsRun: trainer.step - firstStep, trainSeconds: (performance.now() - started) / 1000, recoveries };
}
