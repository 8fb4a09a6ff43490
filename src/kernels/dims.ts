// The sizes every kernel spec is written against: one alphabet for all of them, and the byte size of
// every tensor a plan holds (the specs' bindingBytes and the plan's buffers both come from `bytesOf`).
export interface Dims {
  /** B */ batch: number;
  /** T */ steps: number;
  /** I: this layer's input width (the model's input, or the layer below's H). */ input: number;
  /** H: this layer's units. */ hidden: number;
  /** C */ classes: number;
  forgetBias: number;
  /** P: floats in the flat parameter buffer, padding included (the whole model's, whichever layer). */
  params: number;
  /** H of the layer above this one; 0 for the top layer (the head reads it). */
  above: number;
  /** S: the steps the head reads: 1 (h_T, a classifier) or T (every step, a language model). */
  headSteps: number;
  /** Layer 0 reads tokens (symbols below I, one-hot in the equations) rather than I values per step. */
  tokens: boolean;
}

export type Overrides = Record<string, number>;
export type Grid = [number, number, number];

/** What the scheduler needs to know of one shader: the rest (binding kinds, uniform offsets) is reflected. */
export interface KernelSpec<Extra = void> {
  /** The kernel's name (tuning keys by it); also the shader's unless `shader` is given. */
  name: string;
  /** File stem in shaders/ and entry point name, when another spec shares the shader (another schedule). */
  shader?: string;
  /** Default override constants (workgroup sizes); an adapter may be tuned with others. */
  overrides: Overrides;
  /** Minimum bytes of each storage binding, by the WGSL variable's name. */
  bindingBytes(d: Dims): Record<string, number>;
  /** Values of the uniform Params struct's members, by name. */
  params(d: Dims, extra: Extra): Record<string, number>;
  /** Workgroups to dispatch. */
  workgroups(d: Dims, o: Overrides): Grid;
}

export const f32Bytes = 4;
export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
/** xh rows hold [x_t, h_{t-1}, 1]: I + H + 1 floats. */
export const xhWidth = (d: Dims): number => d.input + d.hidden + 1;
/** Bytes of the packed dataset: N*T*I pixel bytes rounded up to whole u32 words. */
export const packedBytes = (n: number): number => Math.ceil(n / 4) * 4;
/** A binding the shader declares but this layer never touches (x_next of the top layer, say). */
export const placeholderBytes = 4;

/** The tensors of a plan, one table: bytes of each for one layer's dims (shared ones at any layer's). */
export const bytesOf = {
  /** (P) parameters, gradients, Adam moments. */
  params: (d: Dims): number => d.params * f32Bytes,
  /** (T+1, B, I+H+1) rows [x_t, h_{t-1}, 1] of one layer. */
  xh: (d: Dims): number => (d.steps + 1) * d.batch * xhWidth(d) * f32Bytes,
  /** (T, B, 4H) gate-sized: xw, activated gates, dgates. */
  gates: (d: Dims): number => d.steps * d.batch * 4 * d.hidden * f32Bytes,
  /** (T+1, B, H) cell states. */
  cs: (d: Dims): number => (d.steps + 1) * d.batch * d.hidden * f32Bytes,
  /** (T, B, H) dh reaching a layer from the one above. */
  sequence: (d: Dims): number => d.steps * d.batch * d.hidden * f32Bytes,
  /** (B, H) dc carried between timesteps. */
  state: (d: Dims): number => d.batch * d.hidden * f32Bytes,
  /** (I+H+1, 4H) one layer's block of the parameter buffer. */
  layerBlock: (d: Dims): number => xhWidth(d) * 4 * d.hidden * f32Bytes,
  /** (H+1, C) the head's block. */
  outputBlock: (d: Dims): number => (d.hidden + 1) * d.classes * f32Bytes,
  /** (S*B, C) logits and their gradient: one row per batch row and head step. */
  logits: (d: Dims): number => d.headSteps * d.batch * d.classes * f32Bytes,
  /** (S*B) u32 labels, one per head row. */
  labels: (d: Dims): number => d.headSteps * d.batch * 4,
  /** (S*B, 2) loss and correct, per head row. */
  stats: (d: Dims): number => d.headSteps * d.batch * 2 * f32Bytes,
  /** (T*B) u32 tokens of a token layer's input. */
  tokens: (d: Dims): number => d.steps * d.batch * 4,
  /** (B) u32 image (or window) numbers. */
  perRow: (d: Dims): number => d.batch * 4,
  /** (T+1, B, H + H_above + 1): the layer above's xh, which this layer's forward cell writes x into. */
  xhAbove: (d: Dims): number => (d.above > 0 ? (d.steps + 1) * d.batch * (d.hidden + d.above + 1) * f32Bytes : placeholderBytes),
  /** (T, B, H) dh from the layer above, read by a layer below the top. */
  dhAbove: (d: Dims): number => (d.above > 0 ? d.steps * d.batch * d.hidden * f32Bytes : placeholderBytes),
};
