import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const rowsPerInvocation = 8; // the register block: 8 k-rows x 2 column quads
const quadsPerInvocation = 2;

export const lstmWeightGrad: KernelSpec = {
  name: 'lstm_weight_grad',
  overrides: { WG_X: 32, WG_Y: 1 },
  bindingBytes: (d) => ({
    xh: d.steps * d.batch * xhWidth(d) * f32Bytes,
    dgates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
    dw: xhWidth(d) * 4 * d.hidden * f32Bytes,
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, quadsPerInvocation), o.WG_X), ceilDiv(ceilDiv(xhWidth(d), rowsPerInvocation), o.WG_Y), 1],
};
