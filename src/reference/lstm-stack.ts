// The float64 oracle for a stack of LSTM layers: layer 0 reads the input sequence x, layer k > 0 reads
// layer k-1's hidden states h_1..h_T, and the dense + softmax head reads the top layer's h_T.
//   h^0_t = x_t;   h^k_t = LSTM_k(h^{k-1}_t, h^k_{t-1})   (k = 1..L, each layer its own width H_k)
//   logits = h^L_T . Wout + bout
// Backward runs the layers top-down: the head gives dh_T of the top layer; each layer's dx_t (the
// gradient w.r.t. its input sequence) is the dh_t reaching layer k-1 from above at every step t, added
// to that layer's recurrent dh. Every layer is lstm.ts's layerForward / layerBackward, so a one-layer
// stack gives exactly the one-layer oracle's numbers.
import { type ModelConfig, type Tensors, layerInput, layerTensorNames, outputTensorNames } from '../train/model.ts';
import { type HeadForward, type LayerForward, type LayerShape, checkLabels, headBackward, headForward, layerBackward, layerForward } from './lstm.ts';

/** A stacked model: the engine's model description (layer k's input is inputSize for k = 0, else layers[k-1]). */
export type StackConfig = ModelConfig;

/** One layer's parameters: kernel (I_k+H_k, 4H_k) = [W_x; W_h], bias (4H_k). */
export interface LayerParams {
  kernel: Float64Array;
  bias: Float64Array;
}

/** A stack's parameters (or gradients): each layer's, bottom-up, and the head's kernel (H_L, C) and bias (C). */
export interface StackParams {
  layers: LayerParams[];
  output: LayerParams;
}

export interface StackForward extends HeadForward {
  /** Per layer, bottom-up: xw, gates (T, B, 4H_k), c, h (T+1, B, H_k). */
  layers: LayerForward[];
}

export interface StackBackward {
  grads: StackParams;
  /** Per layer, bottom-up: dgates (T, B, 4H_k) and dx (T, B, I_k); layer 0's dx is dloss/dx. */
  layers: { dgates: Float64Array; dx: Float64Array }[];
  /** (B, C) */
  dlogits: Float64Array;
  /** (B, H_L) dloss/dh_T of the top layer. */
  dhT: Float64Array;
}

/** The shapes of a stack's parameters, in the order of StackParams. */
export function stackShapes(m: StackConfig): { layers: { kernel: number[]; bias: number[] }[]; output: { kernel: number[]; bias: number[] } } {
  const top = m.layers[m.layers.length - 1];
  return {
    layers: m.layers.map((hidden, k) => ({ kernel: [layerInput(m, k) + hidden, 4 * hidden], bias: [4 * hidden] })),
    output: { kernel: [top, m.classes], bias: [m.classes] },
  };
}

function zeroStackParams(m: StackConfig): StackParams {
  const s = stackShapes(m);
  const zero = (shape: number[]): Float64Array => new Float64Array(shape.reduce((a, b) => a * b, 1));
  return {
    layers: s.layers.map((l) => ({ kernel: zero(l.kernel), bias: zero(l.bias) })),
    output: { kernel: zero(s.output.kernel), bias: zero(s.output.bias) },
  };
}

/** The engine's named tensors (model.ts) as StackParams (views, not copies); a missing tensor is refused. */
export function stackParamsOf(m: ModelConfig, p: Tensors<Float64Array>): StackParams {
  const get = (name: string): Float64Array => {
    if (!p[name]) throw new Error(`reference: no tensor ${name}`);
    return p[name];
  };
  return {
    layers: m.layers.map((_, k) => ({ kernel: get(layerTensorNames(k).kernel), bias: get(layerTensorNames(k).bias) })),
    output: { kernel: get(outputTensorNames.kernel), bias: get(outputTensorNames.bias) },
  };
}

/** StackParams as the engine's named tensors (views, not copies). */
export function namedTensorsOf(p: StackParams): Tensors<Float64Array> {
  const out: Tensors<Float64Array> = {};
  p.layers.forEach((l, k) => {
    out[layerTensorNames(k).kernel] = l.kernel;
    out[layerTensorNames(k).bias] = l.bias;
  });
  out[outputTensorNames.kernel] = p.output.kernel;
  out[outputTensorNames.bias] = p.output.bias;
  return out;
}

const shapeOf = (m: StackConfig, batch: number, k: number): LayerShape => ({
  steps: m.steps, batch, input: layerInput(m, k), hidden: m.layers[k],
});

function checkInputs(m: StackConfig, p: StackParams, x: Float64Array, labels: ArrayLike<number>, batch: number): void {
  if (m.layers.length === 0) throw new Error('reference: a stack needs at least one layer');
  if (p.layers.length !== m.layers.length) throw new Error(`reference: ${p.layers.length} layers of parameters for ${m.layers.length} layers`);
  const s = stackShapes(m);
  const check = (what: string, a: Float64Array, shape: number[]): void => {
    const n = shape.reduce((u, v) => u * v, 1);
    if (a.length !== n) throw new Error(`reference: ${what} has ${a.length} values, expected ${shape.join('x')} = ${n}`);
  };
  s.layers.forEach((l, k) => {
    check(`layer ${k} kernel`, p.layers[k].kernel, l.kernel);
    check(`layer ${k} bias`, p.layers[k].bias, l.bias);
  });
  check('output kernel', p.output.kernel, s.output.kernel);
  check('output bias', p.output.bias, s.output.bias);
  const nx = m.steps * batch * m.inputSize;
  if (x.length !== nx) throw new Error(`reference: x has ${x.length} values, expected T*B*I = ${nx}`);
  checkLabels(labels, batch, m.classes);
}

/** h_1..h_T of a layer's forward pass: (T, B, H), the next layer's input. */
const hSequence = (f: LayerForward, batch: number, hidden: number): Float64Array => f.h.subarray(batch * hidden);

export function stackForward(m: StackConfig, p: StackParams, x: Float64Array, labels: ArrayLike<number>, batch: number): StackForward {
  checkInputs(m, p, x, labels, batch);
  const layers: LayerForward[] = [];
  let input = x;
  for (let k = 0; k < m.layers.length; k++) {
    const f = layerForward(shapeOf(m, batch, k), p.layers[k].kernel, p.layers[k].bias, m.forgetBias, input);
    layers.push(f);
    input = hSequence(f, batch, m.layers[k]);
  }
  const H = m.layers[m.layers.length - 1];
  const hT = layers[layers.length - 1].h.subarray(m.steps * batch * H);
  return { layers, ...headForward(batch, H, m.classes, p.output.kernel, p.output.bias, hT, labels) };
}

export function stackBackward(m: StackConfig, p: StackParams, x: Float64Array, labels: ArrayLike<number>, batch: number, f: StackForward): StackBackward {
  checkInputs(m, p, x, labels, batch);
  const T = m.steps;
  const L = m.layers.length;
  const grads = zeroStackParams(m);
  const H = m.layers[L - 1];
  const hT = f.layers[L - 1].h.subarray(T * batch * H);
  const { dlogits, dhT } = headBackward(batch, H, m.classes, p.output.kernel, hT, f.probs, labels, grads.output.kernel, grads.output.bias);
  // dh reaching the top layer from outside: the head's, at the last step only.
  let dhOut: Float64Array = new Float64Array(T * batch * H);
  dhOut.set(dhT, (T - 1) * batch * H);
  const layers: StackBackward['layers'] = new Array(L);
  for (let k = L - 1; k >= 0; k--) {
    const input = k === 0 ? x : hSequence(f.layers[k - 1], batch, m.layers[k - 1]);
    layers[k] = layerBackward(shapeOf(m, batch, k), p.layers[k].kernel, input, f.layers[k], dhOut, grads.layers[k].kernel, grads.layers[k].bias);
    dhOut = layers[k].dx;
  }
  return { grads, layers, dlogits, dhT };
}
