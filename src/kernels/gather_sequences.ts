import type { KernelSpec } from './dims.ts';
import { gatherBatch } from './gather_batch.ts';

/** gather_batch for float32 sequences (N, T, I): the same grid, params and outputs; `values` in place of `images`. */
export const gatherSequences: KernelSpec = {
  ...gatherBatch,
  name: 'gather_sequences',
  bindingBytes: (d) => {
    const { images, ...rest } = gatherBatch.bindingBytes(d);
    return { values: images, ...rest };
  },
};
