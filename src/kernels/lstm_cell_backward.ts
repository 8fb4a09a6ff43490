import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

export const lstmCellBackward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_backward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes: (d) => ({
    w: xhWidth(d) * 4 * d.hidden * f32Bytes,
    w_out: (d.hidden + 1) * d.classes * f32Bytes,
    dlogits: d.batch * d.classes * f32Bytes,
    gates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
    cs: (d.steps + 1) * d.batch * d.hidden * f32Bytes,
    dgates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
    dc: d.batch * d.hidden * f32Bytes,
  }),
  params: (d, { t }) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, t }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, unitsPerInvocation), o.WG_X), ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
