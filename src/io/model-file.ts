// A trained model as a .safetensors file: the parameter tensors in tensorShapes order (model.ts), and the
// ModelConfig (model-config.ts) and the task (src/data/tasks.ts: keys task and permute, absent for 'mnist') in the metadata,
// so the file alone is enough to rebuild the model and read its test set the way it was trained.

import { type Task, defaultTask, taskFromMetadata, taskMetadata } from '../data/tasks.ts';
import { type ModelConfig, type Tensors, tensorShapes, tensorSize } from '../train/model.ts';
import { type FormatVersion, configFrom, configJson, configProblem, tensorsByCurrentName } from './model-config.ts';
import { UserError } from '../user-error.ts';
import { type NamedTensor, decodeSafetensors, describeConversion, encodeSafetensors } from './safetensors.ts';
import { isPytorchStateDict, pytorchModel } from './pytorch.ts';

export const modelFormat = 'webgpu-lstm/2';
/** One-layer model files written before stacks: still read (model-config.ts says how). */
export const legacyModelFormat = 'webgpu-lstm/1';
export const gateOrder = 'i,j,f,o';
const reservedKeys = ['format', 'gate_order', 'config', 'task', 'permute'];

/** `extra` adds metadata (training options, accuracy...); it cannot use the keys format, gate_order, config, task, permute. */
export function saveModelBytes(config: ModelConfig, params: Tensors, extra: Record<string, string>, task: Task = defaultTask): Uint8Array {
  for (const k of reservedKeys) if (k in extra) throw new Error(`saveModelBytes: metadata key "${k}" is reserved`);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, shape] of Object.entries(tensorShapes(config))) {
    if (params[name]?.length !== tensorSize(shape)) {
      throw new Error(`saveModelBytes: tensor ${name} has ${params[name]?.length} values, expected shape [${shape}]`);
    }
    tensors[name] = { shape, data: params[name] };
  }
  const metadata = { ...extra, format: modelFormat, gate_order: gateOrder, config: configJson(config), ...taskMetadata(task) };
  return encodeSafetensors(tensors, metadata);
}

/** A model file read: its model, its metadata and task, and (`conversion`) a sentence to show when tensors were converted to float32. */
export interface LoadedModel { config: ModelConfig; params: Tensors; metadata: Record<string, string>; task: Task; conversion?: string }

export function loadModelBytes(bytes: Uint8Array, fileName: string): LoadedModel {
  const fail = (problem: string): never => {
    throw new UserError(`${fileName}: ${problem}. Pass a model saved by \`npm run train -- --out FILE\`.`);
  };
  // Tensors in float16, bfloat16 or float64 (a state_dict saved from PyTorch in another dtype) are read as float32.
  const { tensors, metadata, converted } = decodeSafetensors(bytes, fileName, { convert: true });
  const conversion = describeConversion(converted);
  const version = metadata.format === modelFormat ? 2 : metadata.format === legacyModelFormat ? 1 : undefined;
  // A PyTorch state_dict of nn.LSTM + nn.Linear (npm run export -- --to pytorch, or PyTorch's own) is read as ours.
  if (version === undefined && isPytorchStateDict(Object.keys(tensors))) return { ...pytorchModel(tensors, metadata, fileName), conversion };
  if (version === undefined) {
    return fail(`metadata "format" is ${JSON.stringify(metadata.format)}, expected "${modelFormat}" (or "${legacyModelFormat}"); this is not a webgpu-lstm model`);
  }
  if (metadata.gate_order !== gateOrder) {
    fail(`metadata "gate_order" is ${JSON.stringify(metadata.gate_order)}, expected "${gateOrder}"`);
  }
  const config = parseConfig(metadata.config, version, fail);
  const task = taskFromMetadata(metadata);
  if ('problem' in task) fail(task.problem);
  const shapes = tensorShapes(config);
  const stored = tensorsByCurrentName(Object.keys(tensors), version);
  if ('problem' in stored) return fail(stored.problem as string);
  const byName = new Map([...stored].map(([current, name]) => [current, { name, t: tensors[name] }]));
  const params: Tensors = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const found = byName.get(name);
    if (found === undefined) return fail(`tensor "${name}" is missing (expected shape [${shape}])`);
    if (found.t.shape.join() !== shape.join()) {
      fail(`tensor "${found.name}" has shape [${found.t.shape}], expected [${shape}] for the config in its metadata`);
    }
    params[name] = found.t.data;
  }
  const unexpected = [...byName.entries()].filter(([n]) => !(n in shapes)).map(([, { name }]) => name);
  if (unexpected.length > 0) fail(`unexpected tensors ${unexpected.join(', ')} (this model has ${Object.keys(shapes).join(', ')})`);
  return { config, params, metadata, task: task as Task, conversion };
}

function parseConfig(json: string | undefined, version: FormatVersion, fail: (problem: string) => never): ModelConfig {
  if (json === undefined) return fail('metadata "config" is missing');
  let c: unknown;
  try {
    c = JSON.parse(json);
  } catch {
    return fail(`metadata "config" is not valid JSON: ${json}`);
  }
  const v = (typeof c === 'object' && c !== null && !Array.isArray(c) ? c : {}) as Record<string, unknown>;
  const problem = configProblem(v, version);
  if (problem !== undefined) fail(`metadata ${problem}`);
  return configFrom(v, version);
}
