// The LSTM classifier's configuration and its named parameter tensors.
//
// TensorFlow BasicLSTMCell semantics (gate order i, j, f, o; forget bias added in the forward pass):
//   [i, j, f, o] = split([x_t, h_{t-1}] . W + b, 4)          W: (I+H, 4H), b: (4H)
//   c_t = c_{t-1} * sigmoid(f + forgetBias) + sigmoid(i) * tanh(j)
//   h_t = tanh(c_t) * sigmoid(o)                               h_0 = c_0 = 0
//   logits = h_T . W_out + b_out                               W_out: (H, C), b_out: (C)
//   loss = mean_b softmax_cross_entropy(logits_b, label_b)
//
// Alphabet used everywhere: B batch, T steps, I input, H hidden, C classes, G = 4H gate columns.

export interface ModelConfig {
  /** T: timesteps per sequence (image rows for MNIST). */
  steps: number;
  /** I: input features per timestep (image columns for MNIST). */
  inputSize: number;
  /** H: LSTM units. */
  hidden: number;
  /** C: output classes. */
  classes: number;
  /** Added to the forget gate's pre-activation in the forward pass (TF BasicLSTMCell: 1.0). */
  forgetBias: number;
}

export const referenceModel: ModelConfig = { steps: 28, inputSize: 28, hidden: 128, classes: 10, forgetBias: 1.0 };

/** Parameter tensor names, as written to .safetensors files. Row-major, TF layout. */
export const tensorNames = ['lstm/kernel', 'lstm/bias', 'output/kernel', 'output/bias'] as const;
export type TensorName = (typeof tensorNames)[number];

export function tensorShapes(m: ModelConfig): Record<TensorName, number[]> {
  const g = 4 * m.hidden;
  return {
    'lstm/kernel': [m.inputSize + m.hidden, g],
    'lstm/bias': [g],
    'output/kernel': [m.hidden, m.classes],
    'output/bias': [m.classes],
  };
}

/** A set of parameters (or gradients, or Adam moments) as plain arrays, one per named tensor. */
export type Tensors<A extends Float32Array | Float64Array = Float32Array> = Record<TensorName, A>;

export function tensorSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Where each tensor lives in the one flat float32 parameter buffer on the GPU (gradients and Adam
 * moments mirror it). lstm/bias follows lstm/kernel directly, so the pair reads as one (I+H+1, 4H)
 * matrix whose last row is the bias (the weight-gradient GEMM writes both at once); the same holds for
 * output/kernel + output/bias as an (H+1, C) matrix. The output block starts at a 256-byte boundary so
 * it can be bound on its own. Offsets and sizes are in floats.
 */
export interface ParamLayout {
  offsets: Record<TensorName, number>;
  lstmBlock: { offset: number; length: number };
  outputBlock: { offset: number; length: number };
  /** Total floats in the flat buffer, padding included. */
  length: number;
}

export const bindingAlignFloats = 64; // 256 bytes: WebGPU's default minStorageBufferOffsetAlignment

export function paramLayout(m: ModelConfig): ParamLayout {
  const g = 4 * m.hidden;
  const lstmLength = (m.inputSize + m.hidden + 1) * g;
  const outputOffset = Math.ceil(lstmLength / bindingAlignFloats) * bindingAlignFloats;
  const outputLength = (m.hidden + 1) * m.classes;
  return {
    offsets: {
      'lstm/kernel': 0,
      'lstm/bias': (m.inputSize + m.hidden) * g,
      'output/kernel': outputOffset,
      'output/bias': outputOffset + m.hidden * m.classes,
    },
    lstmBlock: { offset: 0, length: lstmLength },
    outputBlock: { offset: outputOffset, length: outputLength },
    length: Math.ceil((outputOffset + outputLength) / 4) * 4,
  };
}

/** Packs named tensors into one flat buffer laid out by paramLayout (padding zero). */
export function packParams(m: ModelConfig, t: Tensors<Float32Array | Float64Array>): Float32Array<ArrayBuffer> {
  const layout = paramLayout(m);
  const flat = new Float32Array(layout.length);
  const shapes = tensorShapes(m);
  for (const name of tensorNames) {
    const n = tensorSize(shapes[name]);
    if (t[name].length !== n) throw new Error(`tensor ${name}: expected ${n} values, got ${t[name].length}`);
    flat.set(t[name], layout.offsets[name]);
  }
  return flat;
}

/** Splits a flat buffer laid out by paramLayout back into named tensors (copies). */
export function unpackParams(m: ModelConfig, flat: Float32Array): Tensors {
  const layout = paramLayout(m);
  const shapes = tensorShapes(m);
  const out = {} as Tensors;
  for (const name of tensorNames) {
    const o = layout.offsets[name];
    out[name] = flat.slice(o, o + tensorSize(shapes[name]));
  }
  return out;
}
