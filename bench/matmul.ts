// The adapter's ceiling: GFLOP/s of bench/kernels/matmul.wgsl on a large square matmul, the best of a
// few tile shapes (override constants), each checked against float64 dot products. Runs the same in Node
// and in the bench page: it takes a device and the WGSL text.

export interface MatmulTile {
  WG_X: number;
  WG_Y: number;
  ROWS: number;
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

export const maxRows = 8; // the shader writes out 8 row sums

export interface MatmulDims {
  m: number;
  k: number;
  n: number;
}

export function matmulWorkgroups(d: MatmulDims, t: MatmulTile): [number, number, number] {
  return [Math.ceil(d.n / 4 / t.WG_X), Math.ceil(Math.ceil(d.m / t.ROWS) / t.WG_Y), 1];
}

/** A matmul pipeline and its buffers for one shape, ready to dispatch with any of its tiles. */
export interface MatmulRig {
  dims: MatmulDims;
  /** Encodes `reps` dispatches with this tile into one submit and waits for it; returns ms. */
  run(tile: MatmulTile, reps: number): Promise<number>;
  /** c as float32 after the last run. */
  readC(): Promise<Float32Array>;
  a: Float32Array<ArrayBuffer>;
  b: Float32Array<ArrayBuffer>;
  destroy(): void;
}

function checkDims(d: MatmulDims): void {
  if (d.k % 4 || d.n % 4 || d.m < 1 || d.k < 4 || d.n < 4) throw new Error(`matmul: K and N must be positive multiples of 4 (M=${d.m} K=${d.k} N=${d.n})`);
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

export async function createMatmulRig(device: GPUDevice, code: string, dims: MatmulDims): Promise<MatmulRig> {
  checkDims(dims);
  const { m, k, n } = dims;
  const a = randomMatrix(m * k, 1);
  const b = randomMatrix(k * n, 2);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const make = (label: string, size: number, usage: number): GPUBuffer => device.createBuffer({ label: `matmul ${label}`, size, usage });
  const bufA = make('a', a.byteLength, storage);
  const bufB = make('b', b.byteLength, storage);
  const bufC = make('c', m * n * 4, storage);
  const params = make('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(bufA, 0, a);
  device.queue.writeBuffer(bufB, 0, b);
  device.queue.writeBuffer(params, 0, new Uint32Array([m, k, n, 0]));
  const module = device.createShaderModule({ label: 'matmul', code });
  const pipelines = new Map<string, { pipeline: GPUComputePipeline; group: GPUBindGroup }>();

  const pipelineFor = async (t: MatmulTile): Promise<{ pipeline: GPUComputePipeline; group: GPUBindGroup }> => {
    const key = `${t.WG_X}x${t.WG_Y}x${t.ROWS}`;
    const have = pipelines.get(key);
    if (have) return have;
    if (t.ROWS < 1 || t.ROWS > maxRows) throw new Error(`matmul tile ${key}: ROWS must be 1..${maxRows}`);
    device.pushErrorScope('validation');
    const pipeline = await device.createComputePipelineAsync({
      label: `matmul ${key}`,
      layout: 'auto',
      compute: { module, entryPoint: 'matmul', constants: { WG_X: t.WG_X, WG_Y: t.WG_Y, ROWS: t.ROWS } },
    });
    const group = device.createBindGroup({
      label: `matmul ${key}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, bufA, bufB, bufC].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const error = await device.popErrorScope();
    if (error) throw new Error(`matmul tile ${key}: ${error.message}`);
    const made = { pipeline, group };
    pipelines.set(key, made);
    return made;
  };

  return {
    dims, a, b,
    async run(tile, reps) {
      const { pipeline, group } = await pipelineFor(tile);
      const [x, y, z] = matmulWorkgroups(dims, tile);
      const encoder = device.createCommandEncoder({ label: 'matmul' });
      const pass = encoder.beginComputePass({ label: 'matmul' });
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
      const staging = device.createBuffer({ label: 'matmul readback', size: bufC.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder({ label: 'matmul readback' });
      encoder.copyBufferToBuffer(bufC, 0, staging, 0, bufC.size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const c = new Float32Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return c;
    },
    destroy() {
      for (const buf of [bufA, bufB, bufC, params]) buf.destroy();
    },
  };
}

/** float64 reference of c[i, j]. */
export function referenceDot(a: Float32Array, b: Float32Array, d: MatmulDims, i: number, j: number): number {
  let s = 0;
  for (let kk = 0; kk < d.k; kk++) s += a[i * d.k + kk] * b[kk * d.n + j];
  return s;
}

/** Largest |gpu - ref| / (1 + |ref|) over `samples` elements spread over c (the corners included). */
export function checkSamples(c: Float32Array, rig: Pick<MatmulRig, 'a' | 'b' | 'dims'>, samples: number): number {
  const { m, n } = rig.dims;
  let worst = 0;
  for (let s = 0; s < samples; s++) {
    const i = s === 0 ? 0 : s === 1 ? m - 1 : (s * 7919) % m;
    const j = s === 0 ? 0 : s === 1 ? n - 1 : (s * 104729) % n;
    const ref = referenceDot(rig.a, rig.b, rig.dims, i, j);
    const err = Math.abs(c[i * n + j] - ref) / (1 + Math.abs(ref));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

export interface CeilingCandidate {
  tile: MatmulTile;
  gflops: number;
  ms: number;
  reps: number;
  error?: string;
}

export interface CeilingResult {
  size: number;
  /** FLOPs of one matmul: 2*size^3. */
  flops: number;
  gflops: number;
  tile: MatmulTile;
  /** Every tile shape tried, best of `trials` each. */
  candidates: CeilingCandidate[];
  trials: number;
  /** Largest relative error of sampled elements against float64 (the best tile's output). */
  maxRelError: number;
}

export interface CeilingOptions {
  size: number;
  tiles?: MatmulTile[];
  /** Timed submits per tile; the best counts. */
  trials?: number;
  /** Aim for a timed submit of about this many ms (repeats dispatches in it). */
  targetMs?: number;
  maxInvocations?: number;
}

/** Best GFLOP/s of the matmul kernel on a size^3 matmul over the given tile shapes. */
export async function measureCeiling(device: GPUDevice, code: string, opts: CeilingOptions): Promise<CeilingResult> {
  const size = opts.size;
  const dims = { m: size, k: size, n: size };
  const trials = opts.trials ?? 3;
  const targetMs = opts.targetMs ?? 300;
  const limit = opts.maxInvocations ?? device.limits.maxComputeInvocationsPerWorkgroup;
  const tiles = (opts.tiles ?? matmulTiles).filter((t) => t.WG_X * t.WG_Y <= limit);
  const flops = 2 * size ** 3;
  const rig = await createMatmulRig(device, code, dims);
  try {
    const candidates: CeilingCandidate[] = [];
    for (const tile of tiles) {
      try {
        const once = await rig.run(tile, 1); // compiles and warms up
        const reps = Math.max(1, Math.min(200, Math.round(targetMs / Math.max(once, 0.01))));
        let best = Infinity;
        for (let t = 0; t < trials; t++) best = Math.min(best, (await rig.run(tile, reps)) / reps);
        candidates.push({ tile, ms: best, reps, gflops: flops / (best / 1000) / 1e9 });
      } catch (e) {
        candidates.push({ tile, ms: NaN, reps: 0, gflops: NaN, error: (e as Error).message });
      }
    }
    const ok = candidates.filter((c) => !c.error);
    if (ok.length === 0) throw new Error(`no matmul tile ran: ${candidates.map((c) => c.error).join('; ')}`);
    const best = ok.reduce((x, y) => (y.gflops > x.gflops ? y : x));
    await rig.run(best.tile, 1);
    const maxRelError = checkSamples(await rig.readC(), rig, 24);
    if (!(maxRelError < 1e-3)) throw new Error(`matmul tile ${JSON.stringify(best.tile)} is wrong: relative error ${maxRelError} against float64`);
    return { size, flops, gflops: best.gflops, tile: best.tile, candidates, trials, maxRelError };
  } finally {
    rig.destroy();
  }
}
