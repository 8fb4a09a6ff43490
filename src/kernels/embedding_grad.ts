import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

const symbolsPerInvocation = 8; // the register block: 8 symbols' rows x one column quad

/** The W_x rows of a token layer's gradient: dgates rows summed by token, deterministically. */
export const embeddingGrad: KernelSpec = {
  name: 'embedding_grad',
  overrides: { WG_X: 32, WG_Y: 1 },
  bindingBytes: (d) => ({
    tokens: bytesOf.tokens(d),
    dgates: bytesOf.gates(d),
    dw: bytesOf.layerBlock(d),
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.hidden, o.WG_X), ceilDiv(ceilDiv(d.input, symbolsPerInvocation), o.WG_Y), 1],
};
