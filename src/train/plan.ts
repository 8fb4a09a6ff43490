// Plan once: every buffer, pipeline and bind group of a training run, created before the first step.
// Nothing here is created again while training; step.ts only encodes dispatches over what is planned.
import { type Dataset, type ImageSet, type TokenSet, isTokenSet } from '../data/dataset.ts';
import { type Kernel, createKernel, makeBindGroup, packUniform } from '../gpu/kernel.ts';
import type { GpuContext } from '../gpu/device.ts';
import { type AdamHyper, type AdamStep, adam } from '../kernels/adam.ts';
import { gradNorm, statusBytes } from '../kernels/grad_norm.ts';
import { type Dims, type KernelSpec, type Overrides, bytesOf, f32Bytes, packedBytes, placeholderBytes, xhWidth } from '../kernels/dims.ts';
import { carryState } from '../kernels/carry_state.ts';
import { embeddingGather } from '../kernels/embedding_gather.ts';
import { embeddingGrad } from '../kernels/embedding_grad.ts';
import { gatherTokens } from '../kernels/gather_tokens.ts';
import { gatherBatch } from '../kernels/gather_batch.ts';
import { gatherSequences } from '../kernels/gather_sequences.ts';
import { inputProjection } from '../kernels/input_projection.ts';
import { lstmCellBackward, lstmSequenceBackward } from '../kernels/lstm_cell_backward.ts';
import { lstmCellForward, lstmSequenceForward } from '../kernels/lstm_cell_forward.ts';
import { lstmInputGrad } from '../kernels/lstm_input_grad.ts';
import { lstmWeightGrad } from '../kernels/lstm_weight_grad.ts';
import { outputWeightGrad } from '../kernels/output_weight_grad.ts';
import { softmaxCrossEntropy } from '../kernels/softmax_cross_entropy.ts';
import { UserError } from '../user-error.ts';
import { type Block, type ModelConfig, type ParamLayout, headSteps, layerInput, paramLayout, readsTokens } from './model.ts';

export interface PlanOptions {
  model: ModelConfig;
  batch: number;
  adam: AdamHyper;
  /** Datasets to upload once, by name ('train', 'test', ...): image sets, or token streams for a model
   *  that reads tokens. */
  datasets: Record<string, Dataset>;
  /** Override constants (workgroup sizes) per kernel name (planSpecs), for tuning; each kernel's defaults
   *  otherwise. A name the scheduler's plan lacks is refused. */
  overrides?: KernelOverrides;
  /** How the recurrence is dispatched (default: defaultScheduler). */
  scheduler?: Scheduler;
  /** Carry each batch row's h and c from one training step to the next (carry_state, truncated BPTT). */
  stateful?: boolean;
}

/**
 * 'timestep': one dispatch per timestep and layer forward and backward (L(2T + 3) + 4 a training step of L
 * layers; the grid spreads every timestep over all units). 'sequence': one dispatch runs all T timesteps
 * of a layer forward, one backward (5L + 4 a step); each workgroup owns whole batch rows and steps through
 * t behind a storage barrier.
 */
export type Scheduler = 'timestep' | 'sequence';
export const schedulers: readonly Scheduler[] = ['timestep', 'sequence'];
export const defaultScheduler: Scheduler = 'sequence';

/** What the autotuner chooses for a plan (tuner.ts): the scheduler and workgroup sizes per kernel. */
export interface PlanTuning {
  scheduler?: Scheduler;
  overrides?: KernelOverrides;
}

/** The cell kernels' specs under a scheduler. */
export function cellSpecs(scheduler: Scheduler): { forward: KernelSpec<any>; backward: KernelSpec<any> } {
  return scheduler === 'sequence'
    ? { forward: lstmSequenceForward, backward: lstmSequenceBackward }
    : { forward: lstmCellForward, backward: lstmCellBackward };
}

/** What decides a plan's kernels besides its scheduler. */
export interface PlanShape {
  layers: number;
  /** Layer 0 reads tokens (a language model). */
  tokens?: boolean;
  stateful?: boolean;
}

/** Every kernel of a plan of this shape under a scheduler: the names its overrides may key. */
export function planSpecs(scheduler: Scheduler, shape: PlanShape = { layers: 1 }): KernelSpec<any>[] {
  const cells = cellSpecs(scheduler);
  const stacked = shape.layers > 1 ? [lstmInputGrad] : [];
  const input = shape.tokens ? [gatherTokens, embeddingGather] : [gatherBatch, gatherSequences];
  const inputGrad = shape.tokens ? [embeddingGrad] : [];
  const carry = shape.stateful ? [carryState] : [];
  return [...input, inputProjection, cells.forward, softmaxCrossEntropy, outputWeightGrad, cells.backward, ...stacked, lstmWeightGrad, ...inputGrad, ...carry, gradNorm, adam];
}

/** The shape of a plan of this model. */
export const planShape = (model: ModelConfig, stateful = false): PlanShape => ({ layers: model.layers.length, tokens: readsTokens(model), stateful });

export type KernelOverrides = Partial<Record<string, Overrides>>;

export interface DatasetOnGpu {
  set: Dataset;
  gather: GPUBindGroup;
  /** gather_batch for bytes, gather_sequences for float32 values, gather_tokens for a token stream. */
  gatherKernel: Kernel;
  /** The uploaded pixels, values or symbols. */
  images: GPUBuffer;
  /** Absent for a token stream (its labels are its symbols one step on). */
  labels?: GPUBuffer;
}

export interface Kernels {
  gatherBatch: Kernel;
  /** In a plan with a float32 dataset only. */
  gatherSequences?: Kernel;
  inputProjection: Kernel;
  /** The cell kernels of the plan's scheduler (their params take { t } per timestep, or nothing). */
  lstmCellForward: Kernel<any>;
  softmaxCrossEntropy: Kernel;
  outputWeightGrad: Kernel;
  lstmCellBackward: Kernel<any>;
  lstmWeightGrad: Kernel;
  /** In a plan of two or more layers only. */
  lstmInputGrad?: Kernel;
  /** In a plan whose layer 0 reads tokens only: its gather, input projection and W_x gradient. */
  gatherTokens?: Kernel;
  embeddingGather?: Kernel;
  embeddingGrad?: Kernel;
  /** In a stateful plan only. */
  carryState?: Kernel;
  gradNorm: Kernel;
  adam: Kernel<AdamStep>;
}

/** One LSTM layer of a plan: its dims, its block of the parameter buffer, its own tensors and bind groups. */
export interface LayerPlan {
  /** I = this layer's input width, H = its units, above = H of the layer above (0 at the top). */
  dims: Dims;
  block: Block;
  buffers: Record<LayerBufferName, GPUBuffer>;
  /** input_projection, or embedding_gather for a layer that reads tokens. */
  projection: Kernel;
  groups: {
    inputProjection: GPUBindGroup;
    /** One bind group per dispatch, in encoding order: T (t = 0..T-1) or 1. */
    cellForward: GPUBindGroup[];
    /** One bind group per dispatch, in encoding order: T (t = T-1..0) or 1. */
    cellBackward: GPUBindGroup[];
    weightGrad: GPUBindGroup;
    /** dx of this layer into the layer below's dh_in (layers above the first only). */
    inputGrad?: GPUBindGroup;
    /** The W_x rows of a token layer's gradient. */
    embeddingGrad?: GPUBindGroup;
    /** h_T, c_T to h_0, c_0 after a training step (stateful plans only). */
    carry?: GPUBindGroup;
  };
}

export interface Plan {
  ctx: GpuContext;
  scheduler: Scheduler;
  /** The override constants the plan was made with (its kernels' defaults fill in the rest). */
  overrides: KernelOverrides;
  model: ModelConfig;
  /** The top layer's dims: what the head, the loss, the gradient norm and Adam are dispatched over. */
  dims: Dims;
  layout: ParamLayout;
  adamHyper: AdamHyper;
  kernels: Kernels;
  /** Bottom-up. */
  layers: LayerPlan[];
  /** Each training step carries h and c on to the next (LayerPlan groups.carry). */
  stateful: boolean;
  buffers: Record<SharedBufferName, GPUBuffer>;
  datasets: Record<string, DatasetOnGpu>;
  groups: {
    softmaxCrossEntropy: GPUBindGroup;
    outputWeightGrad: GPUBindGroup;
    gradNorm: GPUBindGroup;
    adam: GPUBindGroup;
  };
  /** Byte offset of the adam uniform slot, rewritten each step with the step counter. */
  adamSlot: number;
  /** Total bytes of GPU buffers this plan owns. */
  bytes: number;
  destroy(): void;
}

type LayerBufferName = 'xh' | 'gates' | 'cs' | 'dgates';
type SharedBufferName =
  | 'params' | 'grads' | 'adamM' | 'adamV' | 'uniforms' | 'batchIndex' | 'xw' | 'labels' | 'logits' | 'dlogits'
  | 'stats' | 'dc' | 'dhIn' | 'status' | 'tokens';

const uniformSlot = 256; // minUniformBufferOffsetAlignment

/** Layer k's dims in a plan of this model and batch. */
export function layerDims(model: ModelConfig, batch: number, k: number): Dims {
  return {
    batch, steps: model.steps, input: layerInput(model, k), hidden: model.layers[k], classes: model.classes, forgetBias: model.forgetBias,
    params: paramLayout(model).length, above: model.layers[k + 1] ?? 0, headSteps: headSteps(model), tokens: k === 0 && readsTokens(model),
  };
}

/** The top layer's dims: the plan's dims. */
export const dimsOf = (model: ModelConfig, batch: number): Dims => layerDims(model, batch, model.layers.length - 1);

/**
 * The byte size of every buffer a plan allocates (datasets and uniforms aside), from the one tensor table
 * (bytesOf): per layer its xh, gates, cs and dgates, named `xh[k]` and so on; the rest once, the
 * per-layer scratch (xw, dc, dhIn) at the widest layer's size.
 */
export function bufferSizes(model: ModelConfig, batch: number): Record<string, number> {
  const all = model.layers.map((_, k) => layerDims(model, batch, k));
  const top = all[all.length - 1];
  const widest = (size: (d: Dims) => number, dims = all): number => Math.max(placeholderBytes, ...dims.map(size));
  const sizes: Record<string, number> = {
    params: bytesOf.params(top), grads: bytesOf.params(top), adamM: bytesOf.params(top), adamV: bytesOf.params(top),
    batchIndex: bytesOf.perRow(top), labels: bytesOf.labels(top),
    logits: bytesOf.logits(top), dlogits: bytesOf.logits(top), stats: bytesOf.stats(top), status: statusBytes,
    tokens: all[0].tokens ? bytesOf.tokens(all[0]) : placeholderBytes,
    xw: widest(bytesOf.gates), dc: widest(bytesOf.state), dhIn: widest(bytesOf.sequence, all.slice(0, -1)),
  };
  all.forEach((d, k) => {
    sizes[`xh[${k}]`] = bytesOf.xh(d);
    sizes[`gates[${k}]`] = bytesOf.gates(d);
    sizes[`cs[${k}]`] = bytesOf.cs(d);
    sizes[`dgates[${k}]`] = bytesOf.gates(d);
  });
  return sizes;
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
const shapeOf = (model: ModelConfig, batch: number): string =>
  `B=${batch} T=${model.steps} I=${model.inputSize} ${model.layers.length === 1 ? `H=${model.layers[0]}` : `layers=${model.layers.join(',')}`} C=${model.classes}`;

/**
 * Refuses, before any GPU work, an override for a kernel the scheduler's plan does not have (naming the
 * kernels it has), and a size that exceeds one of the device's limits (naming the limit and the numbers).
 */
export function checkLimits(
  model: ModelConfig, batch: number, limits: GPUSupportedLimits, datasets: Record<string, Dataset> = {}, overrides: KernelOverrides = {}, scheduler: Scheduler = defaultScheduler,
  stateful = false,
): void {
  checkModel(model);
  const specs = planSpecs(scheduler, planShape(model, stateful));
  const names = specs.map((spec) => spec.name);
  for (const name of Object.keys(overrides)) {
    if (!names.includes(name)) {
      const stack = model.layers.length > 1 ? ` of ${model.layers.length} layers` : '';
      throw new UserError(`workgroup overrides: no kernel ${name} in a '${scheduler}' plan${stack}; its kernels are ${names.join(', ')}`);
    }
  }
  const shape = shapeOf(model, batch);
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const sizes: Record<string, number> = { ...bufferSizes(model, batch) };
  for (const [name, set] of Object.entries(datasets)) sizes[`${name} images`] = packedBytes(isTokenSet(set) ? set.tokens.byteLength : set.pixels.byteLength);
  const fits = (b: number): boolean => Object.values(bufferSizes(model, b)).every((bytes) => bytes <= maxBinding);
  for (const [name, bytes] of Object.entries(sizes)) {
    if (bytes > maxBinding) {
      // The per-step buffers grow with the batch (a dataset does not): say the largest batch that fits.
      let fitting = batch - 1;
      while (fitting > 0 && !fits(fitting)) fitting -= 1;
      const fix = name.endsWith(' images') || fitting < 1
        ? 'Use a smaller batch, hidden size or sequence.'
        : `At T=${model.steps} ${model.layers.length === 1 ? `H=${model.layers[0]}` : `layers ${model.layers.join(',')}`} a batch of at most ${fitting} fits; or use a smaller hidden size or sequence.`;
      throw new UserError(`${shape}: buffer ${name} needs ${mib(bytes)}, over this device's maxStorageBufferBindingSize of ${mib(maxBinding)}. ${fix}`);
    }
  }
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  for (const spec of specs) {
    const values = { ...spec.overrides, ...overrides[spec.name] };
    const size = Object.values(values).reduce((a, b) => a * b, 1);
    if (size > limits.maxComputeInvocationsPerWorkgroup) {
      throw new UserError(`kernel ${spec.name}: workgroup of ${size} invocations, over this device's maxComputeInvocationsPerWorkgroup of ${limits.maxComputeInvocationsPerWorkgroup}`);
    }
    for (let k = 0; k < model.layers.length; k++) {
      const grid = spec.workgroups(layerDims(model, batch, k), values);
      if (grid.some((g) => g > maxGroups)) {
        throw new UserError(
          `${shape}: kernel ${spec.name} needs ${grid.join(' x ')} workgroups, over this device's ` +
            `maxComputeWorkgroupsPerDimension of ${maxGroups}. Use a smaller batch or sequence.`,
        );
      }
    }
  }
}

/** The bytes a dataset uploads: pixels, float32 values, or symbols. */
const datasetBytes = (set: Dataset): Uint8Array =>
  isTokenSet(set) ? set.tokens : new Uint8Array(set.pixels.buffer, set.pixels.byteOffset, set.pixels.byteLength);

/** Refuses a model that is not a stack of at least one layer of whole, positive sizes. */
export function checkModel(model: ModelConfig): void {
  const whole = (v: number): boolean => Number.isInteger(v) && v >= 1;
  if (!Array.isArray(model.layers) || model.layers.length === 0) throw new UserError('the model has no LSTM layers: give at least one hidden size (--layers 128)');
  const bad = model.layers.find((h) => !whole(h));
  if (bad !== undefined) throw new UserError(`layer size ${bad} is not a whole number >= 1 (layers ${model.layers.join(',')})`);
  for (const [name, v] of [['steps', model.steps], ['inputSize', model.inputSize], ['classes', model.classes]] as const) {
    if (!whole(v)) throw new UserError(`model ${name} ${v} is not a whole number >= 1`);
  }
  if (readsTokens(model) && model.inputSize > maxVocabulary) {
    throw new UserError(`a vocabulary of ${model.inputSize} symbols is over the ${maxVocabulary} a token input can hold`);
  }
}

/** Symbols travel as bytes: a token input's vocabulary holds at most 256. */
export const maxVocabulary = 256;

const isImageSet = (set: Dataset): set is ImageSet => !isTokenSet(set);

const isFloatSet = (set: Dataset): boolean => isImageSet(set) && set.pixels instanceof Float32Array;

/** Refuses a dataset that does not fit the model: shape, labels, non-finite float inputs, symbols. */
export function checkDataset(name: string, set: Dataset, m: ModelConfig): void {
  if (isTokenSet(set) !== readsTokens(m)) {
    throw new UserError(`dataset ${name}: ${isTokenSet(set) ? 'a token stream' : 'sequences of values'}, but the model reads ${readsTokens(m) ? 'tokens' : 'values'}`);
  }
  if (isTokenSet(set)) return checkTokenSet(name, set, m);
  if (set.rows !== m.steps || set.cols !== m.inputSize) {
    throw new UserError(`dataset ${name}: images are ${set.rows}x${set.cols}, the model reads ${m.steps} steps of ${m.inputSize} inputs`);
  }
  if (set.count === 0) throw new UserError(`dataset ${name}: no images`);
  if (set.pixels.length !== set.count * set.rows * set.cols) {
    throw new UserError(`dataset ${name}: ${set.pixels.length} values for ${set.count} sequences of ${set.rows} x ${set.cols} (expected ${set.count * set.rows * set.cols})`);
  }
  if (set.labels.length !== set.count) throw new UserError(`dataset ${name}: ${set.labels.length} labels for ${set.count} sequences`);
  if (isFloatSet(set)) {
    const bad = set.pixels.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const n = Math.floor(bad / (set.rows * set.cols));
      const at = bad % (set.rows * set.cols);
      throw new UserError(`dataset ${name}: sequence ${n} holds ${set.pixels[bad]} at timestep ${Math.floor(at / set.cols)}, feature ${at % set.cols}; every input must be a finite number`);
    }
  }
  for (let n = 0; n < set.count; n++) {
    if (set.labels[n] >= m.classes) throw new UserError(`dataset ${name}: label ${set.labels[n]} of image ${n} is not below ${m.classes} classes`);
  }
}

function checkTokenSet(name: string, set: TokenSet, m: ModelConfig): void {
  if (set.rows !== m.steps) throw new UserError(`dataset ${name}: windows of ${set.rows} symbols, the model reads ${m.steps} steps`);
  if (!Number.isInteger(set.count) || set.count < 1) throw new UserError(`dataset ${name}: no windows (it needs at least ${m.steps + 1} symbols)`);
  if (set.tokens.length < set.count * set.rows + 1) {
    throw new UserError(`dataset ${name}: ${set.tokens.length} symbols for ${set.count} windows of ${set.rows} (expected at least ${set.count * set.rows + 1})`);
  }
  const bad = set.tokens.findIndex((v) => v >= m.inputSize);
  if (bad >= 0) throw new UserError(`dataset ${name}: symbol ${set.tokens[bad]} at position ${bad} is not below the vocabulary of ${m.inputSize}`);
}

export async function createPlan(ctx: GpuContext, opts: PlanOptions): Promise<Plan> {
  const { device } = ctx;
  const model = opts.model;
  const L = model.layers.length;
  const tuned = opts.overrides ?? {};
  const scheduler = opts.scheduler ?? defaultScheduler;
  const cells = cellSpecs(scheduler);
  const stateful = opts.stateful ?? false;
  const tokens = readsTokens(model);
  checkLimits(model, opts.batch, device.limits, opts.datasets, tuned, scheduler, stateful);
  for (const [name, set] of Object.entries(opts.datasets)) checkDataset(name, set, model);
  const layout = paramLayout(model);
  const allDims = model.layers.map((_, k) => layerDims(model, opts.batch, k));
  const d = allDims[L - 1];

  const owned: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = ctx.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    owned.push(b);
    return b;
  };
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const sizes = bufferSizes(model, opts.batch);

  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const make = <E>(spec: KernelSpec<E>): Promise<Kernel<E>> => createKernel(device, spec, ctx.shaders, d, tuned[spec.name]);
  const kernels: Kernels = {
    gatherBatch: await make(gatherBatch),
    inputProjection: await make(inputProjection),
    lstmCellForward: await make(cells.forward),
    softmaxCrossEntropy: await make(softmaxCrossEntropy),
    outputWeightGrad: await make(outputWeightGrad),
    lstmCellBackward: await make(cells.backward),
    lstmWeightGrad: await make(lstmWeightGrad),
    ...(L > 1 ? { lstmInputGrad: await make(lstmInputGrad) } : {}),
    ...(Object.values(opts.datasets).some(isFloatSet) ? { gatherSequences: await make(gatherSequences) } : {}),
    ...(tokens ? { gatherTokens: await make(gatherTokens), embeddingGather: await make(embeddingGather), embeddingGrad: await make(embeddingGrad) } : {}),
    ...(stateful ? { carryState: await make(carryState) } : {}),
    gradNorm: await make(gradNorm),
    adam: await make(adam),
  };

  const perLayerSlots = 2 * (scheduler === 'sequence' ? 1 : d.steps) + 3;
  const slots = L * (perLayerSlots + 1) + 6; // + carry per layer, + embedding_grad
  const b = {} as Record<SharedBufferName, GPUBuffer>;
  const layerBuffers = allDims.map(() => ({}) as Record<LayerBufferName, GPUBuffer>);
  for (const [name, size] of Object.entries(sizes)) {
    const perLayer = /^(\w+)\[(\d+)\]$/.exec(name);
    if (perLayer) layerBuffers[Number(perLayer[2])][perLayer[1] as LayerBufferName] = buffer(name, size, STORAGE);
    else b[name as SharedBufferName] = buffer(name, size, STORAGE);
  }
  b.uniforms = buffer('uniforms', slots * uniformSlot, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const placeholder = buffer('placeholder', placeholderBytes, STORAGE);

  // Uniform slots, written once (adam's is rewritten each step with the step counter).
  let nextSlot = 0;
  const uniformsData = new Uint8Array(slots * uniformSlot);
  const slot = (kernel: Kernel<any>, values: Record<string, number>): GPUBufferBinding => {
    const offset = nextSlot++ * uniformSlot;
    uniformsData.set(new Uint8Array(packUniform(kernel, values)), offset);
    return { buffer: b.uniforms, offset, size: kernel.uniform.size };
  };
  const whole = (buf: GPUBuffer): GPUBufferBinding => ({ buffer: buf });
  const block = (buf: GPUBuffer, { offset, length }: Block): GPUBufferBinding => ({ buffer: buf, offset: offset * f32Bytes, size: length * f32Bytes });
  const k = kernels;
  const xh0 = layerBuffers[0].xh;
  const gatherParams = slot(k.gatherBatch, k.gatherBatch.spec.params(allDims[0])); // the same Params in all gathers

  const datasets: Record<string, DatasetOnGpu> = {};
  for (const [name, set] of Object.entries(opts.datasets)) {
    const images = buffer(`${name} images`, packedBytes(datasetBytes(set).byteLength), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    writePadded(device.queue, images, datasetBytes(set));
    if (isTokenSet(set)) {
      const gather = makeBindGroup(device, k.gatherTokens!, allDims[0], {
        params: gatherParams, stream: whole(images), batch_index: whole(b.batchIndex), tokens: whole(b.tokens), labels: whole(b.labels), xh: whole(xh0),
      }, `gather_tokens ${name}`);
      datasets[name] = { set, gather, gatherKernel: k.gatherTokens!, images };
      continue;
    }
    const labels = buffer(`${name} labels`, packedBytes(set.labels.length), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    writePadded(device.queue, labels, set.labels);
    const kernel = isFloatSet(set) ? k.gatherSequences! : k.gatherBatch;
    const gather = makeBindGroup(device, kernel, allDims[0], {
      params: gatherParams, [isFloatSet(set) ? 'values' : 'images']: whole(images), dataset_labels: whole(labels),
      batch_index: whole(b.batchIndex), xh: whole(xh0), labels: whole(b.labels),
    }, `${kernel.spec.name} ${name}`);
    datasets[name] = { set, gather, gatherKernel: kernel, images, labels };
  }

  // The plan is a loop over layers: layer k reads its xh (x columns written by layer k-1's forward cell, or
  // by gather_batch for k = 0), and below the top takes dh from the shared dhIn the layer above writes.
  const layers: LayerPlan[] = allDims.map((ld, layer) => {
    const own = layerBuffers[layer];
    const wBlock = block(b.params, layout.layerBlocks[layer]);
    const above = layer + 1 < L ? layerBuffers[layer + 1].xh : placeholder;
    const name = (kernel: Kernel<any>, t?: number): string => `${kernel.spec.name} layer ${layer}${t === undefined ? '' : ` t=${t}`}`;
    if (layer > 0) device.queue.writeBuffer(own.xh, 0, biasColumn(ld));
    const projection = ld.tokens ? k.embeddingGather! : k.inputProjection;
    return {
      dims: ld,
      block: layout.layerBlocks[layer],
      buffers: own,
      projection,
      groups: {
        inputProjection: makeBindGroup(device, projection, ld, {
          params: slot(projection, projection.spec.params(ld)), w: wBlock, xw: whole(b.xw), ...(ld.tokens ? { tokens: whole(b.tokens) } : { xh: whole(own.xh) }),
        }, name(projection)),
        cellForward: perDispatch(scheduler, ld.steps, (t) => makeBindGroup(device, k.lstmCellForward, ld, {
          params: slot(k.lstmCellForward, k.lstmCellForward.spec.params(ld, { t })),
          w: wBlock, xw: whole(b.xw), xh: whole(own.xh), cs: whole(own.cs), gates: whole(own.gates), x_next: whole(above),
        }, name(k.lstmCellForward, t))),
        cellBackward: perDispatch(scheduler, ld.steps, (t) => makeBindGroup(device, k.lstmCellBackward, ld, {
          params: slot(k.lstmCellBackward, k.lstmCellBackward.spec.params(ld, { t })),
          w: wBlock, w_out: block(b.params, layout.outputBlock), dlogits: whole(b.dlogits), gates: whole(own.gates), cs: whole(own.cs),
          dgates: whole(own.dgates), dc: whole(b.dc), dh_in: whole(layer + 1 < L ? b.dhIn : placeholder),
        }, name(k.lstmCellBackward, t))).reverse(),
        weightGrad: makeBindGroup(device, k.lstmWeightGrad, ld, {
          params: slot(k.lstmWeightGrad, k.lstmWeightGrad.spec.params(ld)),
          xh: whole(own.xh), dgates: whole(own.dgates), dw: block(b.grads, layout.layerBlocks[layer]),
        }, name(k.lstmWeightGrad)),
        inputGrad: layer > 0 && k.lstmInputGrad
          ? makeBindGroup(device, k.lstmInputGrad, ld, {
            params: slot(k.lstmInputGrad, k.lstmInputGrad.spec.params(ld)), w: wBlock, dgates: whole(own.dgates), dx: whole(b.dhIn),
          }, name(k.lstmInputGrad))
          : undefined,
        embeddingGrad: ld.tokens
          ? makeBindGroup(device, k.embeddingGrad!, ld, {
            params: slot(k.embeddingGrad!, k.embeddingGrad!.spec.params(ld)), tokens: whole(b.tokens), dgates: whole(own.dgates), dw: block(b.grads, layout.layerBlocks[layer]),
          }, name(k.embeddingGrad!))
          : undefined,
        carry: stateful
          ? makeBindGroup(device, k.carryState!, ld, {
            params: slot(k.carryState!, k.carryState!.spec.params(ld)), xh: whole(own.xh), cs: whole(own.cs),
          }, name(k.carryState!))
          : undefined,
      },
    };
  });

  const topXh = layerBuffers[L - 1].xh;
  const groups: Plan['groups'] = {
    softmaxCrossEntropy: makeBindGroup(device, k.softmaxCrossEntropy, d, {
      params: slot(k.softmaxCrossEntropy, k.softmaxCrossEntropy.spec.params(d)),
      xh: whole(topXh), w_out: block(b.params, layout.outputBlock), labels: whole(b.labels),
      logits: whole(b.logits), dlogits: whole(b.dlogits), stats: whole(b.stats),
    }, 'softmax_cross_entropy'),
    outputWeightGrad: makeBindGroup(device, k.outputWeightGrad, d, {
      params: slot(k.outputWeightGrad, k.outputWeightGrad.spec.params(d)),
      xh: whole(topXh), dlogits: whole(b.dlogits), dw_out: block(b.grads, layout.outputBlock),
    }, 'output_weight_grad'),
    gradNorm: makeBindGroup(device, k.gradNorm, d, {
      params: slot(k.gradNorm, k.gradNorm.spec.params(d)), grads: whole(b.grads), status: whole(b.status),
    }, 'grad_norm'),
    adam: undefined as unknown as GPUBindGroup,
  };
  const adamSlot = nextSlot * uniformSlot;
  groups.adam = makeBindGroup(device, k.adam, d, {
    params: slot(k.adam, k.adam.spec.params(d, { ...opts.adam, clipNorm: 0, step: 1 })),
    grads: whole(b.grads), weights: whole(b.params), m: whole(b.adamM), v: whole(b.adamV), status: whole(b.status),
  }, 'adam');
  device.queue.writeBuffer(b.uniforms, 0, uniformsData);

  const oom = await device.popErrorScope();
  const invalid = await device.popErrorScope();
  if (oom) throw new UserError(`out of GPU memory while planning ${shapeOf(model, opts.batch)}: ${oom.message}`);
  if (invalid) throw new Error(`GPU validation error while planning: ${invalid.message}`);

  return {
    ctx, scheduler, overrides: tuned, model, dims: d, layout, adamHyper: opts.adam, kernels, layers, stateful, buffers: b, datasets, groups, adamSlot,
    bytes: owned.reduce((sum, x) => sum + x.size, 0),
    destroy: () => owned.forEach((x) => x.destroy()),
  };
}

/**
 * The initial xh of a layer above the first: 1 in the bias column of rows t = 0..T-1 (gather_batch writes
 * layer 0's each step), 0 elsewhere: h_0 stays 0, the rest is written by the cells.
 */
function biasColumn(d: Dims): Float32Array<ArrayBuffer> {
  const width = xhWidth(d);
  const data = new Float32Array((d.steps + 1) * d.batch * width);
  for (let r = 0; r < d.steps * d.batch; r++) data[r * width + width - 1] = 1;
  return data;
}

/** The cell kernels' bind groups: one per timestep t = 0..T-1, or one (t = 0) for the whole sequence. */
function perDispatch(scheduler: Scheduler, steps: number, make: (t: number) => GPUBindGroup): GPUBindGroup[] {
  return Array.from({ length: scheduler === 'sequence' ? 1 : steps }, (_, t) => make(t));
}

/** queue.writeBuffer needs a multiple of 4 bytes: the last partial word goes through a padded copy. */
function writePadded(queue: GPUQueue, target: GPUBuffer, bytes: Uint8Array): void {
  const whole = bytes.length - (bytes.length % 4);
  if (whole > 0) queue.writeBuffer(target, 0, bytes.buffer, bytes.byteOffset, whole);
  if (whole < bytes.length) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole));
    queue.writeBuffer(target, whole, tail);
  }
}

