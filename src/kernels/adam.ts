import { type Dims, type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Floats in the flat parameter buffer (padding included) for these dims. */
export const paramFloats = (d: Dims): number => d.params;

/** TF's lr_t = lr * sqrt(1 - beta2^step) / (1 - beta1^step), in float64 (step counts from 1). */
export function biasCorrectedRate(h: AdamHyper, step: number): number {
  return (h.lr * Math.sqrt(1 - h.beta2 ** step)) / (1 - h.beta1 ** step);
}

const maxGroupsX = 32768; // the grid is linearised in the shader; y takes the rest

export interface AdamStep extends AdamHyper {
  /** Clip gradients to this global norm; 0 for no clipping. */
  clipNorm: number;
  /** The step's number, from 1. */
  step: number;
}

export const adam: KernelSpec<AdamStep> = {
  name: 'adam',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => {
    const bytes = bytesOf.params(d);
    return { grads: bytes, weights: bytes, m: bytes, v: bytes, status: 8 };
  },
  params: (d, h) => ({
    count: paramFloats(d) / 4, step: h.step, lr_t: biasCorrectedRate(h, h.step),
    beta1: h.beta1, beta2: h.beta2, eps: h.eps, clip_norm: h.clipNorm,
  }),
  workgroups: (d, o) => {
    const groups = ceilDiv(paramFloats(d) / 4, o.WG_X);
    const x = Math.min(groups, maxGroupsX);
    return [x, ceilDiv(groups, x), 1];
  },
};
