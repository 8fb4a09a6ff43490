import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

export const lstmCellForward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_forward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes: (d) => ({
    w: xhWidth(d) * 4 * d.hidden * f32Bytes,
    xw: d.steps * d.batch * 4 * d.hidden * f32Bytes,
    xh: (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
    cs: (d.steps + 1) * d.batch * d.hidden * f32Bytes,
    gates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
  }),
  params: (d, { t }) => ({ batch: d.batch, input: d.input, hidden: d.hidden, t, forget_bias: d.forgetBias }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, unitsPerInvocation), o.WG_X), ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
