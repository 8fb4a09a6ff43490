// Our models as ONNX (ir_version 8, opset 14): standard operators only, so any ONNX runtime runs them.
//
//   classifier   input  float32 (N, T, I) -> Transpose (T, N, I) -> LSTM per layer -> Y_h (1, N, H)
//                -> Squeeze (N, H) -> Gemm with output/kernel (H, C), output/bias (C) -> logits (N, C)
//   every step   ... the top LSTM's Y (T, 1, N, H) -> Squeeze (T, N, H) -> Transpose (N, T, H)
//                -> MatMul output/kernel (H, C) -> Add output/bias -> logits (N, T, C)
//   tokens       tokens int64 (N, T), symbol ids 0..V-1 -> OneHot (depth V, values [0, 1]) -> float32
//                (N, T, V), then as above: the one-hot input is what our embedding rows compute
//                (src/train/model.ts), so layer 0's W is the V rows of our kernel. A language model's
//                T is symbolic ("T"): it runs on any length; a classifier's T is the one it learned.
// Between layers the LSTM's Y (T, 1, N, H) loses its direction axis (Squeeze) and is the next X. The batch
// dimension is symbolic ("N"). The LSTM runs with layout 0 (time-major): ONNX Runtime's CPU LSTM kernel
// refuses layout 1 (batch-major) with "Batchwise recurrent operations (layout == 1) are not supported"
// (checked with onnxruntime-node 1.31.1), hence the Transposes.
//
// The ONNX LSTM (docs/Operators.md, LSTM-14) takes W (1, 4H, I), R (1, 4H, H), B (1, 8H) = [Wb; Rb], gates
// in order i, o, f, c; ours are i, j, f, o (j is its c) in one (I+H, 4H) kernel of rows [x; h]. W and R are
// the kernel's x and h rows transposed and regrouped; our forget bias is folded into Wb's f rows; Rb is 0.
//
// Metadata (ModelProto.metadata_props) says how to feed it: "task", "input" and "output" (a sentence
// each), "steps" (the T it learned), and the task's keys (src/data/tasks.ts): a text model's "vocabulary" (token n is the
// character vocabulary[n]); a permuted pixel-mnist model's "permute" seed and "pixel_order", the JSON list
// of the 784 row-major pixel positions its steps read: its input is the permuted sequence, step k
// holding pixel pixel_order[k] / 255.
//
// Field numbers are onnx/onnx.proto's (cited beside each field below); the encoding is src/io/protobuf.ts.
import { type Task, pixelPermutation, taskMetadata } from '../data/tasks.ts';
import { type ModelConfig, type Tensors, headSteps, layerInput, outputTensorNames, readsTokens, topHidden } from '../train/model.ts';
import { type GatePositions, gateRows } from './gate-blocks.ts';
import { bytesField, float32Bytes, int64Bytes, message, packedVarintField, stringField, varintField } from './protobuf.ts';

export const onnxOpset = 14;
const irVersion = 8; // ONNX 1.10 to 1.13 write IR version 8, with opsets up to 18 (onnx/onnx docs/Versioning.md)

/** Our gate q (i, j, f, o) is ONNX's gate onnxGate[q] (i, o, f, c). */
const onnxGate: GatePositions = [0, 3, 2, 1];

/** A graph input or output: its name, element type and shape (a string is a symbolic dimension). */
export interface OnnxValue {
  name: string;
  type: 'float32' | 'int64';
  shape: (number | string)[];
}

export interface OnnxModel {
  bytes: Uint8Array;
  input: OnnxValue;
  output: OnnxValue;
  metadata: Record<string, string>;
}

/** "tokens int64 (N, T)": for messages. */
export const describeOnnxValue = (v: OnnxValue): string => `"${v.name}" ${v.type} (${v.shape.join(', ')})`;

type Attribute = number | number[];
interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
}
interface Initializer {
  name: string;
  dims: number[];
  type: OnnxValue['type'];
  raw: Uint8Array;
}

/** The model as an ONNX file's bytes, with its input, output and metadata. */
export function toOnnx(m: ModelConfig, p: Tensors, task: Task): OnnxModel {
  const nodes: GraphNode[] = [];
  const initializers: Initializer[] = [];
  const floats = (name: string, dims: number[], data: ArrayLike<number>): string => {
    initializers.push({ name, dims, type: 'float32', raw: float32Bytes(data) });
    return name;
  };
  const ints = (name: string, values: number[]): string => {
    initializers.push({ name, dims: [values.length], type: 'int64', raw: int64Bytes(values) });
    return name;
  };
  const node = (op: string, inputs: string[], output: string, attributes?: Record<string, Attribute>): string => {
    nodes.push({ op, inputs, outputs: [output], attributes });
    return output;
  };

  const tokens = readsTokens(m);
  const every = perStep(m);
  const T: number | string = tokens ? 'T' : m.steps;
  const input: OnnxValue = tokens
    ? { name: 'tokens', type: 'int64', shape: ['N', T] }
    : { name: 'input', type: 'float32', shape: ['N', T, m.inputSize] };
  const output: OnnxValue = { name: 'logits', type: 'float32', shape: every ? ['N', T, m.classes] : ['N', m.classes] };

  let x = input.name;
  if (tokens) x = node('OneHot', [x, ints('onehot/depth', [m.inputSize]), floats('onehot/values', [2], [0, 1])], 'onehot', { axis: -1 });
  x = node('Transpose', [x], 'time_major', { perm: [1, 0, 2] }); // (T, N, I)
  const axis0 = ints('axes/0', [0]);
  const axis1 = ints('axes/1', [1]);
  const L = m.layers.length;
  m.layers.forEach((H, k) => {
    const { W, R, B } = onnxLstmWeights(m, p, k);
    const name = `lstm_${k}`;
    const weights = [floats(`${name}/W`, [1, 4 * H, layerInput(m, k)], W), floats(`${name}/R`, [1, 4 * H, H], R), floats(`${name}/B`, [1, 8 * H], B)];
    const lastStepOnly = k === L - 1 && !every;
    // Outputs Y (T, 1, N, H) and Y_h (1, N, H); an empty name leaves Y out.
    nodes.push({ op: 'LSTM', inputs: [x, ...weights], outputs: lastStepOnly ? ['', `${name}/Y_h`] : [`${name}/Y`], attributes: { hidden_size: H } });
    x = lastStepOnly ? `${name}/Y_h` : node('Squeeze', [`${name}/Y`, axis1], `${name}/h`); // (T, N, H)
  });
  const H = topHidden(m);
  const kernel = floats(outputTensorNames.kernel, [H, m.classes], p[outputTensorNames.kernel]);
  const bias = floats(outputTensorNames.bias, [m.classes], p[outputTensorNames.bias]);
  if (every) {
    const h = node('Transpose', [x], 'h_every', { perm: [1, 0, 2] }); // (N, T, H)
    node('Add', [node('MatMul', [h, kernel], 'h_every_kernel'), bias], output.name);
  } else {
    node('Gemm', [node('Squeeze', [x, axis0], 'h_last'), kernel, bias], output.name); // (N, H) . (H, C) + (C)
  }

  const metadata = onnxMetadata(m, task, input);
  const bytes = modelProto(
    graphProto('webgpu-lstm', nodes, initializers, input, output),
    metadata,
    `An LSTM of ${L} layer${L > 1 ? 's' : ''} (${m.layers.join(', ')}) and a dense head, exported by webgpu-lstm. ${metadata.input}`,
  );
  return { bytes, input, output, metadata };
}

/** Layer k's ONNX W (1, 4H, I), R (1, 4H, H) and B (1, 8H), gates regrouped, the forget bias in Wb. */
function onnxLstmWeights(m: ModelConfig, p: Tensors, k: number): { W: Float32Array; R: Float32Array; B: Float32Array } {
  const { wx, wh, bias } = gateRows(m, p, k, onnxGate);
  const B = new Float32Array(2 * bias.length); // [Wb; Rb], Rb zero
  B.set(bias);
  return { W: wx, R: wh, B };
}

/** What a user needs to feed the model: the task's keys, and a sentence on the input. */
function onnxMetadata(m: ModelConfig, task: Task, input: OnnxValue): Record<string, string> {
  const meta: Record<string, string> = { task: task.name, steps: String(m.steps), ...taskMetadata(task) };
  const shape = `${input.type} (${input.shape.join(', ')})`;
  if (readsTokens(m)) {
    meta.input = `${input.name}: ${shape}, symbol ids 0..${m.inputSize - 1}` +
      (task.name === 'text' ? ': id n is the character vocabulary[n] (metadata "vocabulary")' : '');
  } else if (task.name === 'pixel-mnist') {
    const order = task.permute === undefined ? 'in row-major order' : 'in the order of metadata "pixel_order" (step k reads row-major pixel pixel_order[k])';
    if (task.permute !== undefined) meta.pixel_order = JSON.stringify(Array.from(pixelPermutation(m.steps * m.inputSize, task.permute)));
    meta.input = `${input.name}: ${shape}, an MNIST image's pixels one per step ${order}, each byte / 255`;
  } else if (task.name === 'mnist' && m.steps === 28 && m.inputSize === 28) {
    meta.input = `${input.name}: ${shape}, an MNIST image row by row (28 rows of 28 pixels), each byte / 255`;
  } else {
    meta.input = `${input.name}: ${shape}, N sequences of ${m.steps} steps of ${m.inputSize} values, as the model was trained on`;
  }
  meta.output = perStep(m) ? 'logits at every step (softmax gives the next symbol\'s probabilities)' : 'logits per sequence (argmax is the class)';
  return meta;
}

/** The head reads every step: logits (N, T, C). */
const perStep = (m: ModelConfig): boolean => headSteps(m) > 1;

// ---- Messages (onnx/onnx.proto field numbers) ----

/** TensorProto.DataType: FLOAT = 1, INT64 = 7. */
const dataType = { float32: 1, int64: 7 } as const;
/** AttributeProto.AttributeType: INT = 2, INTS = 7. */
const attributeType = { int: 2, ints: 7 } as const;

function modelProto(graph: Uint8Array, metadata: Record<string, string>, doc: string): Uint8Array {
  return message(
    varintField(1, irVersion), // ModelProto.ir_version = 1
    stringField(2, 'webgpu-lstm'), // producer_name = 2
    stringField(6, doc), // doc_string = 6
    bytesField(7, graph), // graph = 7
    bytesField(8, message(stringField(1, ''), varintField(2, onnxOpset))), // opset_import = 8: OperatorSetIdProto domain = 1 ('' is ai.onnx), version = 2
    ...Object.entries(metadata).map(([k, v]) => bytesField(14, message(stringField(1, k), stringField(2, v)))), // metadata_props = 14: StringStringEntryProto key = 1, value = 2
  );
}

function graphProto(name: string, nodes: GraphNode[], initializers: Initializer[], input: OnnxValue, output: OnnxValue): Uint8Array {
  return message(
    ...nodes.map((n) => bytesField(1, nodeProto(n))), // GraphProto.node = 1
    stringField(2, name), // name = 2
    ...initializers.map((t) => bytesField(5, tensorProto(t))), // initializer = 5
    bytesField(11, valueInfoProto(input)), // input = 11
    bytesField(12, valueInfoProto(output)), // output = 12
  );
}

function nodeProto(n: GraphNode): Uint8Array {
  return message(
    ...n.inputs.map((s) => stringField(1, s)), // NodeProto.input = 1
    ...n.outputs.map((s) => stringField(2, s)), // output = 2
    stringField(3, `${n.op}:${n.outputs.find((o) => o !== '')}`), // name = 3
    stringField(4, n.op), // op_type = 4
    ...Object.entries(n.attributes ?? {}).map(([k, v]) => bytesField(5, attributeProto(k, v))), // attribute = 5
  );
}

function attributeProto(name: string, value: Attribute): Uint8Array {
  const named = stringField(1, name); // AttributeProto.name = 1
  // type = 20; the value in i = 3 or ints = 8
  if (typeof value === 'number') return message(named, varintField(20, attributeType.int), varintField(3, value));
  return message(named, varintField(20, attributeType.ints), packedVarintField(8, value));
}

function tensorProto(t: Initializer): Uint8Array {
  return message(
    packedVarintField(1, t.dims), // TensorProto.dims = 1
    varintField(2, dataType[t.type]), // data_type = 2
    stringField(8, t.name), // name = 8
    bytesField(9, t.raw), // raw_data = 9 (little-endian)
  );
}

function valueInfoProto(v: OnnxValue): Uint8Array {
  // TensorShapeProto.dim = 1: Dimension dim_value = 1 or dim_param = 2
  const dims = v.shape.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d)));
  const tensorType = message(varintField(1, dataType[v.type]), bytesField(2, message(...dims))); // TypeProto.Tensor elem_type = 1, shape = 2
  return message(stringField(1, v.name), bytesField(2, bytesField(1, tensorType))); // ValueInfoProto name = 1, type = 2: TypeProto tensor_type = 1
}
