import { type KernelSpec, bytesOf, ceilDiv, f32Bytes } from './dims.ts';

const columnsPerInvocation = 4; // the register block: 4 input columns x 8 rows of T*B
const rowsPerInvocation = 8;

/**
 * dx = dgates . W_x^T for one layer (d.input = I: the width of that layer's input), all T*B rows in one
 * dispatch; dx (T, B, I) is written whole: the dh_in of the layer below. A plan has one per layer above the first.
 */
export const lstmInputGrad: KernelSpec = {
  name: 'lstm_input_grad',
  overrides: { WG_X: 8, WG_Y: 8 },
  bindingBytes: (d) => ({
    w: d.input * 4 * d.hidden * f32Bytes, // the first I rows of the layer's (I+H+1, 4H) block: W_x
    dgates: bytesOf.gates(d),
    dx: d.steps * d.batch * d.input * f32Bytes,
  }),
  params: (d) => ({ rows: d.steps * d.batch, input: d.input, hidden: d.hidden }),
  workgroups: (d, o) => [ceilDiv(ceilDiv(d.input, columnsPerInvocation), o.WG_X), ceilDiv(ceilDiv(d.steps * d.batch, rowsPerInvocation), o.WG_Y), 1],
};
