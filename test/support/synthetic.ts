// Test data and checks that run anywhere (Node or the browser): odd shapes, synthetic image sets, and
// the oracle's view of the same minibatch.
import type { ImageSet } from '../../src/data/dataset.ts';
import type { ModelConfig } from '../../src/train/model.ts';
import { createRng } from '../../src/train/rng.ts';

/** B=3, T=5, I=7, H=9, C=11: no size a multiple of any workgroup or register block. */
export const oddModel: ModelConfig = { steps: 5, inputSize: 7, layers: [9], classes: 11, forgetBias: 1.0 };
export const oddBatch = 3;

export function syntheticImages(count: number, m: ModelConfig, seed: number): ImageSet {
  const rng = createRng(seed);
  const pixels = new Uint8Array(count * m.steps * m.inputSize);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = rng.int(m.classes);
  return { count, rows: m.steps, cols: m.inputSize, pixels, labels };
}

/** The minibatch as the oracle takes it: x (T, B, I) scaled to [0, 1], and labels. */
export function oracleBatch(set: ImageSet, indices: ArrayLike<number>): { x: Float64Array; labels: number[] } {
  const T = set.rows;
  const I = set.cols;
  const B = indices.length;
  const x = new Float64Array(T * B * I);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < I; k++) {
        const v = set.pixels[indices[b] * T * I + t * I + k];
        x[(t * B + b) * I + k] = set.pixels instanceof Float32Array ? v : Math.fround(v / 255); // floats as given, bytes scaled
      }
    }
  }
  return { x, labels: Array.from(indices, (n) => set.labels[n]) };
}

/** Asserts |gpu - ref| <= atol + rtol*|ref| elementwise; the message names the worst element. */
export function assertClose(what: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number): void {
  if (gpu.length !== ref.length) throw new Error(`${what}: length ${gpu.length}, expected ${ref.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(gpu[i] - ref[i]) - (atol + rtol * Math.abs(ref[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}: element ${worst} is ${gpu[worst]}, reference ${ref[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}
