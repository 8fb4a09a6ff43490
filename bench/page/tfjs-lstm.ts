// The competitor: the model a TensorFlow.js user would write for the same workload, timed on one tfjs
// backend (webgpu, wasm, cpu or webgl) in this page.
//   tf.layers.lstm (H units, input (T, I); a stack returns sequences below the top), unitForgetBias: the forget gate starts at bias 1 like TF's
//   BasicLSTMCell forget_bias, sigmoid recurrent activation) -> tf.layers.dense (C) -> softmax
//   cross-entropy from logits, mean over the batch; tf.train.adam(lr) by optimizer.minimize on one fixed
//   batch tensor. Each timed step ends by reading the loss (await cost.data()), which waits for the device.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { syntheticSet } from '../ours.ts';
import { type GpuCallCounts, type RawRun, type RunSpec, type TfjsProgress, layersOf } from '../workload.ts';

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

export async function timeTfjs(backend: TfjsBackend, spec: RunSpec, counts: GpuCallCounts): Promise<RawRun> {
  const info = await useBackend(backend);
  // Each finished step, where the runner can read it when it stops a run at its time cap.
  const progress: TfjsProgress = { warmupMs: [], stepMs: [] };
  (globalThis as { __benchProgress?: TfjsProgress }).__benchProgress = progress;
  const { batch: B, steps: T, input: I, classes: C } = spec.shape;
  const t0 = performance.now();
  const set = syntheticSet(spec.shape, B, spec.seed);
  const x = tf.tensor3d(Float32Array.from(set.pixels, (p) => p / 255), [B, T, I]);
  const labels = tf.tensor1d(Int32Array.from(set.labels), 'int32');
  const y = tf.tidy(() => tf.oneHot(labels, C).toFloat());
  const stack = layersOf(spec.shape);
  const model = tf.sequential({
    layers: [
      // A stack as Keras builds one: every layer but the top returns its whole sequence.
      ...stack.map((units, k) => tf.layers.lstm({
        units,
        ...(k === 0 ? { inputShape: [T, I] } : {}),
        returnSequences: k < stack.length - 1,
        unitForgetBias: true,
        recurrentActivation: 'sigmoid',
        // glorot instead of Keras's orthogonal default: same speed per step, and no QR of a (H, 4H)
        // matrix at build time (tfjs warns it is slow).
        recurrentInitializer: 'glorotUniform',
      })),
      tf.layers.dense({ units: C }),
    ],
  });
  const optimizer = tf.train.adam(spec.lr, 0.9, 0.999, 1e-8);
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
    tf.dispose([x, labels, y]);
  }
}
