import { paramFloats } from './adam.ts';
import type { KernelSpec } from './dims.ts';

/** Bytes of the { norm: f32, bad_step: u32 } status that grad_norm and adam share. */
export const statusBytes = 8;

export const gradNorm: KernelSpec = {
  name: 'grad_norm',
  overrides: { WG_X: 256 },
  bindingBytes: (d) => ({ grads: paramFloats(d) * 4, status: statusBytes }),
  params: (d) => ({ count: paramFloats(d) / 4 }),
  workgroups: () => [1, 1, 1],
};
