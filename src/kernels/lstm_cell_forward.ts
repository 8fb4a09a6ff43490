import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

const bindingBytes: KernelSpec['bindingBytes'] = (d) => ({
  w: bytesOf.layerBlock(d),
  xw: bytesOf.gates(d),
  xh: bytesOf.xh(d),
  cs: bytesOf.cs(d),
  gates: bytesOf.gates(d),
  x_next: bytesOf.xhAbove(d),
});

/** Row width of the layer above's xh, where h_t is written as its x_t; 0 at the top. */
const nextWidth = (d: Parameters<KernelSpec['bindingBytes']>[0]): number => (d.above > 0 ? d.hidden + d.above + 1 : 0);

/** One dispatch per timestep t: the grid covers every (unit quad, block of 8 rows). */
export const lstmCellForward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_forward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes,
  params: (d, { t }) => ({ batch: d.batch, input: d.input, hidden: d.hidden, t, count: 1, forget_bias: d.forgetBias, next_width: nextWidth(d) }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, unitsPerInvocation), o.WG_X), ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};

/**
 * The same shader, one dispatch for all T timesteps: one workgroup along x holds every unit of its
 * WG_Y blocks of 8 rows (its WG_X invocations loop over the unit quads) and steps through t with a
 * storage barrier between timesteps.
 */
export const lstmSequenceForward: KernelSpec = {
  name: 'lstm_sequence_forward',
  shader: 'lstm_cell_forward',
  overrides: { WG_X: 32, WG_Y: 1 },
  bindingBytes,
  params: (d) => ({ batch: d.batch, input: d.input, hidden: d.hidden, t: 0, count: d.steps, forget_bias: d.forgetBias, next_width: nextWidth(d) }),
  workgroups: (d, o) => [1, ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
