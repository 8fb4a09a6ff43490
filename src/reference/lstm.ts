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
import { type ModelConfig, type Tensors, tensorNames, tensorShapes, tensorSize } from '../train/model.ts';

export interface Forward {
  /** (T, B, 4H) x_t . W[0:I] + b: the input projection, before the recurrent term. */
  xw: Float64Array;
  /** (T, B, 4H) activated gates i, j, f, o (f with the forget bias). */
  gates: Float64Array;
  /** (T+1, B, H) cell state; c[0] = 0. */
  c: Float64Array;
  /** (T+1, B, H) hidden state; h[0] = 0. */
  h: Float64Array;
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

export interface Backward {
  /** dloss/dparam for every named tensor. */
  grads: Tensors<Float64Array>;
  /** (B, C) (probs - onehot(label)) / B. */
  dlogits: Float64Array;
  /** (T, B, 4H) dloss/da_t, gradients w.r.t. the gate pre-activations (before the forget bias). */
  dgates: Float64Array;
  /** (B, H) dloss/dh_T. */
  dhT: Float64Array;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function zeroTensors(m: ModelConfig): Tensors<Float64Array> {
  const shapes = tensorShapes(m);
  const out = {} as Tensors<Float64Array>;
  for (const name of tensorNames) out[name] = new Float64Array(tensorSize(shapes[name]));
  return out;
}

export function toFloat64(t: Tensors<Float32Array | Float64Array>): Tensors<Float64Array> {
  const out = {} as Tensors<Float64Array>;
  for (const name of tensorNames) out[name] = Float64Array.from(t[name]);
  return out;
}

function checkInputs(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number): void {
  const shapes = tensorShapes(m);
  for (const name of tensorNames) {
    const n = tensorSize(shapes[name]);
    if (p[name].length !== n) throw new Error(`reference: tensor ${name} has ${p[name].length} values, expected ${n}`);
  }
  const nx = m.steps * batch * m.inputSize;
  if (x.length !== nx) throw new Error(`reference: x has ${x.length} values, expected T*B*I = ${nx}`);
  if (labels.length !== batch) throw new Error(`reference: ${labels.length} labels for batch ${batch}`);
  for (let b = 0; b < batch; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= m.classes) throw new Error(`reference: label[${b}] = ${y} not in [0, ${m.classes})`);
  }
}

export function forward(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number): Forward {
  checkInputs(m, p, x, labels, batch);
  const { steps: T, inputSize: I, hidden: H, classes: C } = m;
  const B = batch;
  const G = 4 * H;
  const W = p['lstm/kernel'];
  const bias = p['lstm/bias'];
  const xw = new Float64Array(T * B * G);
  const gates = new Float64Array(T * B * G);
  const c = new Float64Array((T + 1) * B * H);
  const h = new Float64Array((T + 1) * B * H);
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
        const gf = sigmoid(a[2 * H + u] + m.forgetBias);
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

  const Wout = p['output/kernel'];
  const bout = p['output/bias'];
  const hT = T * B * H;
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
      for (let u = 0; u < H; u++) s += h[hT + b * H + u] * Wout[u * C + k];
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
  return { xw, gates, c, h, logits, probs, sampleLoss, correct, loss: loss / B, accuracy: hits / B };
}

export function backward(m: ModelConfig, p: Tensors<Float64Array>, x: Float64Array, labels: ArrayLike<number>, batch: number, f: Forward): Backward {
  checkInputs(m, p, x, labels, batch);
  const { steps: T, inputSize: I, hidden: H, classes: C } = m;
  const B = batch;
  const G = 4 * H;
  const grads = zeroTensors(m);
  const W = p['lstm/kernel'];
  const Wout = p['output/kernel'];
  const dW = grads['lstm/kernel'];
  const db = grads['lstm/bias'];
  const dWout = grads['output/kernel'];
  const dbout = grads['output/bias'];

  // Output layer: dlogits = (probs - onehot) / B; dWout = h_T^T . dlogits; dh_T = dlogits . Wout^T.
  const hT = T * B * H;
  const dlogits = new Float64Array(B * C);
  const dhT = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < C; k++) {
      const d = (f.probs[b * C + k] - (k === labels[b] ? 1 : 0)) / B;
      dlogits[b * C + k] = d;
      dbout[k] += d;
      for (let u = 0; u < H; u++) {
        dWout[u * C + k] += f.h[hT + b * H + u] * d;
        dhT[b * H + u] += d * Wout[u * C + k];
      }
    }
  }

  // Through time, last step first. dh and dc carry dloss/dh_t and dloss/dc_t from step t+1.
  const dgates = new Float64Array(T * B * G);
  let dh = Float64Array.from(dhT);
  const dc = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
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
      // dW[0:I] += x_t^T . da; dW[I:] += h_{t-1}^T . da; db += da; dh_{t-1} = da . W[I:]^T
      const xs = (t * B + b) * I;
      for (let g = 0; g < G; g++) {
        const d = dgates[row + g];
        db[g] += d;
        for (let k = 0; k < I; k++) dW[k * G + g] += x[xs + k] * d;
        for (let k = 0; k < H; k++) {
          dW[(I + k) * G + g] += f.h[prev + k] * d;
          dhPrev[b * H + k] += d * W[(I + k) * G + g];
        }
      }
    }
    dh = dhPrev;
  }
  return { grads, dlogits, dgates, dhT };
}
