// The page's GPU timings: now and then one training step is run again under timestamp queries and the time
// of each phase is posted; an adapter without timestamp-query (or a profiler that cannot be set up) is said once.
import type { GpuContext } from '../../gpu/device.ts';
import { type Profiler, createProfiler, timestampsSupported } from '../../train/timing.ts';
import type { Trainer } from '../../train/trainer.ts';
import type { FromWorker } from '../protocol.ts';

export interface StepProfiler {
  /** Profiles one step and posts its timings as those of `step`. */
  profile(step: number): Promise<void>;
  destroy(): void;
}

/** A profiler for `trainer` on `ctx` (a new device needs a new one). */
export function createStepProfiler(ctx: GpuContext, trainer: Trainer, post: (m: FromWorker) => void): StepProfiler {
  let profiler: Profiler | undefined | 'unavailable';
  return {
    async profile(step) {
      if (profiler === 'unavailable') return;
      if (!profiler) {
        if (!timestampsSupported(ctx.device)) {
          profiler = 'unavailable';
          post({ type: 'timings-unavailable', reason: 'This adapter does not offer the timestamp-query feature, so per-kernel GPU times cannot be measured.' });
          return;
        }
        try {
          profiler = await createProfiler(ctx, trainer.plan);
        } catch (e) {
          profiler = 'unavailable';
          post({ type: 'timings-unavailable', reason: `The profiling step could not be set up: ${(e as Error).message}` });
          return;
        }
      }
      const times = await profiler.profile();
      if (profiler.dispatches !== trainer.dispatchesPerStep) {
        throw new Error(`the profiled step encoded ${profiler.dispatches} dispatches, a training step ${trainer.dispatchesPerStep}`);
      }
      post({ type: 'timings', step, times });
    },
    destroy() {
      if (profiler && profiler !== 'unavailable') profiler.destroy();
    },
  };
}
