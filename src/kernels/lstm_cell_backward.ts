import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

const unitsPerInvocation = 4; // the register block: 4 units x 8 batch rows
const rowsPerInvocation = 8;

const bindingBytes: KernelSpec['bindingBytes'] = (d) => ({
  w: bytesOf.layerBlock(d),
  w_out: d.above > 0 ? 4 : bytesOf.outputBlock(d), // read by the top layer only
  dlogits: bytesOf.logits(d),
  gates: bytesOf.gates(d),
  cs: bytesOf.cs(d),
  dgates: bytesOf.gates(d),
  dc: bytesOf.state(d),
  dh_in: bytesOf.dhAbove(d),
});

const fromAbove = (d: Parameters<KernelSpec['bindingBytes']>[0]): number => (d.above > 0 ? 1 : 0);

/** One dispatch per timestep t (T-1 down to 0): the grid covers every (unit quad, block of 8 rows). */
export const lstmCellBackward: KernelSpec<{ t: number }> = {
  name: 'lstm_cell_backward',
  overrides: { WG_X: 4, WG_Y: 4 },
  bindingBytes,
  params: (d, { t }) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, t, count: 1, from_above: fromAbove(d), head_steps: d.headSteps }),
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
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden, classes: d.classes, t: d.steps - 1, count: d.steps, from_above: fromAbove(d), head_steps: d.headSteps }),
  workgroups: (d, o) => [1, ceilDiv(ceilDiv(d.batch, rowsPerInvocation), o.WG_Y), 1],
};
