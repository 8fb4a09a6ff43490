// One image at a time through the same forward kernels (the page's drawing canvas): a plan with B=1 and
// a one-image dataset whose bytes are rewritten per call. Before each pass the parameters are copied
// GPU-to-GPU from a source buffer (a training plan's params, same layout); nothing is read back but the
// logits (B=1, C) and the top layer's hidden states h_1..h_T, which live in its xh ((T+1), B, I+H+1):
// slice t holds [x_t, h_t, 1], so h_t is columns I..I+H-1 of slices 1..T (I: that layer's input width).
// Softmax runs on the CPU over the C logits.
import type { GpuContext } from '../gpu/device.ts';
import { f32Bytes, packedBytes, xhWidth } from '../kernels/dims.ts';
import { type ModelConfig, topHidden } from './model.ts';
import { type Plan, createPlan } from './plan.ts';
import { encodeForward } from './step.ts';

export interface Prediction {
  /** softmax(logits), C values summing to 1. */
  probabilities: number[];
  logits: Float32Array;
  /** h_t for t = 1..T, (T, H) row-major. */
  hidden: Float32Array;
}

export interface Predictor {
  plan: Plan;
  /** `pixels`: T*I bytes (0..255), the image row by row. `params`: a buffer laid out as this model's. */
  predict(pixels: Uint8Array, params: GPUBuffer): Promise<Prediction>;
  destroy(): void;
}

/** Probabilities from logits, in float64, stable for large logits. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const unusedAdam = { lr: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }; // planned, never dispatched

export async function createPredictor(ctx: GpuContext, model: ModelConfig): Promise<Predictor> {
  const { device } = ctx;
  const T = model.steps;
  const I = model.inputSize;
  const H = topHidden(model);
  const C = model.classes;
  const image = { count: 1, rows: T, cols: I, pixels: new Uint8Array(T * I), labels: new Uint8Array(1) };
  const plan = await createPlan(ctx, { model, batch: 1, adam: unusedAdam, datasets: { image } });
  const width = xhWidth(plan.dims); // the top layer's xh: its x is the layer below's h, or the image
  const topXh = plan.layers[plan.layers.length - 1].buffers.xh;
  const logitsBytes = C * f32Bytes;
  const xhBytes = (T + 1) * width * f32Bytes;
  const staging = ctx.createBuffer({ label: 'predict readback', size: logitsBytes + xhBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const upload = new Uint8Array(packedBytes(T * I));
  device.queue.writeBuffer(plan.buffers.batchIndex, 0, new Uint32Array([0]));
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (pixels: Uint8Array, params: GPUBuffer): Promise<Prediction> => {
    if (pixels.length !== T * I) throw new Error(`predict: ${pixels.length} pixels, the model reads ${T}x${I}`);
    if (params.size !== plan.buffers.params.size) {
      throw new Error(`predict: parameter buffer of ${params.size} bytes, this model's holds ${plan.buffers.params.size}`);
    }
    upload.set(pixels);
    device.queue.writeBuffer(plan.datasets.image.images, 0, upload);
    const encoder = device.createCommandEncoder({ label: 'predict' });
    encoder.copyBufferToBuffer(params, 0, plan.buffers.params, 0, params.size);
    const pass = encoder.beginComputePass({ label: 'predict forward' });
    encodeForward(plan, pass, 'image', { dispatches: 0 });
    pass.end();
    encoder.copyBufferToBuffer(plan.buffers.logits, 0, staging, 0, logitsBytes);
    encoder.copyBufferToBuffer(topXh, 0, staging, logitsBytes, xhBytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    const failure = ctx.failure();
    if (failure) throw failure;
    const logits = all.slice(0, C);
    const xh = all.subarray(C);
    const hidden = new Float32Array(T * H);
    const x = width - H - 1; // the top layer's input width
    for (let t = 1; t <= T; t++) hidden.set(xh.subarray(t * width + x, t * width + x + H), (t - 1) * H);
    return { probabilities: softmax(logits), logits, hidden };
  };

  return {
    plan,
    predict(pixels, params) {
      // One at a time: the staging buffer cannot take a copy while it is mapped.
      const result = queue.then(() => run(pixels, params));
      queue = result.catch(() => undefined);
      return result;
    },
    destroy() {
      staging.destroy();
      plan.destroy();
    },
  };
}
