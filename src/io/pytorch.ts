// Our models as a PyTorch state_dict and back: `nn.LSTM(I, H, num_layers=L, batch_first=True)` named
// `lstm` and `nn.Linear(H, C)` named `fc`, as torch.save's state_dict names them, in safetensors (float32).
//
//   ours (TF BasicLSTMCell)  lstm_{k}/kernel (I_k+H, 4H), lstm_{k}/bias (4H); gates i, j, f, o; forget bias added at run time
//   PyTorch nn.LSTM          lstm.weight_ih_l{k} (4H, I_k), lstm.weight_hh_l{k} (4H, H), lstm.bias_ih_l{k},
//                            lstm.bias_hh_l{k} (4H); gates i, f, g, o (g is our j); both biases added
//   head                     output/kernel (H, C), output/bias (C)  <->  fc.weight (C, H), fc.bias (C)
// (torch.nn.LSTM docs: "weight_ih_l[k]: the learnable input-hidden weights of the k-th layer (W_ii|W_if|W_ig|W_io),
// of shape (4*hidden_size, input_size) for k = 0".)
//
// Export folds the forget bias into the f rows of bias_ih (bias_hh is zero): PyTorch has no forget bias.
// Import sums the two biases and sets forgetBias 0, so the model computes exactly what PyTorch does.
// A token model (a language model) exports as an LSTM over one-hot inputs of V: PyTorch feeds it
// F.one_hot(tokens, V).float(); its head is fc at every step.
import { type Task, defaultTask, taskFromMetadata } from '../data/tasks.ts';
import { type ModelConfig, type Tensors, layerInput, layerTensorNames, outputTensorNames, tensorShapes, topHidden } from '../train/model.ts';
import { UserError } from '../user-error.ts';
import type { NamedTensor } from './safetensors.ts';
import { type GatePositions, fromGateRows, gateRows } from './gate-blocks.ts';

/** Our gate q (i, j, f, o) is PyTorch's gate ptGate[q] (i, f, g, o). */
const ptGate: GatePositions = [0, 2, 1, 3];

export const pytorchNames = {
  weightIh: (k: number) => `lstm.weight_ih_l${k}`,
  weightHh: (k: number) => `lstm.weight_hh_l${k}`,
  biasIh: (k: number) => `lstm.bias_ih_l${k}`,
  biasHh: (k: number) => `lstm.bias_hh_l${k}`,
  fcWeight: 'fc.weight',
  fcBias: 'fc.bias',
};

/** Whether tensor names look like an exported or hand-made PyTorch state_dict of ours. */
export const isPytorchStateDict = (names: string[]): boolean => names.some((n) => /^lstm\.weight_ih_l\d+$/.test(n));

/** The state_dict tensors of a model, in PyTorch's order (layer by layer, then fc). */
export function toPytorchStateDict(m: ModelConfig, p: Tensors): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  m.layers.forEach((H, k) => {
    const G = 4 * H;
    const { wx, wh, bias } = gateRows(m, p, k, ptGate);
    out[pytorchNames.weightIh(k)] = { shape: [G, layerInput(m, k)], data: wx };
    out[pytorchNames.weightHh(k)] = { shape: [G, H], data: wh };
    out[pytorchNames.biasIh(k)] = { shape: [G], data: bias };
    out[pytorchNames.biasHh(k)] = { shape: [G], data: new Float32Array(G) };
  });
  const H = topHidden(m);
  const C = m.classes;
  const kernel = p[outputTensorNames.kernel];
  const fc = new Float32Array(C * H);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) fc[c * H + h] = kernel[h * C + c];
  out[pytorchNames.fcWeight] = { shape: [C, H], data: fc };
  out[pytorchNames.fcBias] = { shape: [C], data: Float32Array.from(p[outputTensorNames.bias]) };
  return out;
}

/**
 * A state_dict of `nn.LSTM` + `nn.Linear` as our parameters: the layer sizes from the shapes, forgetBias 0
 * (the f rows carry PyTorch's biases). `steps` is not in a state_dict: the caller gives it (the task's).
 * Missing, extra or misshapen tensors, a bidirectional or projected LSTM, are refused naming the tensor.
 */
export function fromPytorchStateDict(tensors: Record<string, NamedTensor>, steps: number, fileName: string): { config: ModelConfig; params: Tensors } {
  const fail = (problem: string): never => {
    throw new UserError(`${fileName}: ${problem}. A PyTorch state_dict of nn.LSTM(I, H, num_layers=L, batch_first=True) named lstm and nn.Linear(H, C) named fc is expected (npm run export -- --to pytorch writes one).`);
  };
  const names = Object.keys(tensors);
  const odd = names.find((n) => /_reverse$/.test(n) || /^lstm\.weight_hr_l/.test(n));
  if (odd) fail(odd.endsWith('_reverse') ? `tensor "${odd}" belongs to a bidirectional LSTM, which this engine does not run` : `tensor "${odd}" belongs to an LSTM with projections (proj_size), which this engine does not run`);
  const layers: number[] = [];
  let inputSize = 0;
  for (let k = 0; tensors[pytorchNames.weightIh(k)] !== undefined; k++) {
    const wih = tensors[pytorchNames.weightIh(k)];
    if (wih.shape.length !== 2 || wih.shape[0] % 4 !== 0 || wih.shape[0] === 0) fail(`tensor "${pytorchNames.weightIh(k)}" has shape [${wih.shape}], expected (4H, I)`);
    const H = wih.shape[0] / 4;
    const I = wih.shape[1];
    if (k === 0) inputSize = I;
    else if (I !== layers[k - 1]) fail(`tensor "${pytorchNames.weightIh(k)}" reads ${I} inputs, but layer ${k - 1} has ${layers[k - 1]} units`);
    const expect = (name: string, shape: number[]): void => {
      const t = tensors[name];
      if (!t) fail(`tensor "${name}" is missing (expected shape [${shape}])`);
      if (t.shape.join() !== shape.join()) fail(`tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
    };
    expect(pytorchNames.weightHh(k), [4 * H, H]);
    expect(pytorchNames.biasIh(k), [4 * H]);
    expect(pytorchNames.biasHh(k), [4 * H]);
    layers.push(H);
  }
  if (layers.length === 0) fail(`no tensor "${pytorchNames.weightIh(0)}"`);
  const fcw = tensors[pytorchNames.fcWeight];
  if (!fcw) fail(`tensor "${pytorchNames.fcWeight}" is missing (expected shape [C, ${layers.at(-1)}])`);
  if (fcw.shape.length !== 2 || fcw.shape[1] !== layers.at(-1)) fail(`tensor "${pytorchNames.fcWeight}" has shape [${fcw.shape}], expected [C, ${layers.at(-1)}]`);
  const C = fcw.shape[0];
  const fcb = tensors[pytorchNames.fcBias];
  if (!fcb) fail(`tensor "${pytorchNames.fcBias}" is missing (expected shape [${C}])`);
  if (fcb.shape.join() !== String(C)) fail(`tensor "${pytorchNames.fcBias}" has shape [${fcb.shape}], expected [${C}]`);
  const known = new Set([pytorchNames.fcWeight, pytorchNames.fcBias, ...layers.flatMap((_, k) => [pytorchNames.weightIh(k), pytorchNames.weightHh(k), pytorchNames.biasIh(k), pytorchNames.biasHh(k)])]);
  const extra = names.filter((n) => !known.has(n));
  if (extra.length > 0) fail(`unexpected tensors ${extra.map((n) => `"${n}"`).join(', ')}`);

  const config: ModelConfig = { steps, inputSize, layers, classes: C, forgetBias: 0 };
  const params: Tensors = {};
  layers.forEach((H, k) => {
    const bih = tensors[pytorchNames.biasIh(k)].data;
    const bhh = tensors[pytorchNames.biasHh(k)].data;
    const bias = bih.map((b, row) => b + bhh[row]); // one bias: the sum, rounded once to float32
    const { kernel, bias: ours } = fromGateRows(tensors[pytorchNames.weightIh(k)].data, tensors[pytorchNames.weightHh(k)].data, bias, layerInput(config, k), H, ptGate);
    params[layerTensorNames(k).kernel] = kernel;
    params[layerTensorNames(k).bias] = ours;
  });
  const H = layers[layers.length - 1];
  const kernel = new Float32Array(H * C);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) kernel[h * C + c] = fcw.data[c * H + h];
  params[outputTensorNames.kernel] = kernel;
  params[outputTensorNames.bias] = Float32Array.from(fcb.data);
  const shapes = tensorShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    if (params[name].length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`fromPytorchStateDict: ${name} has the wrong size`);
  }
  return { config, params };
}

/**
 * A PyTorch state_dict file as a model to evaluate, sample or train on: the steps and task from its metadata
 * when we wrote it (npm run export), else from its input width: 28 pixels a step is MNIST's rows (T=28), 1 is
 * pixel-by-pixel MNIST (T=784). A text model needs the metadata (its vocabulary).
 */
export function pytorchModel(
  tensors: Record<string, NamedTensor>, metadata: Record<string, string>, fileName: string,
): { config: ModelConfig; params: Tensors; metadata: Record<string, string>; task: Task } {
  const parsed = taskFromMetadata(metadata);
  if ('problem' in parsed) throw new UserError(`${fileName}: ${parsed.problem}`);
  const inputSize = tensors[pytorchNames.weightIh(0)]?.shape[1];
  const task: Task = Object.hasOwn(metadata, 'task') ? parsed as Task : inputSize === 1 ? { name: 'pixel-mnist' } : defaultTask;
  const stated = Number(metadata.steps);
  const steps = Number.isSafeInteger(stated) && stated >= 1 ? stated : task.name === 'pixel-mnist' ? 784 : 28;
  const { config, params } = fromPytorchStateDict(tensors, steps, fileName);
  if (task.name === 'text') {
    const V = task.vocabulary?.length;
    if (config.inputSize !== V || config.classes !== V) throw new UserError(`${fileName}: a text model of ${V} characters needs nn.LSTM(${V}, H) and nn.Linear(H, ${V}), not ${config.inputSize} inputs and ${config.classes} outputs`);
    config.input = 'tokens';
    config.outputs = 'every';
  }
  return { config, params, metadata, task };
}
