// Sampling from a language model: an inference plan that runs the model one symbol at a time on the GPU,
// draws each next symbol there (sample_next: temperature, top-k, a seeded draw) and feeds it back, so a
// whole sample is encoded without a readback between symbols. It holds the parameters and, per layer, the
// state of one step (T = 1) for B samples at once: no gradients, no Adam moments, no datasets.
// Per symbol: embedding_gather, then per layer above the first input_projection, each layer's forward
// cell, sample_next, and carry_state per layer (h_1, c_1 become the next step's h_0, c_0): 3L + 1 dispatches.
import { type Kernel, createKernel, dispatch, makeBindGroup, packUniform } from '../gpu/kernel.ts';
import type { GpuContext } from '../gpu/device.ts';
import { carryState } from '../kernels/carry_state.ts';
import { type Dims, f32Bytes, placeholderBytes } from '../kernels/dims.ts';
import { embeddingGather } from '../kernels/embedding_gather.ts';
import { inputProjection } from '../kernels/input_projection.ts';
import { lstmCellForward } from '../kernels/lstm_cell_forward.ts';
import { type SampleSettings, sampleNext } from '../kernels/sample_next.ts';
import { UserError } from '../user-error.ts';
import { type ModelConfig, type Tensors, packParams, paramLayout, readsTokens } from './model.ts';
import { layerDims } from './plan.ts';
import { readBuffer } from './readback.ts';

export interface SampleRequest {
  /** Symbols the model reads first (at least one); the sample continues them. */
  prime: ArrayLike<number>;
  /** Symbols to generate after the prime. */
  length: number;
  /** Divides the logits before the softmax: below 1 more conservative, above 1 more varied. > 0. */
  temperature: number;
  /** Draw among the k likeliest symbols only; 0 or absent: among all. */
  topK?: number;
  /** The same seed (and model, prime, settings, device) draws the same text. */
  seed: number;
}

export interface Sampler {
  /** Samples drawn at once (B). */
  readonly samples: number;
  /** Dispatches per generated symbol. */
  readonly dispatchesPerSymbol: number;
  /** Each sample, the prime followed by `length` drawn symbols. */
  sample(request: SampleRequest): Promise<Uint8Array[]>;
  /** Replaces the parameters (a training run's latest). */
  writeParams(params: Tensors<Float32Array | Float64Array>): void;
  /** The logits (B, C) that drew the last symbol of the last sample (tests read them). */
  readLogits(): Promise<Float32Array>;
  bytes: number;
  destroy(): void;
}

/** Symbols encoded per command buffer (a long sample is submitted in pieces). */
const symbolsPerSubmit = 128;

/** Refuses a request the sampler cannot run, with what to change. */
export function checkSampleRequest(model: ModelConfig, r: SampleRequest): void {
  if (!(r.temperature > 0) || !Number.isFinite(r.temperature)) {
    throw new UserError(`temperature ${r.temperature} is not a number above 0: use e.g. 0.8 (lower is more conservative, 1 samples the model as trained)`);
  }
  if (!Number.isInteger(r.length) || r.length < 0) throw new UserError(`sample length ${r.length} is not a whole number >= 0`);
  const k = r.topK ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > model.classes) throw new UserError(`top-k ${k} is not a whole number from 0 (off) to the vocabulary's ${model.classes}`);
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 0xffffffff) throw new UserError(`seed ${r.seed} is not a whole number from 0 to 4294967295`);
  if (r.prime.length < 1) throw new UserError('the prime is empty: give at least one symbol to start from');
  for (let i = 0; i < r.prime.length; i++) {
    if (!(r.prime[i] >= 0 && r.prime[i] < model.inputSize)) throw new UserError(`prime symbol ${i} is ${r.prime[i]}, not below the vocabulary of ${model.inputSize}`);
  }
}

export async function createSampler(ctx: GpuContext, model: ModelConfig, params: Tensors<Float32Array | Float64Array>, samples = 1): Promise<Sampler> {
  if (!readsTokens(model) || model.inputSize !== model.classes) throw new UserError('sampling needs a language model (token inputs, one output per symbol)');
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(`samples ${samples} is not a whole number >= 1`);
  const { device } = ctx;
  const B = samples;
  const L = model.layers.length;
  const oneStep: ModelConfig = { ...model, steps: 1 };
  const dims: Dims[] = model.layers.map((_, k) => layerDims(oneStep, B, k));
  const top = dims[L - 1];
  const layout = paramLayout(model);

  const owned: GPUBuffer[] = [];
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffer = (label: string, size: number, usage = STORAGE): GPUBuffer => {
    const b = ctx.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    owned.push(b);
    return b;
  };
  device.pushErrorScope('validation');
  const make = <E>(spec: Parameters<typeof createKernel<E>>[1], d: Dims): Promise<Kernel<E>> => createKernel(device, spec, ctx.shaders, d);
  const k = {
    embeddingGather: await make(embeddingGather, dims[0]),
    inputProjection: await make(inputProjection, top),
    cellForward: await make(lstmCellForward, top),
    carryState: await make(carryState, top),
    sampleNext: await make(sampleNext, top),
  };
  const paramsBuffer = buffer('sampler params', layout.length * f32Bytes);
  const widest = Math.max(...dims.map((d) => 4 * d.hidden * B * f32Bytes));
  const xw = buffer('sampler xw', widest);
  const current = buffer('sampler current', B * 4);
  const cursor = buffer('sampler cursor', B * 4);
  const logits = buffer('sampler logits', B * model.classes * f32Bytes);
  const placeholder = buffer('placeholder', placeholderBytes);
  const layers = dims.map((d, i) => ({
    dims: d,
    xh: buffer(`xh[${i}]`, 2 * B * (d.input + d.hidden + 1) * f32Bytes),
    cs: buffer(`cs[${i}]`, 2 * B * d.hidden * f32Bytes),
    gates: buffer(`gates[${i}]`, B * 4 * d.hidden * f32Bytes),
  }));

  const uniformSlot = 256;
  const slots = 3 * L + 2;
  const uniforms = buffer('sampler uniforms', slots * uniformSlot, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const uniformData = new Uint8Array(slots * uniformSlot);
  let next = 0;
  const slot = (kernel: Kernel<any>, values: Record<string, number>): GPUBufferBinding => {
    const offset = next++ * uniformSlot;
    uniformData.set(new Uint8Array(packUniform(kernel, values)), offset);
    return { buffer: uniforms, offset, size: kernel.uniform.size };
  };
  const sampleSlot = next++ * uniformSlot; // rewritten by each sample()
  const whole = (b: GPUBuffer): GPUBufferBinding => ({ buffer: b });
  const block = (offset: number, length: number): GPUBufferBinding => ({ buffer: paramsBuffer, offset: offset * f32Bytes, size: length * f32Bytes });

  const steps = layers.map((layer, i) => {
    const d = layer.dims;
    const w = block(layout.layerBlocks[i].offset, layout.layerBlocks[i].length);
    const projection = i === 0 ? k.embeddingGather : k.inputProjection;
    return {
      dims: d,
      projection,
      project: makeBindGroup(device, projection, d, {
        params: slot(projection, projection.spec.params(d)), w, xw: whole(xw), ...(i === 0 ? { tokens: whole(current) } : { xh: whole(layer.xh) }),
      }, `sampler ${projection.spec.name} layer ${i}`),
      cell: makeBindGroup(device, k.cellForward, d, {
        params: slot(k.cellForward, k.cellForward.spec.params(d, { t: 0 })),
        w, xw: whole(xw), xh: whole(layer.xh), cs: whole(layer.cs), gates: whole(layer.gates), x_next: whole(i + 1 < L ? layers[i + 1].xh : placeholder),
      }, `sampler cell layer ${i}`),
      carry: makeBindGroup(device, k.carryState, d, {
        params: slot(k.carryState, k.carryState.spec.params(d)), xh: whole(layer.xh), cs: whole(layer.cs),
      }, `sampler carry layer ${i}`),
    };
  });
  device.queue.writeBuffer(uniforms, 0, uniformData);
  const writeParams = (t: Tensors<Float32Array | Float64Array>): void => device.queue.writeBuffer(paramsBuffer, 0, packParams(model, t));
  writeParams(params);
  const invalid = await device.popErrorScope();
  if (invalid) throw new Error(`GPU validation error while planning the sampler: ${invalid.message}`);

  const dispatchesPerSymbol = 3 * L + 1;
  return {
    samples: B,
    dispatchesPerSymbol,
    async sample(request) {
      checkSampleRequest(model, request);
      const primeLength = request.prime.length;
      const N = primeLength + request.length;
      const settings: SampleSettings = { length: N, primeLength, topK: request.topK ?? 0, seed: request.seed, temperature: request.temperature };
      const out = ctx.createBuffer({ label: 'sampler out', size: Math.max(16, Math.ceil((B * N * 4) / 16) * 16), usage: STORAGE });
      try {
        const text = new Uint32Array(B * N);
        for (let b = 0; b < B; b++) for (let i = 0; i < primeLength; i++) text[b * N + i] = request.prime[i];
        device.queue.writeBuffer(out, 0, text);
        device.queue.writeBuffer(current, 0, new Uint32Array(B).fill(request.prime[0]));
        device.queue.writeBuffer(cursor, 0, new Uint32Array(B));
        for (const layer of layers) {
          const width = layer.dims.input + layer.dims.hidden + 1;
          device.queue.writeBuffer(layer.xh, 0, new Float32Array(2 * B * width));
          device.queue.writeBuffer(layer.cs, 0, new Float32Array(2 * B * layer.dims.hidden));
        }
        device.queue.writeBuffer(uniforms, sampleSlot, packUniform(k.sampleNext, k.sampleNext.spec.params(top, settings)));
        const draw = makeBindGroup(device, k.sampleNext, top, {
          params: { buffer: uniforms, offset: sampleSlot, size: k.sampleNext.uniform.size },
          xh: whole(layers[L - 1].xh), w_out: block(layout.outputBlock.offset, layout.outputBlock.length),
          out: whole(out), current: whole(current), cursor: whole(cursor), logits: whole(logits),
        }, 'sample_next');
        // N - 1 steps: each reads the symbol at its position and writes the one after it.
        for (let from = 0; from < N - 1; from += symbolsPerSubmit) {
          const encoder = device.createCommandEncoder({ label: `sample ${from}` });
          const pass = encoder.beginComputePass({ label: 'sample' });
          for (let s = from; s < Math.min(N - 1, from + symbolsPerSubmit); s++) {
            for (const step of steps) {
              dispatch(pass, step.projection, step.project, step.dims);
              dispatch(pass, k.cellForward, step.cell, step.dims);
            }
            dispatch(pass, k.sampleNext, draw, top);
            for (const step of steps) dispatch(pass, k.carryState, step.carry, step.dims);
          }
          pass.end();
          device.queue.submit([encoder.finish()]);
          const failure = ctx.failure();
          if (failure) throw failure;
        }
        const all = new Uint32Array(await readBuffer(device, out, 0, B * N * 4));
        return Array.from({ length: B }, (_, b) => Uint8Array.from(all.subarray(b * N, (b + 1) * N)));
      } finally {
        out.destroy();
      }
    },
    writeParams,
    readLogits: async () => new Float32Array(await readBuffer(device, logits, 0, B * model.classes * f32Bytes)),
    bytes: owned.reduce((sum, b) => sum + b.size, 0),
    destroy: () => owned.forEach((b) => b.destroy()),
  };
}
