// The safetensors format, float32 only. Browser-safe: works on bytes, never touches the file system.
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

export function decodeSafetensors(bytes: Uint8Array, fileName: string): Safetensors {
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
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
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
    if (entry.dtype !== 'F32') fail(`${where} has dtype ${JSON.stringify(entry.dtype)}; only F32 is supported`);
    const { shape, data_offsets: offsets } = entry;
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${where} has shape ${JSON.stringify(shape)}, not a list of whole numbers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      fail(`${where} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as number[];
    const bytesNeeded = 4 * (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== bytesNeeded) {
      fail(`${where} has shape [${shape}] (${bytesNeeded} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    }
    if (end > dataLength) {
      fail(`${where} has data_offsets [${begin}, ${end}] but the data region is only ${dataLength} bytes (truncated?)`);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }

  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) fail(`tensor "${e.name}" overlaps the tensor before it (its data starts at ${e.begin}, before ${covered})`);
    if (e.begin > covered) fail(`bytes ${covered} to ${e.begin} of the data belong to no tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) fail(`the tensors cover ${covered} bytes but the data region is ${dataLength} bytes`);

  const tensors = Object.fromEntries(
    entries.map(({ name, shape, begin, end }) => {
      const data = new Float32Array((end - begin) / 4);
      for (let i = 0, at = dataStart + begin; i < data.length; i++, at += 4) data[i] = view.getFloat32(at, true);
      return [name, { shape, data }];
    }),
  );
  return { tensors, metadata };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
