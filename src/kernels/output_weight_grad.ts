import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

export const outputWeightGrad: KernelSpec = {
  name: 'output_weight_grad',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    xh: (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
    dlogits: d.batch * d.classes * f32Bytes,
    dw_out: (d.hidden + 1) * d.classes * f32Bytes,
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes }),
  workgroups: (d, o) => [ceilDiv(d.classes, o.WG_X), ceilDiv(d.hidden + 1, o.WG_Y), 1],
};
