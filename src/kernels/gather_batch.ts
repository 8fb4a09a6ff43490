import { type Dims, type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

export const gatherBatch: KernelSpec = {
  name: 'gather_batch',
  overrides: { WG_X: 8, WG_Y: 8 },
  bindingBytes: (d: Dims) => ({
    images: 4, // checked against the dataset when it is uploaded
    dataset_labels: 4,
    batch_index: bytesOf.perRow(d),
    xh: bytesOf.xh(d),
    labels: bytesOf.perRow(d),
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.input + 1, o.WG_X), ceilDiv(d.steps * d.batch, o.WG_Y), 1],
};
