import { type Dims, type KernelSpec, bytesOf, ceilDiv, xhWidth } from './dims.ts';

const rowsPerInvocation = 8; // the register block: 8 k-rows x 2 column quads
const quadsPerInvocation = 2;
/** A token layer's W_x rows come from embedding_grad: this GEMM starts below them. */
const firstRow = (d: Dims): number => (d.tokens ? d.input : 0);

export const lstmWeightGrad: KernelSpec = {
  name: 'lstm_weight_grad',
  overrides: { WG_X: 32, WG_Y: 1 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d) - d.batch * xhWidth(d) * 4, // rows t = 0..T-1
    dgates: bytesOf.gates(d),
    dw: bytesOf.layerBlock(d),
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden, first_row: firstRow(d) }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.hidden, quadsPerInvocation), o.WG_X), ceilDiv(ceilDiv(xhWidth(d) - firstRow(d), rowsPerInvocation), o.WG_Y), 1],
};
