// webgpu-lstm timed on a GpuContext (Node or the browser, the same code): the engine's own trainer on a
// synthetic dataset of the workload's shape (speed does not depend on the pixel values), every step
// ended by trainer.flush() so each timed step includes its wait for the device.
import type { ImageSet, TokenSet } from '../src/data/dataset.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { type ModelConfig, languageModel } from '../src/train/model.ts';
import { type Trainer, createTrainer, defaultAdam } from '../src/train/trainer.ts';
import { type EncodeCounts, encodePhase, phases } from '../src/train/step.ts';
import { type GpuCallCounts, type RawRun, type RunSpec, type Shape, layersOf } from './workload.ts';

export function modelOf(s: Shape): ModelConfig {
  if (s.lm) return languageModel(s.steps, s.input, layersOf(s), 1.0);
  return { steps: s.steps, inputSize: s.input, layers: layersOf(s), classes: s.classes, forgetBias: 1.0 };
}

/** A seeded xorshift32: the synthetic data's random numbers. */
function xorshift(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** `count` images of T x I random bytes with random labels below C (a small LCG, seeded). */
export function syntheticSet(s: Shape, count: number, seed: number): ImageSet {
  const pixels = new Uint8Array(count * s.steps * s.input);
  const next = xorshift(seed);
  for (let i = 0; i < pixels.length; i++) pixels[i] = next() & 255;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = next() % s.classes;
  return { count, rows: s.steps, cols: s.input, pixels, labels };
}

/** A language model's data: `count` windows of T random symbols below V (`s.input`), count*T + 1 in all. */
export function syntheticTokens(s: Shape, count: number, seed: number): TokenSet {
  const next = xorshift(seed);
  const tokens = Uint8Array.from({ length: count * s.steps + 1 }, () => next() % s.input);
  return { kind: 'tokens', count, rows: s.steps, tokens };
}

/**
 * `counts`, where the runtime keeps them (the bench page wraps WebGPU's calls), cross-check the engine's
 * own counters over the timed steps; their submits include each step's flush (a small status readback).
 */
/**
 * Wall time of each phase of one more training step (step.ts's phases: forward, loss, backward, weight
 * gradients, optimizer), each in its own submit and waited for: where a step's time goes. Untimed, after
 * the timed steps; each figure includes one submit's round trip (~1 ms in software), so small phases
 * read high.
 */
export async function phaseTimes(ctx: GpuContext, trainer: Trainer): Promise<Record<string, number>> {
  // The batch indices and Adam's uniform are still those of the last step.
  const out: Record<string, number> = {};
  for (const phase of phases) {
    const t0 = performance.now();
    const encoder = ctx.device.createCommandEncoder({ label: `bench phase ${phase}` });
    const pass = encoder.beginComputePass({ label: phase });
    const counts: EncodeCounts = { dispatches: 0 };
    encodePhase(trainer.plan, phase, pass, 'train', counts);
    pass.end();
    ctx.device.queue.submit([encoder.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    out[phase] = performance.now() - t0;
  }
  return out;
}

export async function timeOurs(ctx: GpuContext, spec: RunSpec, counts?: GpuCallCounts): Promise<RawRun> {
  const s = spec.shape;
  // The context may outlive several runs (a sweep): count this run's peak from what is live now.
  const baseline = ctx.memory.liveBytes;
  ctx.memory.peakBytes = baseline;
  const t0 = performance.now();
  const trainer = await createTrainer(
    ctx,
    { model: modelOf(s), batch: s.batch, adam: { ...defaultAdam, lr: spec.lr }, seed: spec.seed, scheduler: spec.scheduler },
    { train: s.lm ? syntheticTokens(s, s.batch, spec.seed) : syntheticSet(s, s.batch, spec.seed) },
  );
  try {
    await trainer.flush();
    const setupMs = performance.now() - t0;
    let firstStepMs: number | null = null;
    for (let i = 0; i < spec.warmup; i++) {
      const w0 = performance.now();
      await trainer.trainStep();
      await trainer.flush();
      if (i === 0) firstStepMs = performance.now() - w0;
    }
    const before = counts && { ...counts };
    const stepMs: number[] = [];
    for (let i = 0; i < spec.steps; i++) {
      const s0 = performance.now();
      await trainer.trainStep();
      await trainer.flush();
      stepMs.push(performance.now() - s0);
    }
    const counted = counts && before && spec.steps > 0
      ? { countedDispatchesPerStep: (counts.dispatches - before.dispatches) / spec.steps, countedSubmitsPerStep: (counts.submits - before.submits) / spec.steps }
      : {};
    const peakBytes = ctx.memory.peakBytes - baseline;
    const phasesMs = await phaseTimes(ctx, trainer);
    return {
      stepMs, setupMs, firstStepMs,
      dispatchesPerStep: trainer.dispatchesPerStep,
      submitsPerStep: trainer.submitsPerStep,
      peakBytes,
      peakBytesSource: 'GpuContext.memory.peakBytes: every GPU buffer of the trainer, the uploaded dataset included',
      info: { phasesMs, scheduler: trainer.plan.scheduler, ...counted },
    };
  } finally {
    trainer.destroy();
  }
}
