import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

export const softmaxCrossEntropy: KernelSpec = {
  name: 'softmax_cross_entropy',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d),
    w_out: bytesOf.outputBlock(d),
    labels: bytesOf.labels(d),
    logits: bytesOf.logits(d),
    dlogits: bytesOf.logits(d),
    stats: bytesOf.stats(d),
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, head_steps: d.headSteps }),
  workgroups: (d, o) => [ceilDiv(d.headSteps * d.batch, o.WG_X), 1, 1],
};
