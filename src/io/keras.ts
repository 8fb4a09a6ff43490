// Keras models in HDF5 as our models, and ours as a Keras 3 `.weights.h5`. HDF5 through h5wasm (usnistgov:
// the HDF5 C library compiled to WebAssembly; reads and writes, in Node and the browser alike, from bytes in
// its in-memory file system; jsfive only reads), imported only when a file starts with HDF5's signature.
//
//   Keras LSTMCell   kernel (I, 4U), recurrent_kernel (U, 4U), bias (4U); gate blocks i, f, c, o;
//                    c' = s(f) c + s(i) tanh(c~), h' = s(o) tanh(c'), s = recurrent_activation (sigmoid)
//   ours             lstm_{k}/kernel (I+U, 4U) = [kernel; recurrent_kernel] with its gate blocks in order
//                    i, j, f, o (j = Keras's c), lstm_{k}/bias (4U), forget bias added at run time
//   Dense            kernel (U, C), bias (C)  =  output/kernel, output/bias (the same layout)
// Import sets forgetBias 0 (Keras's bias already holds what unit_forget_bias put in); export folds our
// forget bias into the f block of the Keras bias. Our logits are the Dense layer's pre-activation: a softmax
// after it (Dense activation or Activation layer) is accepted, since we train with softmax cross-entropy.
//
// The files, as the Keras sources write them (read at keras-team/keras 3422977 and tf-keras dd0a723):
//   Keras 2 model.save('m.h5') (keras-team/tf-keras tf_keras/saving/legacy/hdf5_format.py save_model_to_hdf5,
//     and Keras 3's keras/src/legacy/saving/legacy_h5_format.py): root attrs keras_version, backend and
//     model_config (JSON: class_name Sequential or Functional, config.layers[] of {class_name, config}), group
//     model_weights; save_weights_to_hdf5_group gives it attr layer_names (model.layers in order), one group
//     per layer with attr weight_names (Keras 2 the variables' names, 'lstm/lstm_cell/kernel:0'...; Keras 3
//     their .path) and a dataset at each of those paths inside the layer's group: the last part says its role.
//   Keras 2 model.save_weights('m.h5'): the same layer groups and layer_names at the root; no model_config,
//     so the kinds of layers come from their weights (an LSTM's recurrent_kernel is (U, 4U), a GRU's (U, 3U)).
//   Keras 3 model.save_weights('m.weights.h5') (keras-team/keras keras/src/saving/saving_lib.py
//     save_weights_only -> _save_state, _save_container_state, H5IOStore.make): group layers/ with one group
//     per layer named by its class in snake case made unique in model.layers order (lstm, lstm_1, dense:
//     not the layer's own name, which Keras >= 3.6 keeps in attr `name` of each vars group); each object's
//     variables in <path>/vars/0, 1... (Layer.save_own_variables: trainable, then non-trainable). An LSTM's
//     are its cell's: layers/lstm/cell/vars/0 kernel, 1 recurrent_kernel, 2 bias; Dense layers/dense/vars/0
//     kernel, 1 bias. A weights file names no activations: Keras's defaults (tanh, sigmoid) are assumed.
import type { Dataset, Group } from 'h5wasm';
import { type Task, defaultTask, taskFromMetadata, taskMetadata } from '../data/tasks.ts';
import { type ModelConfig, type Tensors, layerInput, layerTensorNames, outputTensorNames, topHidden } from '../train/model.ts';
import { UserError } from '../user-error.ts';
import type { LoadedModel } from './model-file.ts';
import { type GatePositions, fromGateRows, gateRows, transpose } from './gate-blocks.ts';

/** Our gate q (i, j, f, o) is Keras's gate block kerasGate[q] (i, f, c, o); the map is its own inverse. */
const kerasGate: GatePositions = [0, 2, 1, 3];
const hdf5Signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const expected = 'A Keras model of stacked LSTM layers and one Dense head (an InputLayer, Dropout and a softmax allowed) is expected, ' +
  'saved by model.save(\'m.h5\') or model.save_weights(\'m.weights.h5\')';

/** Whether the bytes start with HDF5's signature (\x89HDF\r\n\x1a\n), as Keras's .h5 files do. */
export const isHdf5 = (bytes: Uint8Array): boolean => bytes.length >= 8 && hdf5Signature.every((b, i) => bytes[i] === b);

type H5 = typeof import('h5wasm').default;
type H5Module = Awaited<H5['ready']>;
let h5wasm: Promise<{ h5: H5; module: H5Module }> | undefined;
let tempFiles = 0;

/** h5wasm, loaded at first use; HDF5's errors thrown as exceptions rather than printed. */
function loadH5wasm(): Promise<{ h5: H5; module: H5Module }> {
  h5wasm ??= import('h5wasm').then(async ({ default: h5 }) => {
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return { h5, module };
  });
  return h5wasm;
}

/** The Keras model in an HDF5 file, as our model; refusals name the layer or tensor and what was expected. */
export async function kerasModel(bytes: Uint8Array, fileName: string): Promise<LoadedModel> {
  const fail = (problem: string): never => {
    throw new UserError(`${fileName}: ${problem}. ${expected}.`);
  };
  const { h5, module } = await loadH5wasm();
  const path = `/webgpu-lstm-${++tempFiles}.h5`;
  module.FS.writeFile(path, bytes);
  let file: InstanceType<H5['File']> | undefined;
  try {
    file = new h5.File(path, 'r');
    const read = readKerasFile(file, fail);
    return modelOf(read, fail);
  } catch (e) {
    if (e instanceof UserError || !/HDF5-DIAG/.test(String((e as Error).message))) throw e;
    // HDF5's error stack: its innermost line says what was wrong ("truncated file: eof = ...").
    const detail = String((e as Error).message).match(/in \w+\(\): ([^\n]+)\n[^#]*$/)?.[1] ?? 'not a readable HDF5 file';
    throw new UserError(`${fileName}: HDF5 cannot read it (${detail}): the file is damaged or cut short; save it from Keras again`);
  } finally {
    try {
      file?.close();
    } finally {
      module.FS.unlink(path);
    }
  }
}

/** One weight of a Keras layer: its path in the file, its role (kernel, recurrent_kernel, bias...) and values. */
interface KerasWeight {
  path: string;
  role: string;
  shape: number[];
  data: Float32Array;
}

interface KerasLayer {
  name: string;
  /** The Keras class (LSTM, Dense...): from model_config or the Keras 3 group name; absent in a Keras 2 weights file. */
  className?: string;
  config?: Record<string, unknown>;
  weights: KerasWeight[];
}

interface KerasFile {
  layout: string;
  layers: KerasLayer[];
  /** String attributes at the file's root (ours: source, timesteps and the task, when we wrote it). */
  attrs: Record<string, string>;
  /** The weights read from float64, for the note. */
  converted: string[];
}

type Fail = (problem: string) => never;

function readKerasFile(file: Group, fail: Fail): KerasFile {
  const attrs: Record<string, string> = {};
  for (const name of Object.keys(file.attrs)) {
    const v = file.attrs[name].value;
    if (typeof v === 'string') attrs[name] = v;
  }
  const converted: string[] = [];
  const modelWeights = child(file, 'model_weights');
  if (modelWeights && isGroup(modelWeights)) return { layout: 'Keras model.save .h5', layers: readLegacy(file, modelWeights, converted, fail), attrs, converted };
  if (stringList(file, 'layer_names') !== undefined) return { layout: 'Keras 2 save_weights .h5', layers: readLegacy(file, file, converted, fail), attrs, converted };
  for (const key of ['layers', '_layer_checkpoint_dependencies']) {
    const layers = child(file, key);
    if (layers && isGroup(layers)) return { layout: 'Keras 3 .weights.h5', layers: readKeras3(layers, key, converted, fail), attrs, converted };
  }
  const top = file.keys();
  return fail(
    `an HDF5 file, but not a Keras model: no group "model_weights" (model.save('m.h5')), no attribute "layer_names" (save_weights('m.h5')) ` +
      `and no group "layers" (Keras 3 save_weights('m.weights.h5')); its top level holds ${top.length > 0 ? top.map((k) => `"${k}"`).join(', ') : 'nothing'}`,
  );
}

/** Keras 2 (and Keras 3's legacy) layout: layer_names in order, each layer's weight_names, model_config if saved whole. */
function readLegacy(file: Group, root: Group, converted: string[], fail: Fail): KerasLayer[] {
  const names = stringList(root, 'layer_names') ?? fail(`group "${root.path}" has no attribute "layer_names"`);
  const weightsOf = (name: string): KerasWeight[] => {
    const group = child(root, name);
    if (!group || !isGroup(group)) return fail(`layer "${name}" is in layer_names but has no group "${name}"`);
    return (stringList(group, 'weight_names') ?? []).map((path) => {
      const found = child(group, path);
      if (!found || !isDataset(found)) return fail(`layer "${name}": weight "${path}" is in its weight_names but not in the file`);
      return readWeight(found, path, path, converted, fail);
    });
  };
  const weights = new Map(names.map((name) => [name, weightsOf(name)]));
  const json = file.attrs.model_config?.value;
  if (typeof json !== 'string') return names.map((name) => ({ name, weights: weights.get(name)! }));
  const layers = configLayers(json, fail);
  const inConfig = new Set(layers.map((l) => l.name));
  const stray = names.find((n) => !inConfig.has(n) && weights.get(n)!.length > 0);
  if (stray !== undefined) fail(`layer "${stray}" has weights in model_weights but is not in model_config`);
  return layers.map((l) => ({ ...l, weights: weights.get(l.name) ?? [] }));
}

/** model_config's layers in order: {class_name, config: {name, ...}} (Sequential and Functional alike). */
function configLayers(json: string, fail: Fail): KerasLayer[] {
  let model: unknown;
  try {
    model = JSON.parse(json);
  } catch {
    return fail('attribute "model_config" is not valid JSON');
  }
  const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});
  const config = record(model).config;
  // Keras 2.0-2.2 wrote a Sequential's config as the list of layers itself.
  const list = Array.isArray(config) ? config : record(config).layers;
  if (!Array.isArray(list)) return fail('attribute "model_config" has no list of layers (config.layers)');
  return list.map((entry, n) => {
    const e = record(entry);
    const c = record(e.config);
    const name = typeof c.name === 'string' ? c.name : typeof e.name === 'string' ? e.name : `#${n}`;
    return { name, className: typeof e.class_name === 'string' ? e.class_name : '?', config: c, weights: [] };
  });
}

/** Keras 3 class names of the snake-case group names saving_lib gives layers. */
const keras3Classes: Record<string, string> = {
  lstm: 'LSTM', dense: 'Dense', input_layer: 'InputLayer', dropout: 'Dropout', activation: 'Activation', gru: 'GRU',
  simple_rnn: 'SimpleRNN', bidirectional: 'Bidirectional', masking: 'Masking', embedding: 'Embedding', time_distributed: 'TimeDistributed',
};
/** Where each kind's variables live in Keras 3, and their roles in Layer.save_own_variables order. */
const keras3Vars: Record<string, { at: string; roles: string[] }> = {
  LSTM: { at: 'cell/vars', roles: ['kernel', 'recurrent_kernel', 'bias'] },
  Dense: { at: 'vars', roles: ['kernel', 'bias'] },
};

/** Keras 3 layout: layers/<snake_class>[_n]; LSTMs in their order lstm, lstm_1..., then the head. */
function readKeras3(layers: Group, at: string, converted: string[], fail: Fail): KerasLayer[] {
  const order = (key: string): number[] => {
    const [, base, n] = key.match(/^(.*?)(?:_(\d+))?$/) ?? [];
    const rank = { input_layer: 0, lstm: 1, dense: 2 }[base] ?? 3;
    return [rank, Number(n ?? 0)];
  };
  const keys = layers.keys().sort((a, b) => {
    const [ra, na] = order(a);
    const [rb, nb] = order(b);
    return ra - rb || na - nb || a.localeCompare(b);
  });
  return keys.map((key) => {
    const group = child(layers, key);
    if (!group || !isGroup(group)) return fail(`"${at}/${key}" is not a group`);
    const base = key.replace(/_\d+$/, '');
    const className = keras3Classes[base] ?? `${key} (group ${at}/${key})`;
    const own = child(group, 'vars');
    const named = own && isGroup(own) ? own.attrs.name?.value : undefined;
    const name = typeof named === 'string' ? named : key;
    const spec = keras3Vars[className];
    if (!spec) return { name, className, weights: [] };
    const vars = child(group, spec.at);
    if (!vars || !isGroup(vars)) return fail(`layer "${name}" (${className}, group ${at}/${key}) has no group "${spec.at}" holding its weights`);
    const extra = vars.keys().filter((k) => !spec.roles.some((_, i) => String(i) === k));
    if (extra.length > 0) return fail(`layer "${name}" (${className}): unexpected weights ${extra.map((k) => `"${vars.path}/${k}"`).join(', ')} (expected ${spec.roles.map((r, i) => `${i} ${r}`).join(', ')})`);
    if (spec.at !== 'vars' && own && isGroup(own) && own.keys().length > 0) {
      return fail(`layer "${name}" (${className}): unexpected weights in "${own.path}" (an LSTM's weights are its cell's, in ${spec.at})`);
    }
    const weights = spec.roles.flatMap((role, i) => {
      const d = child(vars, String(i));
      return d && isDataset(d) ? [readWeight(d, `${vars.path}/${i}`, role, converted, fail)] : [];
    });
    return { name, className, weights };
  });
}

/** A float32 or float64 dataset as float32 (float64 rounded to nearest; past float32's range refused). */
function readWeight(d: Dataset, path: string, roleFrom: string, converted: string[], fail: Fail): KerasWeight {
  const role = roleFrom.split('/').pop()!.replace(/:\d+$/, '');
  const meta = d.metadata;
  const shape = d.shape ?? [];
  const size = shape.reduce((a, b) => a * b, 1);
  if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8) || !meta.littleEndian) {
    fail(`weight "${path}" is stored as ${JSON.stringify(d.dtype)}, expected little-endian float32 or float64`);
  }
  const value = d.value;
  if (!(value instanceof Float32Array || value instanceof Float64Array) || value.length !== size) {
    return fail(`weight "${path}" of shape [${shape}] could not be read as ${size} floats`);
  }
  if (value instanceof Float32Array) return { path, role, shape, data: value };
  const big = value.findIndex((v) => Number.isFinite(v) && Math.abs(v) > 3.4028235677973366e38);
  if (big >= 0) fail(`weight "${path}" holds ${value[big]} at ${big}, beyond float32's range`);
  converted.push(path);
  return { path, role, shape, data: Float32Array.from(value) };
}

/** An LSTM layer as our tensors read it, or the head. */
interface LstmLayer {
  layer: KerasLayer;
  units: number;
  kernel: KerasWeight;
  recurrent: KerasWeight;
  bias?: KerasWeight;
}

/** The layers as our model: InputLayer?, LSTM+, Dense, with Dropout anywhere and a softmax at the end. */
function modelOf(file: KerasFile, fail: Fail): LoadedModel {
  const lstms: LstmLayer[] = [];
  let head: { layer: KerasLayer; kernel: KerasWeight; bias?: KerasWeight } | undefined;
  let statedSteps: number | undefined;
  let statedInputs: { layer: string; size: number } | undefined;
  const said = (l: KerasLayer): string => `layer "${l.name}" (${l.className ?? kindOf(l)})`;
  // A layer we cannot run is named first, wherever it stands (a Keras 3 weights file does not record the order).
  for (const layer of file.layers) {
    const kind = layer.className ?? kindOf(layer);
    if (kind === 'TimeDistributed') fail(everyStep(`${said(layer)} applies its layer at every step`));
    if (!runnable.has(kind)) fail(`${said(layer)} is not a layer this engine runs${unsupported[kind] ?? ''}`);
  }
  for (const layer of file.layers) {
    const kind = layer.className ?? kindOf(layer);
    const shape = inputShape(layer.config);
    // The model's input shape [batch, T, I]: its InputLayer's, or its first layer's.
    if (shape && typeof shape[1] === 'number') statedSteps ??= shape[1];
    if (shape && typeof shape[2] === 'number') statedInputs ??= { layer: layer.name, size: shape[2] };
    switch (kind) {
      case 'InputLayer':
      case 'Dropout': // inactive at inference; fine-tuning here trains without it
      case 'weightless': // a layer of a weights file that holds no weights (Dropout, Activation...)
        break;
      case 'LSTM':
        if (head) fail(`${said(layer)} comes after the Dense head "${head.layer.name}"`);
        lstms.push(lstmLayer(layer, lstms.at(-1), fail));
        break;
      case 'Dense': {
        if (head) fail(`${said(layer)} is a second Dense layer after "${head.layer.name}": this engine's head is one Dense layer`);
        const last = lstms.at(-1) ?? fail(`${said(layer)} comes before any LSTM layer`);
        if (last.layer.config?.return_sequences === true) fail(everyStep(`the last LSTM "${last.layer.name}" has return_sequences=True, so the Dense head reads every step`));
        checkHeadActivation(layer, fail);
        head = denseLayer(layer, last.units, fail);
        break;
      }
      case 'Activation':
        if (!head) fail(`${said(layer)} comes before the Dense head: only a softmax after the head is accepted`);
        checkHeadActivation(layer, fail);
        break;
    }
  }
  if (lstms.length === 0) fail('no LSTM layer');
  if (!head) return fail(`no Dense layer after the last LSTM "${lstms.at(-1)!.layer.name}"`);
  lstms.slice(0, -1).forEach((l) => {
    if (l.layer.config?.return_sequences === false) fail(`${said(l.layer)} has return_sequences=False, yet the LSTM above it reads its every step`);
  });
  const inputSize = lstms[0].kernel.shape[0];
  if (statedInputs && statedInputs.size !== inputSize) {
    fail(`layer "${statedInputs.layer}" gives inputs of ${statedInputs.size} features, but weight "${lstms[0].kernel.path}" reads ${inputSize}`);
  }
  const config: ModelConfig = { steps: 1, inputSize, layers: lstms.map((l) => l.units), classes: head.kernel.shape[1], forgetBias: 0 };
  // Our export says its steps and task; else the steps from the model's input shape, or from its width as
  // pytorch.ts reads a bare state_dict: 28 pixels a step is MNIST's rows (T=28), 1 is pixel by pixel (T=784).
  const ours = file.attrs.source === 'webgpu-lstm' ? file.attrs : {};
  const parsed = taskFromMetadata(ours);
  if ('problem' in parsed) fail(parsed.problem);
  const task: Task = Object.hasOwn(ours, 'task') ? parsed as Task : inputSize === 1 ? { name: 'pixel-mnist' } : defaultTask;
  const timesteps = Number(ours.timesteps);
  config.steps = Number.isSafeInteger(timesteps) && timesteps >= 1 ? timesteps : statedSteps ?? (task.name === 'pixel-mnist' ? 784 : 28);
  if (task.name === 'text') {
    const V = task.vocabulary?.length;
    if (config.inputSize !== V || config.classes !== V) fail(`a text model of ${V} characters needs LSTM inputs of ${V} and Dense(${V}), not ${config.inputSize} inputs and ${config.classes} outputs`);
    config.input = 'tokens';
    config.outputs = 'every';
  }
  const params = paramsOf(config, lstms, head);
  const metadata: Record<string, string> = { format: 'keras', layout: file.layout };
  for (const key of ['keras_version', 'backend'] as const) if (file.attrs[key] !== undefined) metadata[key] = file.attrs[key];
  const n = file.converted.length;
  const conversion = n > 0 ? `converted ${n} weight${n > 1 ? 's' : ''} from float64 to float32 (rounded to the nearest float32)` : undefined;
  return { config, params, metadata, task, conversion };
}

/** What a layer of a Keras 2 weights file (no model_config) is, from its weights' roles and shapes. */
function kindOf(layer: KerasLayer): string {
  const w = layer.weights;
  if (w.length === 0) return 'weightless';
  const roles = w.map((x) => x.role);
  const recurrent = w.find((x) => x.role === 'recurrent_kernel');
  if (recurrent) {
    if (roles.filter((r) => r === 'kernel').length > 1 || w.some((x) => /(^|\/)(forward|backward)_/.test(x.path))) return 'Bidirectional';
    const [U, G] = recurrent.shape;
    return G === 4 * U ? 'LSTM' : G === 3 * U ? 'GRU' : G === U ? 'SimpleRNN' : `a recurrent layer with recurrent_kernel [${recurrent.shape}]`;
  }
  if (roles.includes('kernel') && roles.every((r) => r === 'kernel' || r === 'bias') && w.find((x) => x.role === 'kernel')!.shape.length === 2) return 'Dense';
  if (roles.includes('embeddings')) return 'Embedding';
  return `a layer of weights ${w.map((x) => `"${x.path}"`).join(', ')}`;
}

/** The kinds of layers a model may hold ('weightless': a layer of a Keras 2 weights file without weights). */
const runnable = new Set(['InputLayer', 'Dropout', 'weightless', 'LSTM', 'Dense', 'Activation']);

/** Why a kind is refused, where there is more to say than its name. */
const unsupported: Record<string, string> = {
  GRU: ': a GRU cell (3 weight blocks, no cell state) computes another function than an LSTM cell',
  SimpleRNN: ': a SimpleRNN cell has no gates',
  Bidirectional: ': it also reads the sequence backwards',
  Masking: ': this engine reads every step of every sequence',
  Embedding: ': this engine\'s language models read one-hot symbols straight into the LSTM',
  CuDNNLSTM: ': its weights carry two biases; rebuild it as LSTM (which loads CuDNNLSTM weights) and save again',
};

function everyStep(what: string): string {
  return `${what} (outputs (N, T, C)): this engine runs an every-step head only in a character language model, whose vocabulary a ` +
    'Keras file does not hold; for a classifier of whole sequences set return_sequences=False on the last LSTM, put Dense on it, and save again';
}

/** [batch, T, I] from an InputLayer (batch_input_shape in Keras 2, batch_shape in Keras 3) or a first layer's config. */
function inputShape(config: Record<string, unknown> | undefined): (number | null)[] | undefined {
  const shape = config?.batch_input_shape ?? config?.batch_shape;
  return Array.isArray(shape) && shape.length === 3 ? shape as (number | null)[] : undefined;
}

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

function checkHeadActivation(layer: KerasLayer, fail: Fail): void {
  const a = layer.config?.activation;
  if (a !== undefined && a !== 'linear' && a !== 'softmax') {
    fail(`layer "${layer.name}" (${layer.className}) applies activation ${show(a)}: this engine's head gives logits trained with softmax cross-entropy, so only "linear" or "softmax" can be imported`);
  }
}

function lstmLayer(layer: KerasLayer, below: LstmLayer | undefined, fail: Fail): LstmLayer {
  const c = layer.config ?? {};
  const said = `layer "${layer.name}" (LSTM)`;
  if (c.recurrent_activation !== undefined && c.recurrent_activation !== 'sigmoid') {
    fail(`${said} has recurrent_activation ${show(c.recurrent_activation)}, and this engine's gates use the logistic sigmoid: converting is not exact, ` +
      'so set recurrent_activation="sigmoid" (Keras\'s default) in Keras, retrain or fine-tune it there, and save again');
  }
  if (c.activation !== undefined && c.activation !== 'tanh') fail(`${said} has activation ${show(c.activation)}; this engine's cell uses tanh (Keras's default)`);
  if (c.go_backwards === true) fail(`${said} has go_backwards=True (it reads the sequence last step first); this engine reads it first step first`);
  const get = (role: string): KerasWeight | undefined => layer.weights.find((w) => w.role === role);
  const extra = layer.weights.find((w) => !['kernel', 'recurrent_kernel', 'bias'].includes(w.role));
  if (extra) fail(`${said} has an unexpected weight "${extra.path}" (an LSTM has kernel, recurrent_kernel and bias)`);
  const recurrent = get('recurrent_kernel') ?? fail(`${said} has no weight recurrent_kernel (expected shape (U, 4U))`);
  const U = typeof c.units === 'number' ? c.units : recurrent.shape[0];
  const kernel = get('kernel') ?? fail(`${said} has no weight kernel (expected shape (I, ${4 * U}))`);
  const I = below?.units ?? kernel.shape[0];
  expectShape(said, recurrent, [U, 4 * U], fail);
  expectShape(said, kernel, [I, 4 * U], fail);
  const bias = get('bias');
  if (bias) expectShape(said, bias, [4 * U], fail);
  // A weights file without a config: no bias means use_bias=False, as does the config's use_bias.
  else if (layer.config && c.use_bias !== false) fail(`${said} has no weight bias (expected shape [${4 * U}])`);
  return { layer, units: U, kernel, recurrent, bias };
}

function denseLayer(layer: KerasLayer, H: number, fail: Fail): { layer: KerasLayer; kernel: KerasWeight; bias?: KerasWeight } {
  const said = `layer "${layer.name}" (Dense)`;
  const extra = layer.weights.find((w) => w.role !== 'kernel' && w.role !== 'bias');
  if (extra) fail(`${said} has an unexpected weight "${extra.path}" (a Dense layer has kernel and bias)`);
  const kernel = layer.weights.find((w) => w.role === 'kernel') ?? fail(`${said} has no weight kernel (expected shape (${H}, C))`);
  if (kernel.shape.length !== 2 || kernel.shape[0] !== H || kernel.shape[1] < 1) fail(`${said}: weight "${kernel.path}" has shape [${kernel.shape}], expected [${H}, C] (the last LSTM has ${H} units)`);
  const C = kernel.shape[1];
  const bias = layer.weights.find((w) => w.role === 'bias');
  if (bias) expectShape(said, bias, [C], fail);
  else if (layer.config && layer.config.use_bias !== false) fail(`${said} has no weight bias (expected shape [${C}])`);
  return { layer, kernel, bias };
}

function expectShape(said: string, w: KerasWeight, shape: number[], fail: Fail): void {
  if (w.shape.join() !== shape.join()) fail(`${said}: weight "${w.path}" has shape [${w.shape}], expected [${shape}]`);
}

function paramsOf(config: ModelConfig, lstms: LstmLayer[], head: { kernel: KerasWeight; bias?: KerasWeight }): Tensors {
  const params: Tensors = {};
  lstms.forEach(({ units: H, kernel: k, recurrent: r, bias: b }, n) => {
    const I = layerInput(config, n);
    const G = 4 * H;
    // Keras's kernel (I, 4U) and recurrent_kernel (U, 4U) as gate rows; use_bias=False is a zero bias.
    const rows = fromGateRows(transpose(k.data, I, G), transpose(r.data, H, G), b ? b.data : new Float32Array(G), I, H, kerasGate);
    params[layerTensorNames(n).kernel] = rows.kernel;
    params[layerTensorNames(n).bias] = rows.bias;
  });
  params[outputTensorNames.kernel] = Float32Array.from(head.kernel.data);
  params[outputTensorNames.bias] = head.bias ? Float32Array.from(head.bias.data) : new Float32Array(config.classes);
  return params;
}

/** The Python that builds the model a `.weights.h5` of ours loads into. */
export function kerasSnippet(m: ModelConfig): string {
  const lstm = m.layers.map((H, k) => `keras.layers.LSTM(${H}${k < m.layers.length - 1 || m.outputs === 'every' ? ', return_sequences=True' : ''})`);
  return `keras.Sequential([keras.Input((${m.steps}, ${m.inputSize})), ${lstm.join(', ')}, keras.layers.Dense(${m.classes})])`;
}

/**
 * Our model as a Keras 3 `.weights.h5` for kerasSnippet(m)'s model (`model.load_weights(path)`): the layout
 * of Keras >= 3.6's save_weights (vars groups named in attr `name`), float32, the forget bias folded into
 * the f block. Root attributes (which Keras does not read) say where it came from, its steps and task.
 */
export async function toKerasWeightsH5(m: ModelConfig, p: Tensors, task: Task): Promise<Uint8Array> {
  const { h5, module } = await loadH5wasm();
  const path = `/webgpu-lstm-${++tempFiles}.h5`;
  const file = new h5.File(path, 'w');
  try {
    for (const [k, v] of Object.entries({ source: 'webgpu-lstm', timesteps: String(m.steps), ...taskMetadata(task) })) file.create_attribute(k, v);
    file.create_group('vars').create_attribute('name', 'sequential');
    const layers = file.create_group('layers');
    const entry = (parent: Group, name: string, label: string, arrays: [Float32Array, number[]][]): void => {
      const vars = parent.create_group(name).create_group('vars');
      vars.create_attribute('name', label);
      arrays.forEach(([data, shape], i) => vars.create_dataset({ name: String(i), data, shape, dtype: '<f' }));
    };
    m.layers.forEach((H, n) => {
      const key = n === 0 ? 'lstm' : `lstm_${n}`;
      const I = layerInput(m, n);
      const G = 4 * H;
      // Keras keeps kernel (I, 4U) and recurrent_kernel (U, 4U): the gate rows transposed back.
      const { wx, wh, bias } = gateRows(m, p, n, kerasGate);
      entry(layers, key, key, []);
      entry(layers.get(key) as Group, 'cell', 'lstm_cell', [[transpose(wx, G, I), [I, G]], [transpose(wh, G, H), [H, G]], [bias, [G]]]);
    });
    entry(layers, 'dense', 'dense', [[Float32Array.from(p[outputTensorNames.kernel]), [topHidden(m), m.classes]], [Float32Array.from(p[outputTensorNames.bias]), [m.classes]]]);
  } finally {
    file.close();
  }
  try {
    return module.FS.readFile(path);
  } finally {
    module.FS.unlink(path);
  }
}

/** One sentence for the CLI and the page: what the file holds and how Keras reads it. */
export function kerasDescription(m: ModelConfig): string {
  const folded = m.forgetBias !== 0 ? `; the forget bias ${m.forgetBias} is folded into the f block of each LSTM bias` : '';
  const text = `a Keras 3 weights file for ${kerasSnippet(m)}: model.load_weights(path)${folded}`;
  return m.input === 'tokens' ? `${text}. It reads one-hot symbols (keras.ops.one_hot(tokens, ${m.inputSize})) and gives logits at every step.` : `${text}. Its outputs are logits (add a softmax for probabilities).`;
}

function isGroup(e: unknown): e is Group {
  return (e as { type?: string }).type === 'Group';
}

function isDataset(e: unknown): e is Dataset {
  return (e as { type?: string }).type === 'Dataset';
}

/** The object at a relative path, or undefined; walks the path by keys, since HDF5 errors on a missing link's parent. */
function child(group: Group, path: string): unknown {
  let at: unknown = group;
  for (const part of path.split('/').filter((s) => s !== '')) {
    if (!isGroup(at) || !at.keys().includes(part)) return undefined;
    at = at.get(part);
  }
  return at ?? undefined;
}

/** A list of strings an attribute holds (as save_attributes_to_hdf5_group writes it: whole, or in chunks name0, name1...);
 *  undefined when absent. An empty list reads back as an empty float array. */
function stringList(obj: Group, name: string): string[] | undefined {
  const read = (key: string): string[] | undefined => {
    if (!Object.hasOwn(obj.attrs, key)) return undefined;
    const v = obj.attrs[key].value;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    if (ArrayBuffer.isView(v) && (v as Float64Array).length === 0) return [];
    return undefined;
  };
  const whole = read(name);
  if (whole !== undefined) return whole;
  const chunks: string[] = [];
  for (let n = 0; ; n++) {
    const chunk = read(`${name}${n}`);
    if (chunk === undefined) return n === 0 ? undefined : chunks;
    chunks.push(...chunk);
  }
}
