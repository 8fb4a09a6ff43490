// The float64 oracle for a character-level language model (issue 11): a stack of LSTM layers reading one
// token per step and predicting the next token at every step.
//   x_t = onehot(token_t) (V)            layer 0's input projection x_t . W_x is row token_t of W_x
//   h^k_t as in lstm-stack.ts             (layer 0's I = V, the vocabulary)
//   logits_t = h^L_t . Wout + bout (V)    at every step t = 1..T
//   loss = mean over the B*T (t, b) of -log softmax(logits_t,b)[target_t,b]
// It is written the plain way (a materialized one-hot input through layerForward/layerBackward, the head
// over all T*B rows at once), so the GPU's embedding gather and scatter-add are checked against
// something that does not share their shortcut. The gradient w.r.t. W_x therefore has nonzero rows only
// for tokens that occur.
import { type HeadForward, type LayerForward, type LayerShape, checkLabels, headBackward, headForward, layerBackward, layerForward } from './lstm.ts';
import type { StackParams } from './lstm-stack.ts';

/** A language model: T steps, V symbols in and out, the stack's hidden sizes bottom first. */
export interface LmConfig {
  steps: number;
  vocab: number;
  layers: number[];
  forgetBias: number;
}

export interface LmForward extends HeadForward {
  /** Per layer, bottom-up. */
  layers: LayerForward[];
  /** (T, B, V) the one-hot inputs the oracle materializes. */
  x: Float64Array;
}

export interface LmBackward {
  grads: StackParams;
  /** (T*B, V) (probs - onehot(target)) / (T*B), rows in (t, b) order. */
  dlogits: Float64Array;
}

/** (T, B, V) one-hot rows of tokens given in (t, b) order. */
export function oneHot(tokens: ArrayLike<number>, vocab: number): Float64Array {
  const x = new Float64Array(tokens.length * vocab);
  for (let r = 0; r < tokens.length; r++) x[r * vocab + tokens[r]] = 1;
  return x;
}

const shapeOf = (m: LmConfig, batch: number, k: number): LayerShape => ({
  steps: m.steps, batch, input: k === 0 ? m.vocab : m.layers[k - 1], hidden: m.layers[k],
});

function check(m: LmConfig, p: StackParams, tokens: ArrayLike<number>, targets: ArrayLike<number>, batch: number): void {
  if (p.layers.length !== m.layers.length) throw new Error(`reference: ${p.layers.length} layers of parameters for ${m.layers.length} layers`);
  const n = m.steps * batch;
  if (tokens.length !== n) throw new Error(`reference: ${tokens.length} tokens, expected T*B = ${n}`);
  checkLabels(tokens, n, m.vocab);
  checkLabels(targets, n, m.vocab);
}

/**
 * tokens and targets: T*B symbols each, in (t, b) order (targets are usually the tokens one step on).
 * `init`: per layer the (h_0, c_0) a stateful run carries in from its previous window (its gradient stops
 * there: truncated BPTT); zero when absent.
 */
export function lmForward(
  m: LmConfig, p: StackParams, tokens: ArrayLike<number>, targets: ArrayLike<number>, batch: number, init?: { h: ArrayLike<number>; c: ArrayLike<number> }[],
): LmForward {
  check(m, p, tokens, targets, batch);
  const x = oneHot(tokens, m.vocab);
  const layers: LayerForward[] = [];
  let input = x;
  m.layers.forEach((H, k) => {
    const f = layerForward(shapeOf(m, batch, k), p.layers[k].kernel, p.layers[k].bias, m.forgetBias, input, init?.[k]);
    layers.push(f);
    input = f.h.subarray(batch * H); // h_1..h_T: (T, B, H), the next layer's input
  });
  const H = m.layers[m.layers.length - 1];
  return { layers, x, ...headForward(m.steps * batch, H, m.vocab, p.output.kernel, p.output.bias, input, targets) };
}

export function lmBackward(m: LmConfig, p: StackParams, tokens: ArrayLike<number>, targets: ArrayLike<number>, batch: number, f: LmForward): LmBackward {
  check(m, p, tokens, targets, batch);
  const L = m.layers.length;
  const zero = (n: number): Float64Array => new Float64Array(n);
  const grads: StackParams = {
    layers: m.layers.map((H, k) => ({ kernel: zero((shapeOf(m, batch, k).input + H) * 4 * H), bias: zero(4 * H) })),
    output: { kernel: zero(m.layers[L - 1] * m.vocab), bias: zero(m.vocab) },
  };
  const H = m.layers[L - 1];
  const hAll = f.layers[L - 1].h.subarray(batch * H);
  // The head over all T*B rows: dh reaches the top layer at every step (headBackward's dhT, (T, B, H)).
  const { dlogits, dhT } = headBackward(m.steps * batch, H, m.vocab, p.output.kernel, hAll, f.probs, targets, grads.output.kernel, grads.output.bias);
  let dhOut: Float64Array = dhT;
  for (let k = L - 1; k >= 0; k--) {
    const input = k === 0 ? f.x : f.layers[k - 1].h.subarray(batch * m.layers[k - 1]);
    dhOut = layerBackward(shapeOf(m, batch, k), p.layers[k].kernel, input, f.layers[k], dhOut, grads.layers[k].kernel, grads.layers[k].bias).dx;
  }
  return { grads, dlogits };
}

/** Bits per character of a mean natural-log loss. */
export const bitsPerChar = (loss: number): number => loss / Math.LN2;
