// The float64 oracle's optimizer: TF AdamOptimizer, element-wise over every named tensor.
//   step += 1; lr_t = lr * sqrt(1 - beta2^step) / (1 - beta1^step)
//   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2;  p -= lr_t * m / (sqrt(v) + eps)
import type { ModelConfig, Tensors } from '../train/model.ts';
import { zeroTensors } from './lstm.ts';

export interface AdamState {
  m: Tensors<Float64Array>;
  v: Tensors<Float64Array>;
  /** Steps taken so far; the next adamStep uses step + 1. */
  step: number;
}

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export function adamInit(model: ModelConfig): AdamState {
  return { m: zeroTensors(model), v: zeroTensors(model), step: 0 };
}

/** One Adam update: mutates p and s. */
export function adamStep(p: Tensors<Float64Array>, g: Tensors<Float64Array>, s: AdamState, c: AdamConfig): void {
  s.step += 1;
  const lrT = (c.lr * Math.sqrt(1 - c.beta2 ** s.step)) / (1 - c.beta1 ** s.step);
  for (const name of Object.keys(p)) {
    const pn = p[name];
    const gn = g[name];
    const mn = s.m[name];
    const vn = s.v[name];
    if (gn.length !== pn.length || mn.length !== pn.length || vn.length !== pn.length) {
      throw new Error(`adamStep: tensor ${name} lengths differ (param ${pn.length}, grad ${gn.length}, m ${mn.length}, v ${vn.length})`);
    }
    for (let k = 0; k < pn.length; k++) {
      mn[k] = c.beta1 * mn[k] + (1 - c.beta1) * gn[k];
      vn[k] = c.beta2 * vn[k] + (1 - c.beta2) * gn[k] * gn[k];
      pn[k] -= (lrT * mn[k]) / (Math.sqrt(vn[k]) + c.eps);
    }
  }
}
