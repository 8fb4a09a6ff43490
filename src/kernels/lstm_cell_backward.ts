import { type KernelSpec, ceilDiv, f32Bytes, xhWidth } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

const bindingBytes: KernelSpec['bindingBytes'] = (d) => ({
  w: xhWidth(d) * 4 * d.hidden * f32Bytes,
  w_out: (d.hidden + 1) * d.classes * f32Bytes,
  dlogits: d.batch * d.classes * f32Bytes,
  gates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
  cs: (d.steps + 1) * d.batch * d.hidden * f32Bytes,
  dgates: d.steps * d.batch * 4 * d.hidden * f32Bytes,
  dc: d.batch * d.hidden * f32Bytes,
});

/** One dispatch per timestep t (T-1 down to 0): the grid covers every (unit quad, block of 8 rows). */
export const lstmCellBackward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_backward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes,
  params: (d, { t }) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, t, count: 1 }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, unitsPerInvocation), o.WG_X), ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};

/**
 * The same shader, one dispatch for all T timesteps (T-1 down to 0): one workgroup along x holds every
 * unit of its WG_Y blocks of 8 rows and steps through t with a storage barrier between timesteps.
 */
export const lstmSequenceBackward: KernelSpec = {
  name: 'lstm_sequence_backward',
  shader: 'lstm_cell_backward',
  overrides: { WG_X: 32, WG_Y: 1 },
  bindingBytes,
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, t: d.steps - 1, count: d.steps }),
  workgroups: (d, o) => [1, ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
