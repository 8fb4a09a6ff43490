import { type KernelSpec, bytesOf, ceilDiv, f32Bytes } from './dims.ts';

export const softmaxCrossEntropy: KernelSpec = {
  name: 'softmax_cross_entropy',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d),
    w_out: bytesOf.outputBlock(d),
    labels: bytesOf.perRow(d),
    logits: bytesOf.logits(d),
    dlogits: bytesOf.logits(d),
    stats: d.batch * 2 * f32Bytes,
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes }),
  workgroups: (d, o) => [ceilDiv(d.batch, o.WG_X), 1, 1],
};
