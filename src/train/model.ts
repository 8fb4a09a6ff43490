// The LSTM classifier's configuration and its named parameter tensors: a stack of LSTM layers and a
// dense + softmax head on the top layer's last h.
//
// A language model (input 'tokens', outputs 'every') reads one symbol per step, x_t = onehot(token_t), and
// puts the head on every step: logits_t = h_t . W_out + b_out, loss = mean over B*T (reference/lstm-lm.ts).
//
// TensorFlow BasicLSTMCell semantics per layer k (gate order i, j, f, o; forget bias added in the forward pass):
//   [i, j, f, o] = split([x_t, h_{t-1}] . W_k + b_k, 4)        W_k: (I_k+H_k, 4H_k), b_k: (4H_k)
//   c_t = c_{t-1} * sigmoid(f + forgetBias) + sigmoid(i) * tanh(j)
//   h_t = tanh(c_t) * sigmoid(o)                               h_0 = c_0 = 0
//   x_t of layer 0 is the input; x_t of layer k > 0 is layer k-1's h_t (so I_k = H_{k-1})
//   logits = h_T . W_out + b_out                               W_out: (H_top, C), b_out: (C)
//   loss = mean_b softmax_cross_entropy(logits_b, label_b)
//
// Alphabet used everywhere: B batch, T steps, I input, H hidden, C classes, G = 4H gate columns, L layers.

export interface ModelConfig {
  /** T: timesteps per sequence (image rows for MNIST). */
  steps: number;
  /** I: input features per timestep of layer 0 (image columns for MNIST). */
  inputSize: number;
  /** H of each LSTM layer, bottom first: [128] is one layer of 128 units, [128, 64] two. */
  layers: number[];
  /** C: output classes. */
  classes: number;
  /** Added to the forget gate's pre-activation in the forward pass (TF BasicLSTMCell: 1.0). */
  forgetBias: number;
  /** What layer 0 reads at each step: 'values' (absent: the default) inputSize numbers; 'tokens' one symbol
   *  below inputSize (the vocabulary), one-hot in the equations, so its input projection is row x_t of W_x. */
  input?: 'values' | 'tokens';
  /** Where the head reads: 'last' (absent: the default) h_T, one label per sequence (a classifier);
   *  'every' h_t at every step, one label per step, the loss averaged over B*T (a language model). */
  outputs?: 'last' | 'every';
}

/** Layer 0 reads symbols (a language model's input). */
export const readsTokens = (m: ModelConfig): boolean => m.input === 'tokens';
/** S: the steps the head reads, 1 (h_T) or T (every step). */
export const headSteps = (m: ModelConfig): number => (m.outputs === 'every' ? m.steps : 1);

/** A character-level language model: T steps, V symbols in and out, the stack's sizes. */
export function languageModel(steps: number, vocab: number, layers: number[], forgetBias = 1): ModelConfig {
  return { steps, inputSize: vocab, layers, classes: vocab, forgetBias, input: 'tokens', outputs: 'every' };
}

export const referenceModel: ModelConfig = { steps: 28, inputSize: 28, layers: [128], classes: 10, forgetBias: 1.0 };

/** I_k: the width of layer k's input (the model's input for k = 0, else the layer below's H). */
export const layerInput = (m: ModelConfig, k: number): number => (k === 0 ? m.inputSize : m.layers[k - 1]);
/** H of the top layer: what the head reads. */
export const topHidden = (m: ModelConfig): number => m.layers[m.layers.length - 1];
/** "2 layers of 128, 64" or "one layer of 128": for messages. */
export const describeLayers = (layers: number[]): string =>
  layers.length === 1 ? `one layer of ${layers[0]}` : `${layers.length} layers of ${layers.join(', ')}`;

/** Parameter tensor names of layer k, as written to .safetensors files (format webgpu-lstm/2). */
export const layerTensorNames = (k: number): { kernel: string; bias: string } => ({ kernel: `lstm_${k}/kernel`, bias: `lstm_${k}/bias` });
export const outputTensorNames = { kernel: 'output/kernel', bias: 'output/bias' } as const;

/** Every parameter tensor's shape, by name, in file order: each layer's kernel and bias, bottom-up, then the head's. Row-major, TF layout. */
export function tensorShapes(m: ModelConfig): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  m.layers.forEach((h, k) => {
    const names = layerTensorNames(k);
    shapes[names.kernel] = [layerInput(m, k) + h, 4 * h];
    shapes[names.bias] = [4 * h];
  });
  shapes[outputTensorNames.kernel] = [topHidden(m), m.classes];
  shapes[outputTensorNames.bias] = [m.classes];
  return shapes;
}

export const tensorNames = (m: ModelConfig): string[] => Object.keys(tensorShapes(m));

/** A set of parameters (or gradients, or Adam moments) as plain arrays, one per named tensor. */
export type Tensors<A extends Float32Array | Float64Array = Float32Array> = Record<string, A>;

export function tensorSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A contiguous run of the flat buffer, in floats. */
export interface Block {
  offset: number;
  length: number;
}

/**
 * Where each tensor lives in the one flat float32 parameter buffer on the GPU (gradients and Adam
 * moments mirror it). Layer k's bias follows its kernel directly, so the pair reads as one
 * (I_k+H_k+1, 4H_k) matrix whose last row is the bias (the weight-gradient GEMM writes both at once); the
 * same holds for output/kernel + output/bias as an (H_top+1, C) matrix. Every block starts at a 256-byte
 * boundary so it can be bound on its own. Offsets and lengths are in floats. One layer gives the layout
 * of format webgpu-lstm/1 exactly.
 */
export interface ParamLayout {
  offsets: Record<string, number>;
  /** Layer k's (I_k+H_k+1, 4H_k) block, bottom-up. */
  layerBlocks: Block[];
  outputBlock: Block;
  /** Total floats in the flat buffer, padding included (a multiple of 4: Adam reads vec4). */
  length: number;
}

export const bindingAlignFloats = 64; // 256 bytes: WebGPU's default minStorageBufferOffsetAlignment

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

export function paramLayout(m: ModelConfig): ParamLayout {
  const offsets: Record<string, number> = {};
  const layerBlocks: Block[] = [];
  let next = 0;
  m.layers.forEach((h, k) => {
    const names = layerTensorNames(k);
    const rows = layerInput(m, k) + h;
    offsets[names.kernel] = next;
    offsets[names.bias] = next + rows * 4 * h;
    layerBlocks.push({ offset: next, length: (rows + 1) * 4 * h });
    next = alignUp(next + (rows + 1) * 4 * h, bindingAlignFloats);
  });
  const top = topHidden(m);
  offsets[outputTensorNames.kernel] = next;
  offsets[outputTensorNames.bias] = next + top * m.classes;
  const outputBlock = { offset: next, length: (top + 1) * m.classes };
  return { offsets, layerBlocks, outputBlock, length: alignUp(next + outputBlock.length, 4) };
}

/** Packs named tensors into one flat buffer laid out by paramLayout (padding zero). */
export function packParams(m: ModelConfig, t: Tensors<Float32Array | Float64Array>): Float32Array<ArrayBuffer> {
  const layout = paramLayout(m);
  const flat = new Float32Array(layout.length);
  for (const [name, shape] of Object.entries(tensorShapes(m))) {
    const n = tensorSize(shape);
    if (!t[name]) throw new Error(`tensor ${name}: missing`);
    if (t[name].length !== n) throw new Error(`tensor ${name}: expected ${n} values, got ${t[name].length}`);
    flat.set(t[name], layout.offsets[name]);
  }
  return flat;
}

/** Splits a flat buffer laid out by paramLayout back into named tensors (copies). */
export function unpackParams(m: ModelConfig, flat: Float32Array): Tensors {
  const layout = paramLayout(m);
  const out: Tensors = {};
  for (const [name, shape] of Object.entries(tensorShapes(m))) {
    const o = layout.offsets[name];
    out[name] = flat.slice(o, o + tensorSize(shape));
  }
  return out;
}

/** The tensor names of any one-layer model (names depend on the layer count only). */
export const oneLayerNames: readonly string[] = tensorNames(referenceModel);
