import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

export const outputWeightGrad: KernelSpec = {
  name: 'output_weight_grad',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d),
    dlogits: bytesOf.logits(d),
    dw_out: bytesOf.outputBlock(d),
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, head_steps: d.headSteps }),
  workgroups: (d, o) => [ceilDiv(d.classes, o.WG_X), ceilDiv(d.hidden + 1, o.WG_Y), 1],
};
