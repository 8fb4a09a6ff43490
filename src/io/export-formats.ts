// A trained model in the formats it travels in, for the CLI's `npm run export` and the page's download:
//   webgpu-lstm  our .safetensors (model-file.ts)
//   pytorch      a state_dict for nn.LSTM + nn.Linear, as safetensors (pytorch.ts)
//   onnx         a graph of standard ONNX operators that ONNX Runtime runs (onnx.ts)
//   keras        a Keras 3 .weights.h5 for keras.Sequential([Input, LSTM..., Dense]) (keras.ts)
// Each returns the file's bytes, the suffix its name takes, and one sentence saying what the file holds.
import { type Task, taskMetadata } from '../data/tasks.ts';
import type { ModelConfig, Tensors } from '../train/model.ts';
import { describeLayers } from '../train/model.ts';
import { saveModelBytes } from './model-file.ts';
import { describeOnnxValue, onnxOpset, toOnnx } from './onnx.ts';
import { kerasDescription, toKerasWeightsH5 } from './keras.ts';
import { toPytorchStateDict } from './pytorch.ts';
import { encodeSafetensors } from './safetensors.ts';

export const exportFormats = ['webgpu-lstm', 'pytorch', 'onnx', 'keras'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportedModel {
  bytes: Uint8Array;
  /** What the file name ends with: ".safetensors", ".pt.safetensors"... */
  suffix: string;
  /** One sentence: what the file holds and how its framework reads it. */
  description: string;
}

/** A model as the `format` file; `metadata` is what our own format keeps beside it (steps trained, accuracy...). */
export async function exportModel(format: ExportFormat, config: ModelConfig, params: Tensors, task: Task, metadata: Record<string, string> = {}): Promise<ExportedModel> {
  switch (format) {
    case 'webgpu-lstm':
      return { bytes: saveModelBytes(config, params, metadata, task), suffix: '.safetensors', description: `a webgpu-lstm model of layers ${config.layers.join(',')}` };
    case 'pytorch':
      return { bytes: pytorchBytes(config, params, task), suffix: '.pt.safetensors', description: pytorchDescription(config) };
    case 'onnx': {
      const onnx = toOnnx(config, params, task);
      const description = `ONNX (opset ${onnxOpset}) of an LSTM of ${describeLayers(config.layers)} and a dense head; ` +
        `input ${describeOnnxValue(onnx.input)}, output ${describeOnnxValue(onnx.output)}; its metadata says how to feed it.`;
      return { bytes: onnx.bytes, suffix: '.onnx', description };
    }
    case 'keras':
      return { bytes: await toKerasWeightsH5(config, params, task), suffix: '.weights.h5', description: kerasDescription(config) };
  }
}

function pytorchBytes(config: ModelConfig, params: Tensors, task: Task): Uint8Array {
  // torch ignores the metadata; it says where the file came from, and the steps and task it was trained on.
  const metadata = { format: 'pt', source: 'webgpu-lstm', steps: String(config.steps), ...taskMetadata(task) };
  return encodeSafetensors(toPytorchStateDict(config, params), metadata);
}

function pytorchDescription(config: ModelConfig): string {
  const L = config.layers.length;
  const text =
    `a PyTorch state_dict of nn.LSTM(${config.inputSize}, ${config.layers[0]}${L > 1 ? `, num_layers=${L}` : ''}, batch_first=True) ` +
    `(hidden sizes ${config.layers.join(', ')}) named lstm and nn.Linear(${config.layers[L - 1]}, ${config.classes}) named fc; the forget bias ${config.forgetBias} is folded into bias_ih.`;
  return new Set(config.layers).size > 1 ? `${text} Its layers differ in size, which one nn.LSTM cannot hold: build one nn.LSTM per layer (lstm.*_l{k} are layer k).` : text;
}
