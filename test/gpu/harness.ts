// Shared by the GPU tests: one device per test file, odd shapes, synthetic image sets, and the oracle's
// view of the same minibatch.
import type { TestContext } from 'node:test';
import type { ImageSet } from '../../src/data/dataset.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { createNodeGpu } from '../../src/gpu/node-gpu.ts';
import { type Backward, type Forward, backward, forward, toFloat64 } from '../../src/reference/lstm.ts';
import { type ModelConfig, type Tensors, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { type Plan, type PlanOptions, createPlan } from '../../src/train/plan.ts';
import { readBuffer } from '../../src/train/readback.ts';
import { createRng } from '../../src/train/rng.ts';
import { defaultAdam } from '../../src/train/trainer.ts';

import { skipUnlessStrict } from '../support/skip.ts';
import { oddBatch, oddModel, oracleBatch, syntheticImages } from '../support/synthetic.ts';

export { assertClose, oddBatch, oddModel, oracleBatch, syntheticImages } from '../support/synthetic.ts';

let shared: Promise<GpuContext | undefined> | undefined;
let adapterProblem = '';

/** The test file's device, or undefined when there is no adapter: the test is then skipped (failed in a
 *  strict run: test/support/skip.ts), never passed. */
export async function gpuOrSkip(t: TestContext): Promise<GpuContext | undefined> {
  shared ??= createNodeGpu({ log: (m) => console.error(m) }).catch((e: Error) => {
    adapterProblem = e.message;
    return undefined;
  });
  const ctx = await shared;
  if (!ctx) skipUnlessStrict(t, `no WebGPU adapter in Node: ${adapterProblem}`);
  return ctx;
}

/** Runs fn inside validation and out-of-memory error scopes and fails on any error. */
export async function withErrorScopes<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const result = await fn();
  const oom = await device.popErrorScope();
  const invalid = await device.popErrorScope();
  if (oom) throw new Error(`GPU out-of-memory error: ${oom.message}`);
  if (invalid) throw new Error(`GPU validation error: ${invalid.message}`);
  return result;
}

/** B=6, T=3, I=5, H=17, C=3: H above one workgroup's units, and not a multiple of 4 (scalar loads). */
export const wideModel: ModelConfig = { steps: 3, inputSize: 5, layers: [17], classes: 3, forgetBias: 1.0 };
export const wideBatch = 6;

export interface Shape {
  name: string;
  model: ModelConfig;
  batch: number;
}

/** B=9, T=2, I=3, H=5, C=19: three register blocks of batch rows (the last partial), C above 16 columns. */
export const manyClassesModel: ModelConfig = { steps: 2, inputSize: 3, layers: [5], classes: 19, forgetBias: 1.0 };
export const manyClassesBatch = 9;

/** The shapes every per-kernel test runs on. */
export const shapes: Shape[] = [
  { name: 'B=3 T=5 I=7 H=9 C=11', model: oddModel, batch: oddBatch },
  { name: 'B=6 T=3 I=5 H=17 C=3', model: wideModel, batch: wideBatch },
  { name: 'B=9 T=2 I=3 H=5 C=19', model: manyClassesModel, batch: manyClassesBatch },
  // H a multiple of 4 (the cell kernels' vec4 weight loads) and over one workgroup of unit quads; B over
  // one register block of 8 rows, the second partial.
  { name: 'B=10 T=3 I=6 H=20 C=7', model: { steps: 3, inputSize: 6, layers: [20], classes: 7, forgetBias: 1.0 }, batch: 10 },
];

/** A plan on this shape (Adam at its defaults); datasets are uploaded only when given. */
export function planFor(
  ctx: GpuContext, s: Shape, datasets: Record<string, ImageSet> = {}, opts: Pick<PlanOptions, 'scheduler' | 'overrides'> = {},
): Promise<Plan> {
  return createPlan(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, datasets, ...opts });
}

/**
 * The ways the cell kernels are scheduled, for their tests: one dispatch per timestep; one per sequence
 * at the default workgroup; one per sequence with 2 x 2 workgroups, so an invocation loops over several
 * unit quads (H = 20: 5 quads over 2) and a workgroup holds two row blocks (B = 10: 8 + 2 rows).
 */
export const cellSchedules: { name: string; opts: Pick<PlanOptions, 'scheduler' | 'overrides'> }[] = [
  { name: 'per timestep', opts: { scheduler: 'timestep' } },
  { name: 'per sequence', opts: { scheduler: 'sequence' } },
  {
    name: 'per sequence, WG 2x2',
    opts: { scheduler: 'sequence', overrides: { lstm_sequence_forward: { WG_X: 2, WG_Y: 2 }, lstm_sequence_backward: { WG_X: 2, WG_Y: 2 } } },
  },
];

/** Every tensor uniform in [-scale, scale]: at 0.5 no gate saturates on these shapes. Nonzero biases. */
export function randomParams(m: ModelConfig, seed: number, scale = 0.5): Tensors {
  const rng = createRng(seed);
  const shapesOf = tensorShapes(m);
  const p: Tensors = {};
  for (const name of Object.keys(shapesOf)) {
    p[name] = new Float32Array(tensorSize(shapesOf[name]));
    for (let k = 0; k < p[name].length; k++) p[name][k] = (2 * rng.next() - 1) * scale;
  }
  return p;
}

/** Distinct-enough random image numbers below count, always including the last image (the tail word). */
export function randomIndices(count: number, batch: number, seed: number): Uint32Array {
  const rng = createRng(seed);
  const idx = new Uint32Array(batch);
  for (let b = 0; b < batch; b++) idx[b] = rng.int(count);
  idx[batch - 1] = count - 1;
  return idx;
}

/** One minibatch through the float64 oracle, from float32 parameters. */
export interface OracleRun {
  params: Tensors;
  x: Float64Array;
  labels: number[];
  f: Forward;
  bw: Backward;
}

export function oracleRun(s: Shape, seed: number, scale = 0.5): OracleRun {
  const set = syntheticImages(4 * s.batch + 1, s.model, seed);
  const { x, labels } = oracleBatch(set, randomIndices(set.count, s.batch, seed + 1));
  const params = randomParams(s.model, seed + 2, scale);
  const p64 = toFloat64(params);
  const f = forward(s.model, p64, x, labels, s.batch);
  const bw = backward(s.model, p64, x, labels, s.batch, f);
  return { params, x, labels, f, bw };
}

/** The oracle's xh: (T+1, B, I+H+1), row (t, b) = [x_t, h_{t-1}, 1] for t < T; slice T = [0, h_T, 0] as on the GPU. */
export function oracleXh(m: ModelConfig, batch: number, x: Float64Array, h: Float64Array): Float32Array {
  const { steps: T, inputSize: I, layers: [H] } = m;
  const W = I + H + 1;
  const xh = new Float32Array((T + 1) * batch * W);
  for (let t = 0; t <= T; t++) {
    for (let b = 0; b < batch; b++) {
      const row = (t * batch + b) * W;
      if (t < T) {
        for (let k = 0; k < I; k++) xh[row + k] = x[(t * batch + b) * I + k];
        xh[row + I + H] = 1;
      }
      for (let u = 0; u < H; u++) xh[row + I + u] = h[(t * batch + b) * H + u];
    }
  }
  return xh;
}

/** Writes floats (rounded to float32) at a float offset into a buffer. */
export function writeF32(device: GPUDevice, buffer: GPUBuffer, data: ArrayLike<number>, offsetFloats = 0): void {
  device.queue.writeBuffer(buffer, offsetFloats * 4, Float32Array.from(data));
}

/** Fills a whole buffer with one float (a NaN sentinel shows any element a kernel fails to write). */
export function fillF32(device: GPUDevice, buffer: GPUBuffer, value: number): void {
  device.queue.writeBuffer(buffer, 0, new Float32Array(buffer.size / 4).fill(value));
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, offsetFloats = 0, count = buffer.size / 4 - offsetFloats): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buffer, offsetFloats * 4, count * 4));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer, count = buffer.size / 4): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buffer, 0, count * 4));
}

/** Encodes one compute pass, submits it and waits for it. */
export async function runPass(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'test' });
  const pass = encoder.beginComputePass({ label: 'test pass' });
  encode(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** Elements [from, from+count) of a (rows, stride) array's rows, concatenated: picks columns out of xh. */
export function columns(a: ArrayLike<number>, rows: number, stride: number, from: number, count: number): Float64Array {
  const out = new Float64Array(rows * count);
  for (let r = 0; r < rows; r++) for (let k = 0; k < count; k++) out[r * count + k] = a[r * stride + from + k];
  return out;
}

/** Largest |gpu - ref|, for the measured-error diagnostics beside each tolerance. */
export function maxAbsError(gpu: ArrayLike<number>, ref: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(gpu[i] - ref[i]);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

/** Asserts every element is the sentinel value (NaN matches NaN): the kernel left this region alone. */
export function assertUntouched(what: string, a: ArrayLike<number>, value: number): void {
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], value) && a[i] !== value) throw new Error(`${what}: element ${i} is ${a[i]}, expected it untouched (${value})`);
  }
}
