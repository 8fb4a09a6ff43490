// The safetensors format: written as float32; read as float32, or (for model files from elsewhere, with
// `convert`) float16, bfloat16 and float64 converted to float32. Browser-safe: works on bytes only.
//
//   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | data
//   header: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//            "__metadata__": {"<key>": "<string>"}}       offsets are relative to the start of the data
// Tensors are written in the record's insertion order, packed back to back; decoding checks, like the
// reference implementation, that they tile the data region exactly (no gaps, no overlaps, no extra bytes).

import { UserError } from '../user-error.ts';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
  /** The tensors read from another dtype (only with `convert`): name -> the file's dtype. */
  converted: Record<string, string>;
}

/** The dtypes read, with their bytes per value and how a value becomes float32. */
const dtypes: Record<string, { bytes: number; read: (v: DataView, at: number) => number }> = {
  F32: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  F16: { bytes: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  BF16: { bytes: 2, read: (v, at) => bfloat16ToFloat(v.getUint16(at, true)) },
  F64: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
};

/** How each dtype becomes float32, for the note a reader prints. */
export const conversionNote: Record<string, string> = {
  F16: 'float16 to float32 (exact)',
  BF16: 'bfloat16 to float32 (exact)',
  F64: 'float64 to float32 (rounded to the nearest float32, as torch.Tensor.float() does)',
};

/** One sentence naming the converted tensors, or undefined when none were. */
export function describeConversion(converted: Record<string, string>): string | undefined {
  const byType = new Map<string, string[]>();
  for (const [name, dtype] of Object.entries(converted)) byType.set(dtype, [...(byType.get(dtype) ?? []), name]);
  if (byType.size === 0) return undefined;
  return `converted ${[...byType].map(([dtype, names]) => `${names.length} tensor${names.length > 1 ? 's' : ''} from ${conversionNote[dtype]}`).join(' and ')}`;
}

/** IEEE 754 binary16 bits as a number: every half is exactly a float32. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 is the top half of a float32. */
function bfloat16ToFloat(bits: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, bits << 16, false);
  return v.getFloat32(0, false);
}

const metadataKey = '__metadata__';

export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === metadataKey) throw new Error(`safetensors: a tensor cannot be named ${metadataKey}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || n !== t.data.length) {
      throw new Error(`safetensors: tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  if (Object.keys(metadata).length > 0) header[metadataKey] = metadata;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true); // u64 little-endian: the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of Object.values(tensors)) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

/** `convert`: read F16, BF16 and F64 tensors as float32 (model files from PyTorch); otherwise F32 only. */
export function decodeSafetensors(bytes: Uint8Array, fileName: string, options: { convert?: boolean } = {}): Safetensors {
  const fail = (problem: string): never => {
    throw new UserError(`${fileName}: ${problem}. It is not a valid safetensors file; save the model again.`);
  };
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength === 0 || headerLength > bytes.length - 8) {
    fail(`the header length is ${headerLength} bytes but only ${bytes.length - 8} bytes follow it (truncated?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) return fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === metadataKey) {
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
        fail(`${metadataKey} must be an object of string values`);
      }
      metadata = Object.fromEntries(Object.entries(entry as Record<string, string>));
      continue;
    }
    const where = `tensor "${name}"`;
    if (!isObject(entry)) return fail(`${where} is not an object`);
    const dtype = String(entry.dtype);
    if (dtype !== 'F32' && !(options.convert && dtype in dtypes)) {
      fail(`${where} has dtype ${JSON.stringify(entry.dtype)}; only ${options.convert ? 'F32, F16, BF16 and F64 are' : 'F32 is'} read`);
    }
    const { shape, data_offsets: offsets } = entry;
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${where} has shape ${JSON.stringify(shape)}, not a list of whole numbers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      fail(`${where} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as number[];
    const bytesNeeded = dtypes[dtype].bytes * (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== bytesNeeded) {
      fail(`${where} has shape [${shape}] (${bytesNeeded} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    }
    if (end > dataLength) {
      fail(`${where} has data_offsets [${begin}, ${end}] but the data region is only ${dataLength} bytes (truncated?)`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) fail(`tensor "${e.name}" overlaps the tensor before it (its data starts at ${e.begin}, before ${covered})`);
    if (e.begin > covered) fail(`bytes ${covered} to ${e.begin} of the data belong to no tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) fail(`the tensors cover ${covered} bytes but the data region is ${dataLength} bytes`);

  const converted: Record<string, string> = {};
  const tensors = Object.fromEntries(
    entries.map(({ name, dtype, shape, begin, end }) => {
      const { bytes: size, read } = dtypes[dtype];
      const data = new Float32Array((end - begin) / size);
      for (let i = 0, at = dataStart + begin; i < data.length; i++, at += size) data[i] = read(view, at);
      if (dtype !== 'F32') {
        converted[name] = dtype;
        // float64 past float32's range would become infinite: not a conversion anyone wants silently.
        const at = data.findIndex((v, i) => !Number.isFinite(v) && Number.isFinite(read(view, dataStart + begin + i * size)));
        if (at >= 0) fail(`tensor "${name}" (${dtype}) holds ${read(view, dataStart + begin + at * size)} at index ${at}, beyond float32's range`);
      }
      return [name, { shape, data }];
    }),
  );
  return { tensors, metadata, converted };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
