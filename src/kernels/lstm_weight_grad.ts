import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const rowsPerInvocation = 4; // ROWS in the shader

export const lstmWeightGrad: KernelSpec = {
  name: 'lstm_weight_grad',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    xh: d.steps * d.batch * xhWidth(d) * f32Bytes,
    dgates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
    dw: xhWidth(d) * 4 * d.hidden * f32Bytes,
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(ceilDiv(xhWidth(d), rowsPerInvocation), o.WG_Y), 1],
};
