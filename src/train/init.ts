// The tutorial's initialisation: lstm/kernel glorot-uniform over fan_in = I+H, fan_out = 4H; lstm/bias
// zero; output/kernel and output/bias standard normal (std 1, tf.random_normal). Seeded.
import { type ModelConfig, type Tensors, tensorShapes, tensorSize } from './model.ts';
import { createRng } from './rng.ts';

export function initParams(m: ModelConfig, seed: number): Tensors {
  const rng = createRng(seed);
  const shapes = tensorShapes(m);
  const limit = Math.sqrt(6 / (m.inputSize + m.hidden + 4 * m.hidden));
  const kernel = new Float32Array(tensorSize(shapes['lstm/kernel']));
  for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rng.next() - 1) * limit;
  const outKernel = new Float32Array(tensorSize(shapes['output/kernel']));
  for (let i = 0; i < outKernel.length; i++) outKernel[i] = rng.normal();
  const outBias = new Float32Array(m.classes);
  for (let i = 0; i < outBias.length; i++) outBias[i] = rng.normal();
  return {
    'lstm/kernel': kernel,
    'lstm/bias': new Float32Array(4 * m.hidden),
    'output/kernel': outKernel,
    'output/bias': outBias,
  };
}
