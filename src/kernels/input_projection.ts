import { type KernelSpec, bytesOf, ceilDiv, xhWidth } from './dims.ts';

const rowsPerInvocation = 8; // the register block: 8 rows x one column quad

export const inputProjection: KernelSpec = {
  name: 'input_projection',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d) - d.batch * xhWidth(d) * 4, // rows t = 0..T-1
    w: bytesOf.layerBlock(d),
    xw: bytesOf.gates(d),
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(ceilDiv(d.steps * d.batch, rowsPerInvocation), o.WG_Y), 1],
};
