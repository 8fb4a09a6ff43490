// Plan once: every buffer, pipeline and bind group of a training run, created before the first step.
// Nothing here is created again while training; step.ts only encodes dispatches over what is planned.
import type { ImageSet } from '../data/dataset.ts';
import { type Kernel, createKernel, makeBindGroup, packUniform } from '../gpu/kernel.ts';
import type { GpuContext } from '../gpu/device.ts';
import { type AdamHyper, type AdamStep, adam, paramFloats } from '../kernels/adam.ts';
import { gradNorm, statusBytes } from '../kernels/grad_norm.ts';
import { type Dims, type KernelSpec, type Overrides, f32Bytes, packedBytes, xhWidth } from '../kernels/dims.ts';
import { gatherBatch } from '../kernels/gather_batch.ts';
import { inputProjection } from '../kernels/input_projection.ts';
import { lstmCellBackward, lstmSequenceBackward } from '../kernels/lstm_cell_backward.ts';
import { lstmCellForward, lstmSequenceForward } from '../kernels/lstm_cell_forward.ts';
import { lstmWeightGrad } from '../kernels/lstm_weight_grad.ts';
import { outputWeightGrad } from '../kernels/output_weight_grad.ts';
import { softmaxCrossEntropy } from '../kernels/softmax_cross_entropy.ts';
import { UserError } from '../user-error.ts';
import { type ModelConfig, type ParamLayout, paramLayout } from './model.ts';

export interface PlanOptions {
  model: ModelConfig;
  batch: number;
  adam: AdamHyper;
  /** Image sets to upload once, by name ('train', 'test', ...). */
  datasets: Record<string, ImageSet>;
  /** Override constants (workgroup sizes) per kernel name (planSpecs), for tuning; each kernel's defaults
   *  otherwise. A name the scheduler's plan lacks is refused. */
  overrides?: KernelOverrides;
  /** How the recurrence is dispatched (default: defaultScheduler). */
  scheduler?: Scheduler;
}

/**
 * 'timestep': one dispatch per timestep forward and backward (2T + 7 a training step; the grid spreads
 * every timestep over all units). 'sequence': one dispatch runs all T timesteps forward, one backward
 * (9 a step); each workgroup owns whole batch rows and steps through t behind a storage barrier.
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

/** Every kernel of a plan under a scheduler, in encoding order: the names its overrides may key. */
export function planSpecs(scheduler: Scheduler): KernelSpec<any>[] {
  const cells = cellSpecs(scheduler);
  return [gatherBatch, inputProjection, cells.forward, softmaxCrossEntropy, outputWeightGrad, cells.backward, lstmWeightGrad, gradNorm, adam];
}

export type KernelOverrides = Partial<Record<string, Overrides>>;

export interface DatasetOnGpu {
  set: ImageSet;
  gather: GPUBindGroup;
  images: GPUBuffer;
  labels: GPUBuffer;
}

export interface Kernels {
  gatherBatch: Kernel;
  inputProjection: Kernel;
  /** The cell kernels of the plan's scheduler (their params take { t } per timestep, or nothing). */
  lstmCellForward: Kernel<any>;
  softmaxCrossEntropy: Kernel;
  outputWeightGrad: Kernel;
  lstmCellBackward: Kernel<any>;
  lstmWeightGrad: Kernel;
  gradNorm: Kernel;
  adam: Kernel<AdamStep>;
}

export interface Plan {
  ctx: GpuContext;
  scheduler: Scheduler;
  /** The override constants the plan was made with (its kernels' defaults fill in the rest). */
  overrides: KernelOverrides;
  model: ModelConfig;
  dims: Dims;
  layout: ParamLayout;
  adamHyper: AdamHyper;
  kernels: Kernels;
  buffers: Record<BufferName, GPUBuffer>;
  datasets: Record<string, DatasetOnGpu>;
  groups: {
    inputProjection: GPUBindGroup;
    /** One bind group per dispatch, in encoding order: T (t = 0..T-1) or 1. */
    lstmCellForward: GPUBindGroup[];
    softmaxCrossEntropy: GPUBindGroup;
    outputWeightGrad: GPUBindGroup;
    /** One bind group per dispatch, in encoding order: T (t = T-1..0) or 1. */
    lstmCellBackward: GPUBindGroup[];
    lstmWeightGrad: GPUBindGroup;
    gradNorm: GPUBindGroup;
    adam: GPUBindGroup;
  };
  /** Byte offset of the adam uniform slot, rewritten each step with the step counter. */
  adamSlot: number;
  /** Total bytes of GPU buffers this plan owns. */
  bytes: number;
  destroy(): void;
}

type BufferName =
  | 'params' | 'grads' | 'adamM' | 'adamV' | 'uniforms' | 'batchIndex' | 'xh' | 'xw' | 'gates' | 'cs'
  | 'labels' | 'logits' | 'dlogits' | 'stats' | 'dgates' | 'dc' | 'status';

const uniformSlot = 256; // minUniformBufferOffsetAlignment

export function dimsOf(model: ModelConfig, batch: number): Dims {
  return { batch, steps: model.steps, input: model.inputSize, hidden: model.hidden, classes: model.classes, forgetBias: model.forgetBias };
}

/** Sizes in bytes of the buffers a plan allocates (datasets aside). */
export function bufferSizes(d: Dims): Record<Exclude<BufferName, 'uniforms'>, number> {
  const params = paramFloats(d) * f32Bytes;
  const gatesBytes = d.steps * d.batch * 4 * d.hidden * f32Bytes;
  return {
    params, grads: params, adamM: params, adamV: params,
    batchIndex: d.batch * 4,
    xh: (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
    xw: gatesBytes, gates: gatesBytes, dgates: gatesBytes,
    cs: (d.steps + 1) * d.batch * d.hidden * f32Bytes,
    labels: d.batch * 4,
    logits: d.batch * d.classes * f32Bytes,
    dlogits: d.batch * d.classes * f32Bytes,
    stats: d.batch * 2 * f32Bytes,
    dc: d.batch * d.hidden * f32Bytes,
    status: statusBytes,
  };
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * Refuses, before any GPU work, an override for a kernel the scheduler's plan does not have (naming the
 * kernels it has), and a size that exceeds one of the device's limits (naming the limit and the numbers).
 */
export function checkLimits(
  d: Dims, limits: GPUSupportedLimits, datasets: Record<string, ImageSet> = {}, overrides: KernelOverrides = {}, scheduler: Scheduler = defaultScheduler,
): void {
  const specs = planSpecs(scheduler);
  const names = specs.map((spec) => spec.name);
  for (const name of Object.keys(overrides)) {
    if (!names.includes(name)) {
      throw new UserError(`workgroup overrides: no kernel ${name} in a '${scheduler}' plan; its kernels are ${names.join(', ')}`);
    }
  }
  const shape = `B=${d.batch} T=${d.steps} I=${d.input} H=${d.hidden} C=${d.classes}`;
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const sizes: Record<string, number> = { ...bufferSizes(d) };
  for (const [name, set] of Object.entries(datasets)) sizes[`${name} images`] = packedBytes(set.pixels.length);
  const fits = (batch: number): boolean => Object.values(bufferSizes({ ...d, batch })).every((bytes) => bytes <= maxBinding);
  for (const [name, bytes] of Object.entries(sizes)) {
    if (bytes > maxBinding) {
      // The per-step buffers grow with the batch (a dataset does not): say the largest batch that fits.
      let batch = d.batch - 1;
      while (batch > 0 && !fits(batch)) batch -= 1;
      const fix = name.endsWith(' images') || batch < 1
        ? 'Use a smaller batch, hidden size or sequence.'
        : `At T=${d.steps} H=${d.hidden} a batch of at most ${batch} fits; or use a smaller hidden size or sequence.`;
      throw new UserError(`${shape}: buffer ${name} needs ${mib(bytes)}, over this device's maxStorageBufferBindingSize of ${mib(maxBinding)}. ${fix}`);
    }
  }
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  for (const spec of specs) {
    const values = { ...spec.overrides, ...overrides[spec.name] };
    const grid = spec.workgroups(d, values);
    const size = Object.values(values).reduce((a, b) => a * b, 1);
    if (size > limits.maxComputeInvocationsPerWorkgroup) {
      throw new UserError(`kernel ${spec.name}: workgroup of ${size} invocations, over this device's maxComputeInvocationsPerWorkgroup of ${limits.maxComputeInvocationsPerWorkgroup}`);
    }
    if (grid.some((g) => g > maxGroups)) {
      throw new UserError(
        `${shape}: kernel ${spec.name} needs ${grid.join(' x ')} workgroups, over this device's ` +
          `maxComputeWorkgroupsPerDimension of ${maxGroups}. Use a smaller batch or sequence.`,
      );
    }
  }
}

function checkDataset(name: string, set: ImageSet, m: ModelConfig): void {
  if (set.rows !== m.steps || set.cols !== m.inputSize) {
    throw new UserError(`dataset ${name}: images are ${set.rows}x${set.cols}, the model reads ${m.steps} steps of ${m.inputSize} inputs`);
  }
  if (set.count === 0) throw new UserError(`dataset ${name}: no images`);
  for (let n = 0; n < set.count; n++) {
    if (set.labels[n] >= m.classes) throw new UserError(`dataset ${name}: label ${set.labels[n]} of image ${n} is not below ${m.classes} classes`);
  }
}

export async function createPlan(ctx: GpuContext, opts: PlanOptions): Promise<Plan> {
  const { device } = ctx;
  const d = dimsOf(opts.model, opts.batch);
  const tuned = opts.overrides ?? {};
  const scheduler = opts.scheduler ?? defaultScheduler;
  const cells = cellSpecs(scheduler);
  checkLimits(d, device.limits, opts.datasets, tuned, scheduler);
  for (const [name, set] of Object.entries(opts.datasets)) checkDataset(name, set, opts.model);
  const layout = paramLayout(opts.model);

  const owned: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = ctx.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    owned.push(b);
    return b;
  };
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const sizes = bufferSizes(d);

  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const kernels: Kernels = {
    gatherBatch: await createKernel(device, gatherBatch, ctx.shaders, d, tuned[gatherBatch.name]),
    inputProjection: await createKernel(device, inputProjection, ctx.shaders, d, tuned[inputProjection.name]),
    lstmCellForward: await createKernel(device, cells.forward, ctx.shaders, d, tuned[cells.forward.name]),
    softmaxCrossEntropy: await createKernel(device, softmaxCrossEntropy, ctx.shaders, d, tuned[softmaxCrossEntropy.name]),
    outputWeightGrad: await createKernel(device, outputWeightGrad, ctx.shaders, d, tuned[outputWeightGrad.name]),
    lstmCellBackward: await createKernel(device, cells.backward, ctx.shaders, d, tuned[cells.backward.name]),
    lstmWeightGrad: await createKernel(device, lstmWeightGrad, ctx.shaders, d, tuned[lstmWeightGrad.name]),
    gradNorm: await createKernel(device, gradNorm, ctx.shaders, d, tuned[gradNorm.name]),
    adam: await createKernel(device, adam, ctx.shaders, d, tuned[adam.name]),
  };

  const slots = 2 * d.steps + 7;
  const b = {} as Record<BufferName, GPUBuffer>;
  for (const [name, size] of Object.entries(sizes)) b[name as BufferName] = buffer(name, size, STORAGE);
  b.uniforms = buffer('uniforms', slots * uniformSlot, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);

  // Uniform slots, written once (adam's is rewritten each step with the step counter).
  let nextSlot = 0;
  const uniformsData = new Uint8Array(slots * uniformSlot);
  const slot = (kernel: Kernel<any>, values: Record<string, number>): GPUBufferBinding => {
    const offset = nextSlot++ * uniformSlot;
    uniformsData.set(new Uint8Array(packUniform(kernel, values)), offset);
    return { buffer: b.uniforms, offset, size: kernel.uniform.size };
  };
  const whole = (buf: GPUBuffer): GPUBufferBinding => ({ buffer: buf });
  const lstmBlock = (buf: GPUBuffer): GPUBufferBinding => ({ buffer: buf, offset: 0, size: layout.lstmBlock.length * f32Bytes });
  const outputBlock = (buf: GPUBuffer): GPUBufferBinding => ({
    buffer: buf,
    offset: layout.outputBlock.offset * f32Bytes,
    size: layout.outputBlock.length * f32Bytes,
  });
  const k = kernels;
  const gatherParams = slot(k.gatherBatch, k.gatherBatch.spec.params(d));

  const datasets: Record<string, DatasetOnGpu> = {};
  for (const [name, set] of Object.entries(opts.datasets)) {
    const images = buffer(`${name} images`, packedBytes(set.pixels.length), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    const labels = buffer(`${name} labels`, packedBytes(set.labels.length), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    writePadded(device.queue, images, set.pixels);
    writePadded(device.queue, labels, set.labels);
    const gather = makeBindGroup(device, k.gatherBatch, d, {
      params: gatherParams, images: whole(images), dataset_labels: whole(labels),
      batch_index: whole(b.batchIndex), xh: whole(b.xh), labels: whole(b.labels),
    }, `gather_batch ${name}`);
    datasets[name] = { set, gather, images, labels };
  }

  const groups: Plan['groups'] = {
    inputProjection: makeBindGroup(device, k.inputProjection, d, {
      params: slot(k.inputProjection, k.inputProjection.spec.params(d)),
      xh: whole(b.xh), w: lstmBlock(b.params), xw: whole(b.xw),
    }, 'input_projection'),
    lstmCellForward: perDispatch(scheduler, d.steps, (t) =>
      makeBindGroup(device, k.lstmCellForward, d, {
        params: slot(k.lstmCellForward, k.lstmCellForward.spec.params(d, { t })),
        w: lstmBlock(b.params), xw: whole(b.xw), xh: whole(b.xh), cs: whole(b.cs), gates: whole(b.gates),
      }, `${k.lstmCellForward.spec.name} t=${t}`)),
    softmaxCrossEntropy: makeBindGroup(device, k.softmaxCrossEntropy, d, {
      params: slot(k.softmaxCrossEntropy, k.softmaxCrossEntropy.spec.params(d)),
      xh: whole(b.xh), w_out: outputBlock(b.params), labels: whole(b.labels),
      logits: whole(b.logits), dlogits: whole(b.dlogits), stats: whole(b.stats),
    }, 'softmax_cross_entropy'),
    outputWeightGrad: makeBindGroup(device, k.outputWeightGrad, d, {
      params: slot(k.outputWeightGrad, k.outputWeightGrad.spec.params(d)),
      xh: whole(b.xh), dlogits: whole(b.dlogits), dw_out: outputBlock(b.grads),
    }, 'output_weight_grad'),
    lstmCellBackward: perDispatch(scheduler, d.steps, (t) =>
      makeBindGroup(device, k.lstmCellBackward, d, {
        params: slot(k.lstmCellBackward, k.lstmCellBackward.spec.params(d, { t })),
        w: lstmBlock(b.params), w_out: outputBlock(b.params), dlogits: whole(b.dlogits),
        gates: whole(b.gates), cs: whole(b.cs), dgates: whole(b.dgates), dc: whole(b.dc),
      }, `${k.lstmCellBackward.spec.name} t=${t}`)).reverse(),
    lstmWeightGrad: makeBindGroup(device, k.lstmWeightGrad, d, {
      params: slot(k.lstmWeightGrad, k.lstmWeightGrad.spec.params(d)),
      xh: whole(b.xh), dgates: whole(b.dgates), dw: lstmBlock(b.grads),
    }, 'lstm_weight_grad'),
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
  if (oom) throw new UserError(`out of GPU memory while planning B=${d.batch} H=${d.hidden} T=${d.steps}: ${oom.message}`);
  if (invalid) throw new Error(`GPU validation error while planning: ${invalid.message}`);

  return {
    ctx, scheduler, overrides: tuned, model: opts.model, dims: d, layout, adamHyper: opts.adam, kernels, buffers: b, datasets, groups, adamSlot,
    bytes: owned.reduce((sum, x) => sum + x.size, 0),
    destroy: () => owned.forEach((x) => x.destroy()),
  };
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

