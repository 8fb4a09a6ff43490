import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

/** A token layer's input projection: row tokens[r] of W_x plus the bias, for all T*B rows. */
export const embeddingGather: KernelSpec = {
  name: 'embedding_gather',
  overrides: { WG_X: 16, WG_Y: 4 },
  bindingBytes: (d) => ({
    tokens: bytesOf.tokens(d),
    w: bytesOf.layerBlock(d),
    xw: bytesOf.gates(d),
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(d.steps * d.batch, o.WG_Y), 1],
};
