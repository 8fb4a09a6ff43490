import { type KernelSpec, bytesOf, ceilDiv } from './dims.ts';

/** One minibatch of T-symbol windows of a token stream: layer 0's tokens, every step's label, the bias column. */
export const gatherTokens: KernelSpec = {
  name: 'gather_tokens',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => ({
    stream: 4, // checked against the dataset when it is uploaded
    batch_index: bytesOf.perRow(d),
    tokens: bytesOf.tokens(d),
    labels: bytesOf.tokens(d),
    xh: bytesOf.xh(d),
  }),
  params: (d) => ({ batch: d.batch, steps: d.steps, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(d.steps * d.batch, o.WG_X), 1, 1],
};
