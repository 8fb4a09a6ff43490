// The model description as files store it: the metadata "config" JSON of model files and checkpoints, and
// the tensor names of the formats before stacks.
//   format 2 (webgpu-lstm/2, webgpu-lstm-checkpoint/2): {"steps","inputSize","layers":[H_0, ...],"classes","forgetBias"},
//     and for a language model "input":"tokens","outputs":"every" (absent: "values", "last");
//     tensors lstm_0/kernel, lstm_0/bias, ..., output/kernel, output/bias (model.ts)
//   format 1 (webgpu-lstm/1, webgpu-lstm-checkpoint/1): one layer, {"steps","inputSize","hidden","classes","forgetBias"},
//     tensors lstm/kernel, lstm/bias, output/kernel, output/bias; read as format 2 with layers [hidden].
import type { ModelConfig } from '../train/model.ts';

export type FormatVersion = 1 | 2;

/** The largest stack a file may describe (a guard against nonsense, far above what trains anywhere). */
export const maxLayers = 64;

const isWholePositive = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const show = (v: unknown): string => (typeof v === 'number' || v === undefined ? String(v) : JSON.stringify(v));

/** The config JSON as format 2 writes it (this key order). */
export function configJson(m: ModelConfig): string {
  return JSON.stringify({
    steps: m.steps, inputSize: m.inputSize, layers: m.layers, classes: m.classes, forgetBias: m.forgetBias,
    ...(m.input && m.input !== 'values' ? { input: m.input } : {}), ...(m.outputs && m.outputs !== 'last' ? { outputs: m.outputs } : {}),
  });
}

/** What is wrong with a parsed config object of this format version, or undefined. */
export function configProblem(v: Record<string, unknown>, version: FormatVersion): string | undefined {
  for (const k of ['steps', 'inputSize', 'classes'] as const) {
    if (!isWholePositive(v[k])) return `"config".${k} is ${show(v[k])}, expected a whole number >= 1`;
  }
  if (version === 1) {
    if (!isWholePositive(v.hidden)) return `"config".hidden is ${show(v.hidden)}, expected a whole number >= 1`;
  } else {
    const layers = v.layers;
    if (!Array.isArray(layers) || layers.length < 1 || layers.length > maxLayers || !layers.every(isWholePositive)) {
      return `"config".layers is ${show(layers)}, expected a list of 1 to ${maxLayers} hidden sizes, each a whole number >= 1`;
    }
  }
  if (typeof v.forgetBias !== 'number' || !Number.isFinite(v.forgetBias)) return `"config".forgetBias is ${show(v.forgetBias)}, expected a finite number`;
  if (v.input !== undefined && v.input !== 'values' && v.input !== 'tokens') return `"config".input is ${show(v.input)}, expected "values" or "tokens"`;
  if (v.outputs !== undefined && v.outputs !== 'last' && v.outputs !== 'every') return `"config".outputs is ${show(v.outputs)}, expected "last" or "every"`;
  if (v.input === 'tokens' && (v.inputSize as number) > 256) return `"config".inputSize is ${show(v.inputSize)}, over the 256 symbols a token input holds`;
  return undefined;
}

/** A config object that passed configProblem, as a ModelConfig. */
export function configFrom(v: Record<string, unknown>, version: FormatVersion): ModelConfig {
  const layers = version === 1 ? [v.hidden as number] : [...(v.layers as number[])];
  return {
    steps: v.steps as number, inputSize: v.inputSize as number, layers, classes: v.classes as number, forgetBias: v.forgetBias as number,
    ...(v.input === 'tokens' ? { input: 'tokens' as const } : {}), ...(v.outputs === 'every' ? { outputs: 'every' as const } : {}),
  };
}

/** A format-1 tensor name in format 2 (lstm/kernel is layer 0's); other names are the same in both. */
export const currentTensorName = (name: string, version: FormatVersion): string =>
  version === 1 ? name.replace(/^((?:adam\/[mv]\/)?)lstm\//, '$1lstm_0/') : name;

/**
 * The stored tensor names by their format-2 names, or a problem. A format-1 file names its one layer lstm/...;
 * a format-2 name such as lstm_0/kernel in it is refused (it would collide with lstm/kernel, or pass a
 * mislabeled file as format 1).
 */
export function tensorsByCurrentName(names: string[], version: FormatVersion): Map<string, string> | { problem: string } {
  if (version === 1) {
    const misnamed = names.filter((n) => /^(?:adam\/[mv]\/)?lstm_[0-9]+\//.test(n));
    if (misnamed.length > 0) {
      return { problem: `tensor "${misnamed[0]}" has a format-2 name, but the file says format 1, whose one layer is named lstm/kernel and lstm/bias` };
    }
  }
  return new Map(names.map((n) => [currentTensorName(n, version), n]));
}
