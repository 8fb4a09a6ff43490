// The float64 oracle: the whole LSTM classifier, forward and backward, in plain loops on Float64Array.
// GPU kernels are tested against it, so it also returns the values each kernel stage produces.
//
// TF BasicLSTMCell (see src/train/model.ts). Gate column g = q*H + u for gate q in (i, j, f, o), unit u:
//   xw_t = x_t . W[0:I] + b                                   (B, 4H)  the input projection
//   a_t  = xw_t + h_{t-1} . W[I:I+H]                          (B, 4H)  gate pre-activations
//   i = sigmoid(a_i), j = tanh(a_j), f = sigmoid(a_f + forgetBias), o = sigmoid(a_o)
//   c_t = c_{t-1} * f + i * j,  h_t = tanh(c_t) * o,  h_0 = c_0 = 0
//   logits = h_T . Wout + bout (B, C); loss = mean_b -log softmax(logits_b)[label_b]
// Layouts are row-major: x (T, B, I), per-step state (T+1, B, H) with step 0 the zero state.
//
// Built from two parts that a stack of layers (lstm-stack.ts) reuses: one LSTM layer over a sequence
// (layerForward, layerBackward) and the dense + softmax head on the last h (headForward, headBackward).
import { type ModelConfig, type Tensors, layerTensorNames, outputTensorNames, tensorShapes, tensorSize } from '../train/model.ts';

export interface Forward extends LayerForward, HeadForward {}

export interface Backward {
  /** dloss/dparam for every named tensor. */
  grads: Tensors<Float64Array>;
  /** (B, C) (probs - onehot(label)) / B. */
  dlogits: Float64Array;
  /** (T, B, 4H) dloss/da_t, gradients w.r.t. the gate pre-activations (before the forget bias). */
  dgates: Float64Array;
  /** (B, H) dloss/dh_T. */
  dhT: Float64Array;
  /** (T, B, I) dloss/dx_t = dgates_t . W[0:I]^T: the gradient w.r.t. the input sequence. */
  dx: Float64Array;
}

/** The sizes of one LSTM layer's pass over a minibatch: T steps, B rows, I inputs, H units. */
export interface LayerShape {
  steps: number;
  batch: number;
  input: number;
  hidden: number;
}

/** What one layer's forward pass keeps for its backward pass (and the GPU tests compare with). */
export interface LayerForward {
  /** (T, B, 4H) x_t . W[0:I] + b: the input projection, before the recurrent term. */
  xw: Float64Array;
  /** (T, B, 4H) activated gates i, j, f, o (f with the forget bias). */
  gates: Float64Array;
  /** (T+1, B, H) cell state; c[0] = 0. */
  c: Float64Array;
  /** (T+1, B, H) hidden state; h[0] = 0. */
  h: Float64Array;
}

export interface HeadForward {
  /** (B, C) */
  logits: Float64Array;
  /** (B, C) softmax(logits). */
  probs: Float64Array;
  /** (B) -log probs[b, label_b]. */
  sampleLoss: Float64Array;
  /** (B) 1 where argmax(logits) (first maximum on ties) equals the label. */
  correct: Uint8Array;
  /** Mean of sampleLoss. */
  loss: number;
  /** Mean of correct. */
  accuracy: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function zeroTensors(m: ModelConfig): Tensors<Float64Array> {
  const out: Tensors<Float64Array> = {};
  for (const [name, shape] of Object.entries(tensorShapes(m))) out[name] = new Float64Array(tensorSize(shape));
  return out;
}

export function toFloat64(t: Tensors<Float32Array | Float64Array>): Tensors<Float64Array> {
  const out: Tensors<Float64Array> = {};
  for (const name of Object.keys(t)) out[name] = Float64Array.from(t[name]);
  return out;
}

/** Refuses labels that are not class numbers below C, naming the first bad one. */
export function checkLabels(labels: ArrayLike<number>, batch: number, classes: number): void {
  if (labels.length !== batch) throw new Error(`reference: ${labels.length} labels for batch ${batch}`);
  for (let b = 0; b < batch; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`reference: label[${b}] = ${y} not in [0, ${classes})`);
  }
}

function checkInputs(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number): void {
  if (m.layers.length !== 1) throw new Error(`reference: forward/backward are the one-layer oracle; a model of ${m.layers.length} layers goes through stackForward/stackBackward`);
  for (const [name, shape] of Object.entries(tensorShapes(m))) {
    const n = tensorSize(shape);
    if (!p[name]) throw new Error(`reference: no tensor ${name}`);
    if (p[name].length !== n) throw new Error(`reference: tensor ${name} has ${p[name].length} values, expected ${n}`);
  }
  const nx = m.steps * batch * m.inputSize;
  if (x.length !== nx) throw new Error(`reference: x has ${x.length} values, expected T*B*I = ${nx}`);
  checkLabels(labels, batch, m.classes);
}

/** One LSTM layer over the sequence x (T, B, I) with kernel W (I+H, 4H) and bias b (4H). */
/** `init`: the state (h_0, c_0), each (B, H), a stateful run carries in; zero when absent. */
export function layerForward(
  s: LayerShape, W: Float64Array, bias: Float64Array, forgetBias: number, x: Float64Array, init?: { h: ArrayLike<number>; c: ArrayLike<number> },
): LayerForward {
  const { steps: T, batch: B, input: I, hidden: H } = s;
  const G = 4 * H;
  const xw = new Float64Array(T * B * G);
  const gates = new Float64Array(T * B * G);
  const c = new Float64Array((T + 1) * B * H);
  const h = new Float64Array((T + 1) * B * H);
  if (init) {
    c.set(Array.from(init.c));
    h.set(Array.from(init.h));
  }
  const a = new Float64Array(G);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * G; // into xw, gates
      const xs = (t * B + b) * I; // into x
      const prev = (t * B + b) * H; // into c, h at step t (= t-1 in the equations)
      const next = ((t + 1) * B + b) * H;
      for (let g = 0; g < G; g++) {
        let s = bias[g];
        for (let k = 0; k < I; k++) s += x[xs + k] * W[k * G + g];
        xw[row + g] = s;
        for (let k = 0; k < H; k++) s += h[prev + k] * W[(I + k) * G + g];
        a[g] = s;
      }
      for (let u = 0; u < H; u++) {
        const gi = sigmoid(a[u]);
        const gj = Math.tanh(a[H + u]);
        const gf = sigmoid(a[2 * H + u] + forgetBias);
        const go = sigmoid(a[3 * H + u]);
        gates[row + u] = gi;
        gates[row + H + u] = gj;
        gates[row + 2 * H + u] = gf;
        gates[row + 3 * H + u] = go;
        c[next + u] = c[prev + u] * gf + gi * gj;
        h[next + u] = Math.tanh(c[next + u]) * go;
      }
    }
  }
  return { xw, gates, c, h };
}

/** The dense + softmax cross-entropy head on hT (B, H): logits = hT . Wout (H, C) + bout (C). */
export function headForward(B: number, H: number, C: number, Wout: Float64Array, bout: Float64Array, hT: Float64Array, labels: ArrayLike<number>): HeadForward {
  const logits = new Float64Array(B * C);
  const probs = new Float64Array(B * C);
  const sampleLoss = new Float64Array(B);
  const correct = new Uint8Array(B);
  let loss = 0;
  let hits = 0;
  for (let b = 0; b < B; b++) {
    const l = b * C;
    let best = 0;
    for (let k = 0; k < C; k++) {
      let s = bout[k];
      for (let u = 0; u < H; u++) s += hT[b * H + u] * Wout[u * C + k];
      logits[l + k] = s;
      if (s > logits[l + best]) best = k;
    }
    const max = logits[l + best];
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(logits[l + k] - max);
    for (let k = 0; k < C; k++) probs[l + k] = Math.exp(logits[l + k] - max) / sum;
    sampleLoss[b] = max + Math.log(sum) - logits[l + labels[b]];
    correct[b] = best === labels[b] ? 1 : 0;
    loss += sampleLoss[b];
    hits += correct[b];
  }
  return { logits, probs, sampleLoss, correct, loss: loss / B, accuracy: hits / B };
}

/**
 * The head's backward pass: dlogits = (probs - onehot) / B; adds hT^T . dlogits to dWout (H, C) and
 * sum_b dlogits to dbout (C); returns dlogits and dhT = dlogits . Wout^T (B, H).
 */
export function headBackward(
  B: number, H: number, C: number, Wout: Float64Array, hT: Float64Array, probs: Float64Array, labels: ArrayLike<number>,
  dWout: Float64Array, dbout: Float64Array,
): { dlogits: Float64Array; dhT: Float64Array } {
  const dlogits = new Float64Array(B * C);
  const dhT = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < C; k++) {
      const d = (probs[b * C + k] - (k === labels[b] ? 1 : 0)) / B;
      dlogits[b * C + k] = d;
      dbout[k] += d;
      for (let u = 0; u < H; u++) {
        dWout[u * C + k] += hT[b * H + u] * d;
        dhT[b * H + u] += d * Wout[u * C + k];
      }
    }
  }
  return { dlogits, dhT };
}

/**
 * One layer's backward pass through time, last step first. dhOut (T, B, H) is the gradient reaching h_t
 * from outside the layer (the head at the last step; the layer above's dx at every step); the recurrent
 * gradient from step t+1 is added to it. Adds the layer's weight gradients to dW (I+H, 4H) and db (4H);
 * returns dgates (T, B, 4H), w.r.t. the gate pre-activations, and dx (T, B, I), w.r.t. the input.
 */
export function layerBackward(
  s: LayerShape, W: Float64Array, x: Float64Array, f: LayerForward, dhOut: Float64Array, dW: Float64Array, db: Float64Array,
): { dgates: Float64Array; dx: Float64Array } {
  const { steps: T, batch: B, input: I, hidden: H } = s;
  const G = 4 * H;
  const dgates = new Float64Array(T * B * G);
  const dx = new Float64Array(T * B * I);
  // dh and dc carry dloss/dh_t and dloss/dc_t from step t+1 (zero past the last step).
  let dh = new Float64Array(B * H);
  const dc = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    for (let k = 0; k < B * H; k++) dh[k] += dhOut[t * B * H + k];
    const dhPrev = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * G;
      const prev = (t * B + b) * H;
      const next = ((t + 1) * B + b) * H;
      for (let u = 0; u < H; u++) {
        const gi = f.gates[row + u];
        const gj = f.gates[row + H + u];
        const gf = f.gates[row + 2 * H + u];
        const go = f.gates[row + 3 * H + u];
        const tc = Math.tanh(f.c[next + u]);
        const dhu = dh[b * H + u];
        const dcu = dc[b * H + u] + dhu * go * (1 - tc * tc);
        dgates[row + u] = dcu * gj * gi * (1 - gi);
        dgates[row + H + u] = dcu * gi * (1 - gj * gj);
        dgates[row + 2 * H + u] = dcu * f.c[prev + u] * gf * (1 - gf);
        dgates[row + 3 * H + u] = dhu * tc * go * (1 - go);
        dc[b * H + u] = dcu * gf;
      }
      // dW[0:I] += x_t^T . da; dW[I:] += h_{t-1}^T . da; db += da; dx_t = da . W[0:I]^T; dh_{t-1} = da . W[I:]^T
      const xs = (t * B + b) * I;
      for (let g = 0; g < G; g++) {
        const d = dgates[row + g];
        db[g] += d;
        for (let k = 0; k < I; k++) {
          dW[k * G + g] += x[xs + k] * d;
          dx[xs + k] += d * W[k * G + g];
        }
        for (let k = 0; k < H; k++) {
          dW[(I + k) * G + g] += f.h[prev + k] * d;
          dhPrev[b * H + k] += d * W[(I + k) * G + g];
        }
      }
    }
    dh = dhPrev;
  }
  return { dgates, dx };
}

const layerShape = (m: ModelConfig, batch: number): LayerShape => ({ steps: m.steps, batch, input: m.inputSize, hidden: m.layers[0] });
const lstm = layerTensorNames(0);
const out = outputTensorNames;

export function forward(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number): Forward {
  checkInputs(m, p, x, labels, batch);
  const H = m.layers[0];
  const layer = layerForward(layerShape(m, batch), p[lstm.kernel], p[lstm.bias], m.forgetBias, x);
  const hT = layer.h.subarray(m.steps * batch * H);
  return { ...layer, ...headForward(batch, H, m.classes, p[out.kernel], p[out.bias], hT, labels) };
}

export function backward(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number, f: Forward): Backward {
  checkInputs(m, p, x, labels, batch);
  const T = m.steps;
  const H = m.layers[0];
  const grads = zeroTensors(m);
  const hT = f.h.subarray(T * batch * H);
  const { dlogits, dhT } = headBackward(batch, H, m.classes, p[out.kernel], hT, f.probs, labels, grads[out.kernel], grads[out.bias]);
  const dhOut = new Float64Array(T * batch * H);
  dhOut.set(dhT, (T - 1) * batch * H);
  const { dgates, dx } = layerBackward(layerShape(m, batch), p[lstm.kernel], x, f, dhOut, grads[lstm.kernel], grads[lstm.bias]);
  return { grads, dlogits, dgates, dhT, dx };
}
