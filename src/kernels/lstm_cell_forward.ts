import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

const bindingBytes: KernelSpec['bindingBytes'] = (d) => ({
  w: xhWidth(d) * 4 * d.hidden * f32Bytes,
  xw: d.steps * d.batch * 4 * d.hidden * f32Bytes,
  xh: (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
  cs: (d.steps + 1) * d.batch * d.hidden * f32Bytes,
  gates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
});

/** One dispatch per timestep t: the grid covers every (unit quad, block of 8 rows). */
export const lstmCellForward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_forward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes,
  params: (d, { t }) => ({ batch: d.batch, input: d.input, hidden: d.hidden, t, count: 1, forget_bias: d.forgetBias }),
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
  params: (d) => ({ batch: d.batch, input: d.input, hidden: d.hidden, t: 0, count: d.steps, forget_bias: d.forgetBias }),
  workgroups: (d, o) => [1, ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
