// A trained model as a .safetensors file: the four parameter tensors in tensorNames order, and the
// ModelConfig and the task (src/data/tasks.ts: keys task and permute, absent for 'mnist') in the metadata,
// so the file alone is enough to rebuild the model and read its test set the way it was trained.

import { type Task, defaultTask, taskFromMetadata, taskMetadata } from '../data/tasks.ts';
import { type ModelConfig, type Tensors, tensorNames, tensorShapes, tensorSize } from '../train/model.ts';
import { UserError } from '../user-error.ts';
import { type NamedTensor, decodeSafetensors, encodeSafetensors } from './safetensors.ts';

export const modelFormat = 'webgpu-lstm/1';
export const gateOrder = 'i,j,f,o';
const reservedKeys = ['format', 'gate_order', 'config', 'task', 'permute'];

/** `extra` adds metadata (training options, accuracy...); it cannot use the keys format, gate_order, config, task, permute. */
export function saveModelBytes(config: ModelConfig, params: Tensors, extra: Record<string, string>, task: Task = defaultTask): Uint8Array {
  for (const k of reservedKeys) if (k in extra) throw new Error(`saveModelBytes: metadata key "${k}" is reserved`);
  const shapes = tensorShapes(config);
  const tensors: Record<string, NamedTensor> = {};
  for (const name of tensorNames) {
    if (params[name].length !== tensorSize(shapes[name])) {
      throw new Error(`saveModelBytes: tensor ${name} has ${params[name].length} values, expected shape [${shapes[name]}]`);
    }
    tensors[name] = { shape: shapes[name], data: params[name] };
  }
  const metadata = { ...extra, format: modelFormat, gate_order: gateOrder, config: JSON.stringify(config), ...taskMetadata(task) };
  return encodeSafetensors(tensors, metadata);
}

export function loadModelBytes(
  bytes: Uint8Array,
  fileName: string,
): { config: ModelConfig; params: Tensors; metadata: Record<string, string>; task: Task } {
  const fail = (problem: string): never => {
    throw new UserError(`${fileName}: ${problem}. Pass a model saved by \`npm run train -- --out FILE\`.`);
  };
  const { tensors, metadata } = decodeSafetensors(bytes, fileName);
  if (metadata.format !== modelFormat) {
    fail(`metadata "format" is ${JSON.stringify(metadata.format)}, expected "${modelFormat}"; this is not a webgpu-lstm model`);
  }
  if (metadata.gate_order !== gateOrder) {
    fail(`metadata "gate_order" is ${JSON.stringify(metadata.gate_order)}, expected "${gateOrder}"`);
  }
  const config = parseConfig(metadata.config, fail);
  const task = taskFromMetadata(metadata);
  if ('problem' in task) fail(task.problem);
  const shapes = tensorShapes(config);
  const params = {} as Tensors;
  for (const name of tensorNames) {
    const t = tensors[name];
    if (t === undefined) fail(`tensor "${name}" is missing (expected shape [${shapes[name]}])`);
    if (t.shape.join() !== shapes[name].join()) {
      fail(`tensor "${name}" has shape [${t.shape}], expected [${shapes[name]}] for the config in its metadata`);
    }
    params[name] = t.data;
  }
  const unexpected = Object.keys(tensors).filter((n) => !(tensorNames as readonly string[]).includes(n));
  if (unexpected.length > 0) fail(`unexpected tensors ${unexpected.join(', ')} (a model has ${tensorNames.join(', ')})`);
  return { config, params, metadata, task: task as Task };
}

function parseConfig(json: string | undefined, fail: (problem: string) => never): ModelConfig {
  if (json === undefined) return fail('metadata "config" is missing');
  let c: unknown;
  try {
    c = JSON.parse(json);
  } catch {
    return fail(`metadata "config" is not valid JSON: ${json}`);
  }
  const v = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
  for (const k of ['steps', 'inputSize', 'hidden', 'classes'] as const) {
    if (!Number.isSafeInteger(v[k]) || (v[k] as number) < 1) fail(`metadata "config".${k} is ${JSON.stringify(v[k])}, expected a whole number >= 1`);
  }
  if (typeof v.forgetBias !== 'number' || !Number.isFinite(v.forgetBias)) {
    fail(`metadata "config".forgetBias is ${JSON.stringify(v.forgetBias)}, expected a number`);
  }
  const m = v as unknown as ModelConfig;
  return { steps: m.steps, inputSize: m.inputSize, hidden: m.hidden, classes: m.classes, forgetBias: m.forgetBias };
}
