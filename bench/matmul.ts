// The adapter's ceiling: the best GFLOP/s of our GEMM kernels on a large square problem, each checked
// against float64 on sampled elements. Two kernel families ("forms"), each over a few workgroup/tile
// shapes (override constants):
//   matmul            bench/kernels/matmul.wgsl, c = a . b (register blocks of ROWS rows x 4 columns)
//   lstm_weight_grad  shaders/lstm_weight_grad.wgsl, the training's weight-gradient kernel, c = a^T b:
//                     dw (I+H+1, 4H) = xh^T (T*B, I+H+1) . dgates (T*B, 4H); T=1, B=N, H=N/4, I=N-N/4-1
//                     make it an N x N x N GEMM.
// Runs the same in Node and in the bench page: it takes a device and the WGSL texts.
import type { Dims } from '../src/kernels/dims.ts';
import { lstmWeightGrad } from '../src/kernels/lstm_weight_grad.ts';

export type CeilingForm = 'matmul' | 'lstm_weight_grad';

/** The WGSL text of each form's kernel. */
export interface CeilingKernels {
  matmul: string;
  lstmWeightGrad: string;
}

export interface MatmulTile {
  WG_X: number;
  WG_Y: number;
  ROWS: number;
}

/** lstm_weight_grad's override constants; its register block (8 k-rows x 8 columns) is fixed. */
export interface WeightGradTile {
  WG_X: number;
  WG_Y: number;
}

/** Tile shapes tried for the ceiling; the first is the kernel's default; --quick tries the first three. */
export const matmulTiles: MatmulTile[] = [
  { WG_X: 16, WG_Y: 4, ROWS: 4 },
  { WG_X: 8, WG_Y: 8, ROWS: 8 },
  { WG_X: 4, WG_Y: 4, ROWS: 8 },
  { WG_X: 8, WG_Y: 8, ROWS: 4 },
  { WG_X: 16, WG_Y: 16, ROWS: 4 },
  { WG_X: 64, WG_Y: 1, ROWS: 4 },
  { WG_X: 16, WG_Y: 4, ROWS: 8 },
];

/** Workgroup sizes of lstm_weight_grad tried for the ceiling; the first is its default; --quick tries three. */
export const weightGradTiles: WeightGradTile[] = [
  { WG_X: 32, WG_Y: 1 },
  { WG_X: 16, WG_Y: 4 },
  { WG_X: 8, WG_Y: 8 },
  { WG_X: 64, WG_Y: 1 },
  { WG_X: 4, WG_Y: 4 },
];

export const maxRows = 8; // the shader writes out 8 row sums

/** c (m x n) = a . b with a (m x k), b (k x n) for matmul; c = a^T b with a (k x m), b (k x n) for lstm_weight_grad. */
export interface MatmulDims {
  m: number;
  k: number;
  n: number;
}

export function matmulWorkgroups(d: MatmulDims, t: MatmulTile): [number, number, number] {
  return [Math.ceil(d.n / 4 / t.WG_X), Math.ceil(Math.ceil(d.m / t.ROWS) / t.WG_Y), 1];
}

/** The LSTM sizes that make lstm_weight_grad compute c (m x n) = a^T b: rows k, width m = I+H+1, 4H = n. */
export function weightGradDims(d: MatmulDims): Dims {
  const hidden = d.n / 4;
  return { batch: d.k, steps: 1, input: d.m - hidden - 1, hidden, classes: 1, forgetBias: 0, params: d.m * d.n, above: 0, headSteps: 1, tokens: false };
}

/** A GEMM pipeline and its buffers for one shape, ready to dispatch with any of its tiles. */
export interface GemmRig<Tile> {
  form: CeilingForm;
  dims: MatmulDims;
  /** Encodes `reps` dispatches with this tile into one submit and waits for it; returns ms. */
  run(tile: Tile, reps: number): Promise<number>;
  /** c as float32 after the last run. */
  readC(): Promise<Float32Array>;
  /** c[i, j] in float64 from a and b. */
  reference(i: number, j: number): number;
  a: Float32Array<ArrayBuffer>;
  b: Float32Array<ArrayBuffer>;
  destroy(): void;
}

export type MatmulRig = GemmRig<MatmulTile>;
export type WeightGradRig = GemmRig<WeightGradTile>;

function checkDims(d: MatmulDims): void {
  if (d.k % 4 || d.n % 4 || d.m < 1 || d.k < 4 || d.n < 4) throw new Error(`matmul: K and N must be positive multiples of 4 (M=${d.m} K=${d.k} N=${d.n})`);
}

function checkWeightGradDims(d: MatmulDims): void {
  if (!(d.n >= 4 && d.n % 4 === 0 && d.k >= 1 && d.m >= d.n / 4 + 1)) {
    throw new Error(`lstm_weight_grad GEMM: N must be a positive multiple of 4 (4H), K >= 1 (T*B rows) and M >= N/4+1 (I+H+1 with I >= 0) (M=${d.m} K=${d.k} N=${d.n})`);
  }
}

/** Uniform random in [-1, 1) from a small LCG: repeatable without depending on the engine. */
function randomMatrix(count: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface RigSpec<Tile> {
  form: CeilingForm;
  code: string;
  dims: MatmulDims;
  /** Binding order of the shader: params, then a, b, c. */
  names: [string, string, string];
  params: Uint32Array<ArrayBuffer>;
  aCount: number;
  bCount: number;
  key(t: Tile): string;
  constants(t: Tile): Record<string, number>;
  workgroups(t: Tile): [number, number, number];
  reference(a: Float32Array, b: Float32Array, i: number, j: number): number;
}

/** Buffers (params uniform, a, b, c at bindings 0..3), a pipeline per tile on demand, timed runs. */
function createGemmRig<Tile>(device: GPUDevice, spec: RigSpec<Tile>): GemmRig<Tile> {
  const { form, dims, names } = spec;
  const a = randomMatrix(spec.aCount, 1);
  const b = randomMatrix(spec.bCount, 2);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const make = (label: string, size: number, usage: number): GPUBuffer => device.createBuffer({ label: `${form} ${label}`, size, usage });
  const bufA = make(names[0], a.byteLength, storage);
  const bufB = make(names[1], b.byteLength, storage);
  const bufC = make(names[2], dims.m * dims.n * 4, storage);
  const params = make('params', spec.params.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(bufA, 0, a);
  device.queue.writeBuffer(bufB, 0, b);
  device.queue.writeBuffer(params, 0, spec.params);
  const module = device.createShaderModule({ label: form, code: spec.code });
  const pipelines = new Map<string, { pipeline: GPUComputePipeline; group: GPUBindGroup }>();

  const pipelineFor = async (t: Tile): Promise<{ pipeline: GPUComputePipeline; group: GPUBindGroup }> => {
    const key = spec.key(t);
    const have = pipelines.get(key);
    if (have) return have;
    device.pushErrorScope('validation');
    const pipeline = await device.createComputePipelineAsync({
      label: `${form} ${key}`,
      layout: 'auto',
      compute: { module, entryPoint: form, constants: spec.constants(t) },
    });
    const group = device.createBindGroup({
      label: `${form} ${key}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, bufA, bufB, bufC].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const error = await device.popErrorScope();
    if (error) throw new Error(`${form} ${key}: ${error.message}`);
    const made = { pipeline, group };
    pipelines.set(key, made);
    return made;
  };

  return {
    form, dims, a, b,
    async run(tile, reps) {
      const { pipeline, group } = await pipelineFor(tile);
      const [x, y, z] = spec.workgroups(tile);
      const encoder = device.createCommandEncoder({ label: form });
      const pass = encoder.beginComputePass({ label: form });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(x, y, z);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    },
    async readC() {
      const staging = device.createBuffer({ label: `${form} readback`, size: bufC.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder({ label: `${form} readback` });
      encoder.copyBufferToBuffer(bufC, 0, staging, 0, bufC.size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const c = new Float32Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return c;
    },
    reference: (i, j) => spec.reference(a, b, i, j),
    destroy() {
      for (const buf of [bufA, bufB, bufC, params]) buf.destroy();
    },
  };
}

/** bench/kernels/matmul.wgsl on c (m x n) = a (m x k) . b (k x n). */
export async function createMatmulRig(device: GPUDevice, code: string, dims: MatmulDims): Promise<MatmulRig> {
  checkDims(dims);
  const key = (t: MatmulTile): string => `${t.WG_X}x${t.WG_Y}x${t.ROWS}`;
  return createGemmRig<MatmulTile>(device, {
    form: 'matmul', code, dims,
    names: ['a', 'b', 'c'],
    params: new Uint32Array([dims.m, dims.k, dims.n, 0]),
    aCount: dims.m * dims.k,
    bCount: dims.k * dims.n,
    key,
    constants(t) {
      if (t.ROWS < 1 || t.ROWS > maxRows) throw new Error(`matmul tile ${key(t)}: ROWS must be 1..${maxRows}`);
      return { WG_X: t.WG_X, WG_Y: t.WG_Y, ROWS: t.ROWS };
    },
    workgroups: (t) => matmulWorkgroups(dims, t),
    reference: (a, b, i, j) => referenceDot(a, b, dims, i, j),
  });
}

/**
 * shaders/lstm_weight_grad.wgsl as a GEMM: c = dw (m x n) = a^T b with a = xh (k x m), b = dgates (k x n).
 * Geometry from its spec (src/kernels/lstm_weight_grad.ts); Params {rows, input, hidden} padded to 16 bytes.
 */
export async function createWeightGradRig(device: GPUDevice, code: string, dims: MatmulDims): Promise<WeightGradRig> {
  checkWeightGradDims(dims);
  const d = weightGradDims(dims);
  const p = lstmWeightGrad.params(d);
  return createGemmRig<WeightGradTile>(device, {
    form: 'lstm_weight_grad', code, dims,
    names: ['xh', 'dgates', 'dw'],
    params: new Uint32Array([p.rows, p.input, p.hidden, 0]),
    aCount: dims.k * dims.m,
    bCount: dims.k * dims.n,
    key: (t) => `${t.WG_X}x${t.WG_Y}`,
    constants: (t) => ({ WG_X: t.WG_X, WG_Y: t.WG_Y }),
    workgroups: (t) => lstmWeightGrad.workgroups(d, { WG_X: t.WG_X, WG_Y: t.WG_Y }),
    reference: (a, b, i, j) => referenceDotT(a, b, dims, i, j),
  });
}

/** float64 reference of c[i, j] = sum_kk a[i, kk] b[kk, j] (matmul). */
export function referenceDot(a: Float32Array, b: Float32Array, d: MatmulDims, i: number, j: number): number {
  let s = 0;
  for (let kk = 0; kk < d.k; kk++) s += a[i * d.k + kk] * b[kk * d.n + j];
  return s;
}

/** float64 reference of c[i, j] = sum_kk a[kk, i] b[kk, j] (lstm_weight_grad: a is (k x m)). */
export function referenceDotT(a: Float32Array, b: Float32Array, d: MatmulDims, i: number, j: number): number {
  let s = 0;
  for (let kk = 0; kk < d.k; kk++) s += a[kk * d.m + i] * b[kk * d.n + j];
  return s;
}

/** Largest |gpu - ref| / (1 + |ref|) over `samples` elements spread over c (the corners included). */
export function checkSamples(c: Float32Array, rig: Pick<GemmRig<unknown>, 'dims' | 'reference'>, samples: number): number {
  const { m, n } = rig.dims;
  let worst = 0;
  for (let s = 0; s < samples; s++) {
    const i = s === 0 ? 0 : s === 1 ? m - 1 : (s * 7919) % m;
    const j = s === 0 ? 0 : s === 1 ? n - 1 : (s * 104729) % n;
    const ref = rig.reference(i, j);
    const err = Math.abs(c[i * n + j] - ref) / (1 + Math.abs(ref));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

/**
 * Which kernel and override constants. `form` is absent in results written before the lstm_weight_grad
 * form existed: those are matmul.
 */
export type CeilingChoice = { form?: 'matmul'; tile: MatmulTile } | { form: 'lstm_weight_grad'; tile: WeightGradTile };

export type CeilingCandidate = CeilingChoice & {
  gflops: number;
  ms: number;
  reps: number;
  /** Largest relative error of sampled elements against float64 (absent in older results). */
  maxRelError?: number;
  error?: string;
};

export type CeilingResult = CeilingChoice & {
  size: number;
  /** FLOPs of one matmul: 2*size^3. */
  flops: number;
  gflops: number;
  /** Every (form, tile) tried, best of `trials` each. */
  candidates: CeilingCandidate[];
  trials: number;
  /** Largest relative error of sampled elements against float64 (the winner's output). */
  maxRelError: number;
};

export interface CeilingOptions {
  size: number;
  /** matmul tiles to try ([] skips the form). */
  tiles?: MatmulTile[];
  /** lstm_weight_grad workgroup sizes to try ([] skips the form). */
  weightGradTiles?: WeightGradTile[];
  /** Timed submits per tile; the best counts. */
  trials?: number;
  /** Aim for a timed submit of about this many ms (repeats dispatches in it). */
  targetMs?: number;
  maxInvocations?: number;
}

/** A float32 result further than this from float64 (relative to 1 + |ref|) disqualifies a candidate. */
export const maxCeilingError = 1e-3;

/** Best GFLOP/s over both forms and their tiles on a size^3 GEMM; every candidate checked against float64. */
export async function measureCeiling(device: GPUDevice, kernels: CeilingKernels, opts: CeilingOptions): Promise<CeilingResult> {
  const size = opts.size;
  const dims = { m: size, k: size, n: size };
  const trials = opts.trials ?? 3;
  const targetMs = opts.targetMs ?? 300;
  const limit = opts.maxInvocations ?? device.limits.maxComputeInvocationsPerWorkgroup;
  const fits = (t: { WG_X: number; WG_Y: number }): boolean => t.WG_X * t.WG_Y <= limit;
  const flops = 2 * size ** 3;
  const candidates: CeilingCandidate[] = [];

  const measure = async <Tile>(choices: (CeilingChoice & { tile: Tile })[], makeRig: () => Promise<GemmRig<Tile>>): Promise<void> => {
    if (choices.length === 0) return;
    let rig: GemmRig<Tile>;
    try {
      rig = await makeRig();
    } catch (e) {
      for (const c of choices) candidates.push({ ...c, ms: NaN, reps: 0, gflops: NaN, error: (e as Error).message });
      return;
    }
    try {
      for (const choice of choices) {
        try {
          const once = await rig.run(choice.tile, 1); // compiles and warms up
          const reps = Math.max(1, Math.min(200, Math.round(targetMs / Math.max(once, 0.01))));
          let best = Infinity;
          for (let t = 0; t < trials; t++) best = Math.min(best, (await rig.run(choice.tile, reps)) / reps);
          const maxRelError = checkSamples(await rig.readC(), rig, 24);
          const timed = { ...choice, ms: best, reps, gflops: flops / (best / 1000) / 1e9, maxRelError };
          candidates.push(maxRelError < maxCeilingError ? timed : { ...timed, error: `wrong: relative error ${maxRelError} against float64` });
        } catch (e) {
          candidates.push({ ...choice, ms: NaN, reps: 0, gflops: NaN, error: (e as Error).message });
        }
      }
    } finally {
      rig.destroy();
    }
  };

  await measure(
    (opts.tiles ?? matmulTiles).filter(fits).map((tile) => ({ form: 'matmul' as const, tile })),
    () => createMatmulRig(device, kernels.matmul, dims),
  );
  await measure(
    (opts.weightGradTiles ?? weightGradTiles).filter(fits).map((tile) => ({ form: 'lstm_weight_grad' as const, tile })),
    () => createWeightGradRig(device, kernels.lstmWeightGrad, dims),
  );
  const ok = candidates.filter((c) => !c.error);
  if (ok.length === 0) throw new Error(`no ceiling kernel ran: ${candidates.map((c) => `${ceilingKernelName(c)}: ${c.error}`).join('; ') || 'no tile fits'}`);
  const best = ok.reduce((x, y) => (y.gflops > x.gflops ? y : x));
  const choice: CeilingChoice = best.form === 'lstm_weight_grad' ? { form: best.form, tile: best.tile } : { form: 'matmul', tile: best.tile };
  return { ...choice, size, flops, gflops: best.gflops, candidates, trials, maxRelError: best.maxRelError! };
}

/** "matmul.wgsl, tile 16x4x4" or "lstm_weight_grad GEMM, WG 32x1" (older results without a form: matmul). */
export function ceilingKernelName(c: CeilingChoice): string {
  if (c.form === 'lstm_weight_grad') return `lstm_weight_grad GEMM, WG ${c.tile.WG_X}x${c.tile.WG_Y}`;
  return `matmul.wgsl, tile ${c.tile.WG_X}x${c.tile.WG_Y}x${c.tile.ROWS}`;
}
