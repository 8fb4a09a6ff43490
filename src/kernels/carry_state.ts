import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

/** A stateful run's h_T and c_T moved to h_0 and c_0 of one layer, for the next window. */
export const carryState: KernelSpec = {
  name: 'carry_state',
  overrides: { WG_X: 64, WG_Y: 1 },
  bindingBytes: (d) => ({ xh: bytesOf.xh(d), cs: bytesOf.cs(d) }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(d.batch, o.WG_Y), 1],
};
