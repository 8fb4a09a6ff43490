// The tutorial's initialisation: each layer's kernel glorot-uniform over fan_in = I_k+H_k, fan_out = 4H_k;
// its bias zero; output/kernel and output/bias standard normal (std 1, tf.random_normal). Seeded: one
// stream drawn layer by layer bottom-up, then the head (a one-layer model draws exactly as before stacks).
import { type ModelConfig, type Tensors, layerInput, layerTensorNames, outputTensorNames, tensorShapes, tensorSize } from './model.ts';
import { createRng } from './rng.ts';

export function initParams(m: ModelConfig, seed: number): Tensors {
  const rng = createRng(seed);
  const shapes = tensorShapes(m);
  const out: Tensors = {};
  m.layers.forEach((h, k) => {
    const names = layerTensorNames(k);
    const limit = Math.sqrt(6 / (layerInput(m, k) + h + 4 * h));
    const kernel = new Float32Array(tensorSize(shapes[names.kernel]));
    for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rng.next() - 1) * limit;
    out[names.kernel] = kernel;
    out[names.bias] = new Float32Array(4 * h);
  });
  const outKernel = new Float32Array(tensorSize(shapes[outputTensorNames.kernel]));
  for (let i = 0; i < outKernel.length; i++) outKernel[i] = rng.normal();
  const outBias = new Float32Array(m.classes);
  for (let i = 0; i < outBias.length; i++) outBias[i] = rng.normal();
  out[outputTensorNames.kernel] = outKernel;
  out[outputTensorNames.bias] = outBias;
  return out;
}
