// The sizes every kernel spec is written against: one alphabet for all of them.
export interface Dims {
  /** B */ batch: number;
  /** T */ steps: number;
  /** I */ input: number;
  /** H */ hidden: number;
  /** C */ classes: number;
  forgetBias: number;
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
