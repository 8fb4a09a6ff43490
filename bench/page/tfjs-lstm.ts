// The competitor: the model a TensorFlow.js user would write for the same workload, timed on one tfjs
// backend (webgpu, wasm, cpu or webgl) in this page.
//   tf.layers.lstm (H units, input (T, I); a stack returns sequences below the top), unitForgetBias: the forget gate starts at bias 1 like TF's
//   BasicLSTMCell forget_bias, sigmoid recurrent activation) -> tf.layers.dense (C) -> softmax
//   cross-entropy from logits, mean over the batch; tf.train.adam(lr) by optimizer.minimize on one fixed
//   batch tensor. Each timed step ends by reading the loss (await cost.data()), which waits for the device.
// A language model (shape.lm, the char-LM section): one-hot inputs (B, T, V) float32 (ours reads row x_t
// of W_x instead of multiplying them), every layer returnSequences, tf.layers.timeDistributed(dense(V))
// on every step, softmax cross-entropy against the one-hot next symbols, mean over B*T; the rest the same.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { syntheticSet, syntheticTokens } from '../ours.ts';
import { type GpuCallCounts, type RawRun, type RunSpec, type Shape, type TfjsProgress, layersOf } from '../workload.ts';

export type TfjsBackend = 'webgpu' | 'wasm' | 'cpu' | 'webgl';

async function useBackend(backend: TfjsBackend): Promise<Record<string, unknown>> {
  if (backend === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
    });
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise in this browser`);
  await tf.ready();
  const info: Record<string, unknown> = { tfjsVersion: tf.version.tfjs, backend: tf.getBackend() };
  if (backend === 'wasm') {
    info.wasmSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.wasmMultithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.crossOriginIsolated = globalThis.crossOriginIsolated === true;
    info.hardwareConcurrency = navigator.hardwareConcurrency;
  }
  if (backend === 'webgpu') {
    info.deferredSubmitBatchSize = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    const adapterInfo = (tf.backend() as unknown as { adapterInfo?: Record<string, unknown> }).adapterInfo;
    if (adapterInfo) info.adapterInfo = { ...adapterInfo };
  }
  return info;
}

/** One LSTM layer of a stack, as Keras builds one; returnSequences below the top (or everywhere). */
function lstmLayer(units: number, returnSequences: boolean, inputShape?: number[]): tf.layers.Layer {
  return tf.layers.lstm({
    units,
    ...(inputShape ? { inputShape } : {}),
    returnSequences,
    unitForgetBias: true,
    recurrentActivation: 'sigmoid',
    // glorot instead of Keras's orthogonal default: same speed per step, and no QR of a (H, 4H)
    // matrix at build time (tfjs warns it is slow).
    recurrentInitializer: 'glorotUniform',
  });
}

interface Built {
  x: tf.Tensor;
  y: tf.Tensor;
  model: tf.Sequential;
}

/** The classifier: images (B, T, I) scaled to [0, 1], a stack whose top returns h_T, dense(C) on it. */
function classifier(s: Shape, seed: number): Built {
  const { batch: B, steps: T, input: I, classes: C } = s;
  const set = syntheticSet(s, B, seed);
  const x = tf.tensor3d(Float32Array.from(set.pixels, (p) => p / 255), [B, T, I]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(set.labels), 'int32'), C).toFloat());
  const stack = layersOf(s);
  const model = tf.sequential({
    layers: [
      // A stack as Keras builds one: every layer but the top returns its whole sequence.
      ...stack.map((units, k) => lstmLayer(units, k < stack.length - 1, k === 0 ? [T, I] : undefined)),
      tf.layers.dense({ units: C }),
    ],
  });
  return { x, y, model };
}

/** The language model: B windows of T symbols as one-hot (B, T, V), the next symbols as one-hot targets
 *  (B, T, V), every layer returning its sequence, timeDistributed(dense(V)) at every step. */
function lmModel(s: Shape, seed: number): Built {
  const { batch: B, steps: T, input: V } = s;
  const set = syntheticTokens(s, B, seed);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = set.tokens[b * T + t];
      targets[b * T + t] = set.tokens[b * T + t + 1];
    }
  }
  const x = tf.tidy(() => tf.oneHot(tf.tensor2d(inputs, [B, T], 'int32'), V).toFloat());
  const y = tf.tidy(() => tf.oneHot(tf.tensor2d(targets, [B, T], 'int32'), V).toFloat());
  const stack = layersOf(s);
  const model = tf.sequential({
    layers: [
      ...stack.map((units, k) => lstmLayer(units, true, k === 0 ? [T, V] : undefined)),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: V }) }),
    ],
  });
  return { x, y, model };
}

export async function timeTfjs(backend: TfjsBackend, spec: RunSpec, counts: GpuCallCounts): Promise<RawRun> {
  const info = await useBackend(backend);
  // Each finished step, where the runner can read it when it stops a run at its time cap.
  const progress: TfjsProgress = { warmupMs: [], stepMs: [] };
  (globalThis as { __benchProgress?: TfjsProgress }).__benchProgress = progress;
  const t0 = performance.now();
  const { x, y, model } = spec.shape.lm ? lmModel(spec.shape, spec.seed) : classifier(spec.shape, spec.seed);
  const optimizer = tf.train.adam(spec.lr, 0.9, 0.999, 1e-8);
  // A language model's logits (B, T, V) against its one-hot targets: the mean over the B*T predictions.
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const step = async (): Promise<void> => {
    const cost = optimizer.minimize(loss, true);
    if (!cost) throw new Error('optimizer.minimize returned no cost');
    const value = (await cost.data())[0];
    cost.dispose();
    if (!Number.isFinite(value)) throw new Error(`tfjs ${backend}: loss is ${value}`);
  };
  try {
    await tf.nextFrame();
    const setupMs = performance.now() - t0;
    let firstStepMs: number | null = null;
    let peakBytes: number | undefined;
    let peakBytesSource: string | undefined;
    let kernelsPerStep: number | undefined;
    for (let i = 0; i < spec.warmup; i++) {
      const w0 = performance.now();
      if (i === 0 && backend !== 'webgpu') {
        // tf.profile on the first warm-up step: peak tensor bytes and kernels per step. Not on webgpu,
        // where profiling times every kernel (its memory comes from the buffer manager below).
        const profile = await tf.profile(step);
        peakBytes = profile.peakBytes;
        peakBytesSource = 'tf.profile(step).peakBytes: peak bytes of live tensors during one training step';
        kernelsPerStep = profile.kernels.length;
      } else {
        await step();
      }
      if (i === 0) firstStepMs = performance.now() - w0;
      progress.warmupMs.push(performance.now() - w0);
    }
    const before = { ...counts };
    const stepMs: number[] = [];
    for (let i = 0; i < spec.steps; i++) {
      const s0 = performance.now();
      await step();
      stepMs.push(performance.now() - s0);
      progress.stepMs.push(stepMs[i]);
    }
    const memory = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
    if (backend === 'webgpu' && memory.numBytesAllocatedInGPU !== undefined) {
      peakBytes = memory.numBytesAllocatedInGPU;
      peakBytesSource = 'tf.memory().numBytesAllocatedInGPU: GPU buffers the webgpu backend holds (its pool never shrinks, so its peak)';
    }
    const gpu = backend === 'webgpu' && spec.steps > 0;
    return {
      stepMs, setupMs, firstStepMs,
      dispatchesPerStep: gpu ? (counts.dispatches - before.dispatches) / spec.steps : null,
      submitsPerStep: gpu ? (counts.submits - before.submits) / spec.steps : null,
      ...(peakBytes !== undefined ? { peakBytes, peakBytesSource } : {}),
      info: { ...info, ...(kernelsPerStep !== undefined ? { kernelsPerStep } : {}), tensorsAfter: memory.numTensors, tensorBytesAfter: memory.numBytes },
    };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}
