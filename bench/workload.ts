// What the benchmark measures and how it counts: the systems, the workload's shape, the FLOP count of one
// training step (shared/docs/reference-workload.md) and the statistics of a run of timed steps. Pure
// functions: the runner (Node), the bench page (Chromium) and the CPU tests all use them.

/** B, T, I, H, C of one benchmarked configuration (the alphabet of the engine). */
export interface Shape {
  batch: number;
  steps: number;
  input: number;
  /** H of the one layer, or of the top layer of a stack. */
  hidden: number;
  classes: number;
  /** A stack of LSTM layers, hidden sizes bottom first (its last is `hidden`); absent: one layer. */
  layers?: number[];
  /**
   * A character-level language model (the char-LM section): layer 0 reads one symbol of a vocabulary of
   * V = `input` symbols per step (one-hot in the equations), the head predicts the next symbol at every
   * step (`classes` = V), the loss averaged over B*T. Absent: a classifier (one label per sequence).
   */
  lm?: true;
}

/** The hidden sizes of a shape's layers, bottom first. */
export const layersOf = (s: Shape): number[] => s.layers ?? [s.hidden];

/** The stacked section: two layers of the main shape's H (`--layers 128,128` at the reference shape). */
export const stackedShape = (base: Shape): Shape => ({ ...base, layers: [base.hidden, base.hidden] });

/** The systems of the stacked section: ours beside tfjs-layers' stacked tf.layers.lstm on webgpu and wasm. */
export const stackedSystems: SystemId[] = ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm'];

/**
 * The char-LM section: a language model of V=80 symbols, T=64, two layers of 128, B=32, sized for software
 * adapters (T=8, B=4, layers 8,8, V=12 with --quick); under --sweep without --quick also T=100, B=64, two
 * layers of 256 (charLmLargerShape).
 */
export function charLmShape(quick: boolean): Shape {
  return quick ? lmShape(8, 4, 12, [8, 8]) : lmShape(64, 32, 80, [128, 128]);
}

/** The char-LM section's larger shape, run under --sweep (not --quick); tfjs capped there as in the pixel section. */
export const charLmLargerShape = (): Shape => lmShape(100, 64, 80, [256, 256]);

/** A language model's shape: T steps, B windows, V symbols in and out, the stack's sizes. */
export function lmShape(steps: number, batch: number, vocab: number, layers: number[]): Shape {
  return { batch, steps, input: vocab, hidden: layers[layers.length - 1], classes: vocab, layers, lm: true };
}

/** The systems of the char-LM section: ours beside the equivalent tfjs-layers model on webgpu, wasm and cpu. */
export const charLmSystems: SystemId[] = ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];

/** The reference workload: MNIST rows as a sequence, one LSTM layer of 128 units, batch 100. */
export const referenceShape: Shape = { batch: 100, steps: 28, input: 28, hidden: 128, classes: 10 };

/**
 * Pixel-by-pixel MNIST (src/data/tasks.ts), T=784 steps of I=1: sized for software adapters (H=64, B=32;
 * H=8, B=4 with --quick), the reference H=128, B=100 only under --sweep without --quick.
 */
export function pixelShapes(quick: boolean, sweep: boolean): Shape[] {
  const pixel = { steps: 784, input: 1, classes: 10 };
  return [
    { ...pixel, ...(quick ? { batch: 4, hidden: 8 } : { batch: 32, hidden: 64 }) },
    ...(sweep && !quick ? [{ ...pixel, batch: 100, hidden: 128 }] : []),
  ];
}

/** The systems of the pixel section: ours beside tfjs-layers on the same WebGPU adapter. */
export const pixelSystems: SystemId[] = ['ours-node', 'ours-chromium', 'tfjs-webgpu'];

/** Everything one system's run needs to know. */
export interface RunSpec {
  shape: Shape;
  /** Untimed steps first (pipeline compilation, first-use allocation). */
  warmup: number;
  /** Timed steps. */
  steps: number;
  lr: number;
  seed: number;
  /** Ours only: how the recurrence is dispatched (src/train/plan.ts Scheduler); the engine's default if absent. */
  scheduler?: 'timestep' | 'sequence';
}

export const systemIds = ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu', 'tfjs-webgl'] as const;
export type SystemId = (typeof systemIds)[number];

export interface SystemInfo {
  system: 'webgpu-lstm' | 'tfjs-layers';
  runtime: 'node' | 'chromium';
  backend: string;
  /** True when a step takes seconds on a software adapter: --quick times fewer of them. */
  slow: boolean;
}

export const systems: Record<SystemId, SystemInfo> = {
  'ours-node': { system: 'webgpu-lstm', runtime: 'node', backend: 'webgpu (Dawn)', slow: false },
  'ours-chromium': { system: 'webgpu-lstm', runtime: 'chromium', backend: 'webgpu', slow: false },
  'tfjs-webgpu': { system: 'tfjs-layers', runtime: 'chromium', backend: 'webgpu', slow: true },
  'tfjs-wasm': { system: 'tfjs-layers', runtime: 'chromium', backend: 'wasm', slow: false },
  'tfjs-cpu': { system: 'tfjs-layers', runtime: 'chromium', backend: 'cpu', slow: true },
  'tfjs-webgl': { system: 'tfjs-layers', runtime: 'chromium', backend: 'webgl', slow: false },
};

/** Run by default; tfjs-webgl only when asked for (the issue compares webgpu, wasm and cpu). */
export const defaultSystems: SystemId[] = ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];

/**
 * FLOPs of one training step, matmuls only (reference-workload.md), summed over the layers (layer k reads
 * I_k = I for k = 0, else H_{k-1}): forward T*2*B*(I_k+H_k)*4H_k, recurrent backward T*2*B*4H_k*H_k, weight
 * gradients T*2*B*(I_k+H_k)*4H_k, the input gradient of a layer above the first T*2*B*4H_k*I_k; output
 * layer 3*2*B*H*C (forward, dh and its weight gradient). About 1.26e9 for the reference workload.
 * A language model (s.lm) counts the same with I = V: layer 0's input projection as the one-hot (B, V) x
 * (V, 4H) matmul tfjs does (ours reads row x_t of W_x instead, so it does fewer), and its head at every
 * step, on T*B rows: 3*2*T*B*H*V.
 */
export function flopsPerStep(s: Shape): number {
  const { batch: B, steps: T, input: I, classes: C } = s;
  const layers = layersOf(s);
  const headRows = s.lm ? T * B : B;
  let total = 3 * 2 * headRows * layers[layers.length - 1] * C;
  layers.forEach((H, k) => {
    const In = k === 0 ? I : layers[k - 1];
    total += T * 2 * B * (In + H) * 4 * H; // forward
    total += T * 2 * B * 4 * H * H; // recurrent backward
    total += T * 2 * B * (In + H) * 4 * H; // weight gradients
    if (k > 0) total += T * 2 * B * 4 * H * In; // input gradient
  });
  return total;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** How far a tfjs run got, kept in the page (window.__benchProgress) for a run stopped at its time cap. */
export interface TfjsProgress {
  warmupMs: number[];
  stepMs: number[];
}

/** Counts of GPU calls kept by the bench page's init script (wrapped dispatchWorkgroups and submit). */
export interface GpuCallCounts {
  dispatches: number;
  submits: number;
}

/** What one system's run returns, wherever it ran: raw step times and counts. */
export interface RawRun {
  /** Milliseconds of each timed step, each ended by waiting for the device (or tfjs's loss read). */
  stepMs: number[];
  /** Building the model or plan (pipelines, buffers) before the first step. */
  setupMs: number;
  /** The first warm-up step alone (first-use compilation shows here). */
  firstStepMs: number | null;
  dispatchesPerStep: number | null;
  submitsPerStep: number | null;
  peakBytes?: number;
  /** What peakBytes counts. */
  peakBytesSource?: string;
  /** Backend details worth keeping (tfjs version, wasm SIMD and threads, counted dispatches...). */
  info?: Record<string, unknown>;
}

export interface StepStats {
  msPerStep: number;
  minMs: number;
  maxMs: number;
  samplesPerSec: number;
  /** A language model's predicted characters per second, B*T per step; absent for a classifier. */
  charsPerSec?: number;
  gflops: number;
}

/** Median, min and max ms per step; samples/s and GFLOP/s from the median. */
export function stepStats(stepMs: readonly number[], shape: Shape): StepStats {
  if (stepMs.length === 0 || stepMs.some((ms) => !(ms > 0) || !Number.isFinite(ms))) {
    throw new Error(`step times must be positive and finite, got [${stepMs.join(', ')}]`);
  }
  const ms = median(stepMs);
  return {
    msPerStep: ms,
    minMs: Math.min(...stepMs),
    maxMs: Math.max(...stepMs),
    samplesPerSec: shape.batch / (ms / 1000),
    ...(shape.lm ? { charsPerSec: (shape.batch * shape.steps) / (ms / 1000) } : {}),
    gflops: flopsPerStep(shape) / (ms / 1000) / 1e9,
  };
}

/** The sweep's shapes: batch, hidden and T one at a time around the main shape, each once. */
export function sweepShapes(base: Shape, axes: { batch: number[]; hidden: number[]; seq: number[] }): Shape[] {
  const all = [
    ...axes.batch.map((batch) => ({ ...base, batch })),
    ...axes.hidden.map((hidden) => ({ ...base, hidden })),
    ...axes.seq.map((steps) => ({ ...base, steps })),
  ];
  const key = (s: Shape): string => `${s.batch}/${s.steps}/${s.hidden}`;
  return all.filter((s, i) => all.findIndex((t) => key(t) === key(s)) === i);
}
