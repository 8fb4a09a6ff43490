// Our LSTM layer's weights regrouped for the frameworks that store one row per gate unit, as the exporters
// (PyTorch, ONNX, Keras) write them. Ours: lstm_{k}/kernel (I+H, 4H) of rows [x; h], columns in gate blocks
// i, j, f, o; lstm_{k}/bias (4H); the forget bias added to f at run time. Theirs: W_x (4H, I), W_h (4H, H)
// and one bias (4H), their rows in the framework's gate order, our forget bias folded into its f rows.
import { type ModelConfig, type Tensors, layerInput, layerTensorNames } from '../train/model.ts';

/** Where each of our gates (i, j, f, o) goes in a framework's order: `position[q]` is our gate q's block. */
export type GatePositions = readonly [number, number, number, number];

/** Layer k as (4H, I) input rows, (4H, H) recurrent rows and a (4H) bias, gate blocks at `position`. */
export function gateRows(m: ModelConfig, p: Tensors, k: number, position: GatePositions): { wx: Float32Array; wh: Float32Array; bias: Float32Array } {
  const H = m.layers[k];
  const I = layerInput(m, k);
  const G = 4 * H;
  const kernel = p[layerTensorNames(k).kernel];
  const ours = p[layerTensorNames(k).bias];
  const wx = new Float32Array(G * I);
  const wh = new Float32Array(G * H);
  const bias = new Float32Array(G);
  for (let q = 0; q < 4; q++) {
    for (let u = 0; u < H; u++) {
      const column = q * H + u;
      const row = position[q] * H + u;
      for (let i = 0; i < I; i++) wx[row * I + i] = kernel[i * G + column];
      for (let h = 0; h < H; h++) wh[row * H + h] = kernel[(I + h) * G + column];
      bias[row] = ours[column] + (q === 2 ? m.forgetBias : 0);
    }
  }
  return { wx, wh, bias };
}

/** A (rows, cols) row-major matrix transposed: (cols, rows). */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * The inverse, for importers: gate rows wx (4H, I), wh (4H, H) and bias (4H) at `position` as our layer
 * kernel (I+H, 4H) and bias (4H). No forget bias is taken out: the imported model runs with forgetBias 0.
 */
export function fromGateRows(wx: ArrayLike<number>, wh: ArrayLike<number>, bias: ArrayLike<number>, I: number, H: number, position: GatePositions): { kernel: Float32Array; bias: Float32Array } {
  const G = 4 * H;
  const kernel = new Float32Array((I + H) * G);
  const ours = new Float32Array(G);
  for (let q = 0; q < 4; q++) {
    for (let u = 0; u < H; u++) {
      const column = q * H + u;
      const row = position[q] * H + u;
      for (let i = 0; i < I; i++) kernel[i * G + column] = wx[row * I + i];
      for (let h = 0; h < H; h++) kernel[(I + h) * G + column] = wh[row * H + h];
      ours[column] = bias[row];
    }
  }
  return { kernel, bias: ours };
}
