import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

export const softmaxCrossEntropy: KernelSpec = {
  name: 'softmax_cross_entropy',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => ({
    xh: (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
    w_out: (d.hidden + 1) * d.classes * f32Bytes,
    labels: d.batch * 4,
    logits: d.batch * d.classes * f32Bytes,
    dlogits: d.batch * d.classes * f32Bytes,
    stats: d.batch * 2 * f32Bytes,
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes }),
  workgroups: (d, o) => [ceilDiv(d.batch, o.WG_X), 1, 1],
};
