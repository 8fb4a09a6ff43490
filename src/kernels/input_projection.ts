import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const rowsPerInvocation = 8; // the register block: 8 rows x one column quad

export const inputProjection: KernelSpec = {
  name: 'input_projection',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    xh: d.steps * d.batch * xhWidth(d) * f32Bytes,
    w: xhWidth(d) * 4 * d.hidden * f32Bytes,
    xw: d.steps * d.batch * 4 * d.hidden * f32Bytes,
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(ceilDiv(d.steps * d.batch, rowsPerInvocation), o.WG_Y), 1],
};
