// safetensors encode/decode and the model file on top of it: round trips, golden bytes, corrupt inputs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModelBytes, saveModelBytes } from '../../src/io/model-file.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.ts';
import { type ModelConfig, type Tensors, oneLayerNames, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { UserError } from '../../src/user-error.ts';

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A safetensors file with a hand-written header (padded to 8) and raw data bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(new TextEncoder().encode(json), 8);
  out.set(data, 8 + json.length);
  return out;
}

const tiny = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

describe('safetensors', () => {
  test('golden bytes of a tiny file', () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } }, { k: 'v' });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}'; // 79 bytes
    const expected = new Uint8Array([
      80, 0, 0, 0, 0, 0, 0, 0, // u64 LE header length: 79 bytes of JSON + 1 space of padding
      ...new TextEncoder().encode(json), 0x20,
      0x00, 0x00, 0x80, 0x3f, // 1.0f LE
      0x00, 0x00, 0x00, 0xc0, // -2.0f LE
    ]);
    assert.deepEqual(bytes, expected);
    assert.equal(bytes.length % 8, 0);
  });

  test('round trip keeps names, order, shapes, values and metadata', () => {
    const tensors = {
      w: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, Math.fround(0.1)]) },
      s: { shape: [], data: new Float32Array([-0]) },
      e: { shape: [0, 4], data: new Float32Array(0) },
      odd: { shape: [3], data: new Float32Array([NaN, Infinity, -1e-40]) },
    };
    const metadata = { note: 'ünïcode ✓', empty: '' };
    const bytes = encodeSafetensors(tensors, metadata);
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    assert.equal(headerLength % 8, 0);
    const back = decodeSafetensors(bytes, 'f');
    assert.deepEqual(Object.keys(back.tensors), ['w', 's', 'e', 'odd']);
    assert.deepEqual(back.tensors, tensors);
    assert.deepEqual(back.metadata, metadata);
  });

  test('decoding copies the data out, also from an unaligned view', () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } }, {});
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const { tensors } = decodeSafetensors(shifted.subarray(1), 'f');
    assert.deepEqual([...tensors.a.data], [1, -2]);
    assert.notEqual(tensors.a.data.buffer, shifted.buffer);
  });

  test('a file without __metadata__ decodes with empty metadata', () => {
    assert.deepEqual(decodeSafetensors(rawFile({ a: tiny }, new Uint8Array(8)), 'f').metadata, {});
  });

  test('"__proto__" as a tensor name stays a plain own key', () => {
    const raw = rawFile('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4));
    const { tensors } = decodeSafetensors(raw, 'f');
    assert.ok(Object.hasOwn(tensors, '__proto__'));
    assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  });

  test('every truncation is a UserError', () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } }, { k: 'v' });
    for (let n = 0; n < bytes.length; n++) throwsUserError(() => decodeSafetensors(bytes.subarray(0, n), 'm.st'), /^m\.st: /);
    throwsUserError(() => decodeSafetensors(bytes.subarray(0, 5), 'm'), /5 bytes, too short/);
    throwsUserError(() => decodeSafetensors(bytes.subarray(0, 50), 'm'), /header length is 80 bytes but only 42 bytes follow/);
    throwsUserError(() => decodeSafetensors(bytes.subarray(0, 92), 'm'), /data_offsets \[0, 8\] but the data region is only 4 bytes/);
  });

  test('trailing bytes are a UserError', () => {
    throwsUserError(() => decodeSafetensors(rawFile({ a: tiny }, new Uint8Array(12)), 'm'), /cover 8 bytes but the data region is 12 bytes/);
  });

  test('corrupt headers are UserErrors naming the problem', () => {
    const data = new Uint8Array(8);
    const cases: [unknown, RegExp][] = [
      ['{"a": {', /not valid UTF-8 JSON/],
      ['[1, 2]', /not a JSON object/],
      ['null', /not a JSON object/],
      [{ a: 5 }, /tensor "a" is not an object/],
      [{ a: { ...tiny, dtype: 'F16' } }, /tensor "a" has dtype "F16"; only F32 is read/],
      [{ a: { ...tiny, dtype: undefined } }, /tensor "a" has dtype undefined/],
      [{ a: { ...tiny, shape: [2.5] } }, /shape \[2\.5\], not a list of whole numbers/],
      [{ a: { ...tiny, shape: [-2] } }, /shape \[-2\]/],
      [{ a: { ...tiny, shape: 2 } }, /shape 2/],
      [{ a: { ...tiny, shape: [3] } }, /shape \[3\] \(12 bytes\) but data_offsets \[0, 8\] span 8 bytes/],
      [{ a: { ...tiny, shape: [2 ** 26, 2 ** 26] } }, /\(18014398509481984 bytes\) but data_offsets \[0, 8\] span 8 bytes/],
      [{ a: { ...tiny, data_offsets: [0] } }, /data_offsets \[0\], not \[begin, end\]/],
      [{ a: { ...tiny, data_offsets: [8, 0] } }, /data_offsets \[8,0\]/],
      [{ a: { ...tiny, data_offsets: [-8, 0] } }, /data_offsets \[-8,0\]/],
      [{ a: { ...tiny, data_offsets: [8, 16] } }, /data region is only 8 bytes/],
      [{ a: { ...tiny, data_offsets: [2 ** 60, 2 ** 60 + 8] } }, /data_offsets/],
      [{ a: { ...tiny, shape: [1], data_offsets: [4, 8] } }, /bytes 0 to 4 of the data belong to no tensor/],
      [{ a: tiny, b: { ...tiny, shape: [1], data_offsets: [4, 8] } }, /tensor "b" overlaps/],
      [{ a: tiny, __metadata__: { k: 1 } }, /__metadata__ must be an object of string values/],
      [{ a: tiny, __metadata__: 'x' }, /__metadata__ must be an object/],
    ];
    for (const [header, pattern] of cases) throwsUserError(() => decodeSafetensors(rawFile(header, data), 'bad.st'), pattern);
  });

  test('invalid UTF-8 and a huge header length are UserErrors', () => {
    const raw = rawFile('{"a":1}', new Uint8Array(0));
    raw[10] = 0xff;
    throwsUserError(() => decodeSafetensors(raw, 'm'), /not valid UTF-8 JSON/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true);
    throwsUserError(() => decodeSafetensors(huge, 'm'), /header length is 18446744069414584000 bytes but only 8 bytes follow/);
  });

  test('random corruption never escapes as another error type', () => {
    const good = encodeSafetensors({ a: { shape: [2, 2], data: new Float32Array(4) }, b: { shape: [1], data: new Float32Array(1) } }, { k: 'v' });
    let seed = 1;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let trial = 0; trial < 3000; trial++) {
      const bad = good.slice(0, good.length - rand(3) * rand(good.length));
      for (let k = 1 + rand(3); k > 0; k--) if (bad.length > 0) bad[rand(bad.length)] = rand(256);
      try {
        decodeSafetensors(bad, 'f');
      } catch (e) {
        assert.ok(e instanceof UserError, `trial ${trial}: ${String(e)}`);
      }
    }
  });
});

describe('model file', () => {
  const config: ModelConfig = { steps: 3, inputSize: 2, layers: [3], classes: 4, forgetBias: 1 };
  const shapes = tensorShapes(config);
  const params = Object.fromEntries(
    oneLayerNames.map((n, k) => [n, Float32Array.from({ length: tensorSize(shapes[n]) }, (_, i) => k + i / 8)]),
  ) as Tensors;

  test('round trip: config, params, metadata, tensor order', () => {
    const bytes = saveModelBytes(config, params, { steps: '1000', test_accuracy: '0.97' });
    const back = loadModelBytes(bytes, 'm.safetensors');
    assert.deepEqual(back.config, config);
    assert.deepEqual(back.params, params);
    assert.equal(back.metadata.format, 'webgpu-lstm/2');
    assert.equal(back.metadata.gate_order, 'i,j,f,o');
    assert.equal(back.metadata.test_accuracy, '0.97');
    assert.deepEqual(JSON.parse(back.metadata.config), config);
    const { tensors } = decodeSafetensors(bytes, 'm');
    assert.deepEqual(Object.keys(tensors), [...oneLayerNames]);
    assert.deepEqual(tensors['lstm_0/kernel'].shape, [5, 12]);
  });

  test('reserved metadata keys and wrong sizes are programming errors', () => {
    assert.throws(() => saveModelBytes(config, params, { format: 'x' }), /reserved/);
    assert.throws(() => saveModelBytes({ ...config, layers: [4] }, params, {}), /lstm_0\/kernel has 60 values/);
  });

  const withMetadata = (metadata: Record<string, string>, tensors = params) =>
    encodeSafetensors(Object.fromEntries(oneLayerNames.map((n) => [n, { shape: shapes[n], data: tensors[n] }])), metadata);
  const good = { format: 'webgpu-lstm/2', gate_order: 'i,j,f,o', config: JSON.stringify(config) };

  test('foreign or broken metadata is a UserError', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /"format" is undefined, expected "webgpu-lstm\/2" \(or "webgpu-lstm\/1"\)/],
      [{ ...good, format: 'pt' }, /"format" is "pt"/],
      [{ ...good, gate_order: 'i,f,j,o' }, /"gate_order" is "i,f,j,o", expected "i,j,f,o"/],
      [{ format: good.format, gate_order: good.gate_order }, /"config" is missing/],
      [{ ...good, config: '{' }, /"config" is not valid JSON/],
      [{ ...good, config: 'null' }, /"config"\.steps is undefined/],
      [{ ...good, config: JSON.stringify({ ...config, layers: [0] }) }, /"config"\.layers is \[0\], expected a list of 1 to 64 hidden sizes/],
      [{ ...good, config: JSON.stringify({ ...config, layers: 3 }) }, /"config"\.layers is 3, expected a list/],
      [{ ...good, config: JSON.stringify({ ...config, layers: 0 }) }, /"config"\.layers is 0, expected a list of 1 to 64 hidden sizes, each a whole number >= 1/],
      [{ ...good, config: JSON.stringify({ ...config, layers: [] }) }, /"config"\.layers is \[\], expected a list of 1 to 64 hidden sizes/],
      [{ ...good, config: JSON.stringify({ ...config, layers: [1.5] }) }, /"config"\.layers is \[1\.5\], expected/],
      [{ ...good, config: JSON.stringify({ ...config, layers: '3' }) }, /"config"\.layers is "3", expected a list/],
      [{ ...good, config: JSON.stringify({ ...config, layers: [3, '3'] }) }, /"config"\.layers is \[3,"3"\], expected/],
      [{ ...good, config: JSON.stringify({ ...config, layers: Array(65).fill(3) }) }, /"config"\.layers is \[3(,3){64}\], expected a list of 1 to 64/],
      [{ ...good, config: JSON.stringify({ ...config, layers: undefined, hidden: 3 }) }, /"config"\.layers is undefined, expected a list/],
      [{ ...good, format: 'webgpu-lstm/1', config: JSON.stringify({ ...config, layers: undefined, hidden: 0 }) }, /"config"\.hidden is 0, expected a whole number >= 1/],
      [{ ...good, format: 'webgpu-lstm/1' }, /"config"\.hidden is undefined, expected a whole number >= 1/],
      [{ ...good, config: JSON.stringify({ ...config, forgetBias: '1' }) }, /"config"\.forgetBias is "1"/],
    ];
    for (const [metadata, pattern] of cases) {
      throwsUserError(() => loadModelBytes(withMetadata(metadata), 'm.st'), new RegExp('^m\\.st: metadata ' + pattern.source));
    }
  });

  test('missing, misshapen or extra tensors are UserErrors naming the tensor and both shapes', () => {
    const without = Object.fromEntries(
      oneLayerNames.filter((n) => n !== 'lstm_0/bias').map((n) => [n, { shape: shapes[n], data: params[n] }]),
    );
    throwsUserError(() => loadModelBytes(encodeSafetensors(without, good), 'm'), /tensor "lstm_0\/bias" is missing \(expected shape \[12\]\)/);
    const reshaped = Object.fromEntries(oneLayerNames.map((n) => [n, { shape: shapes[n], data: params[n] }]));
    reshaped['output/kernel'] = { shape: [4, 3], data: params['output/kernel'] };
    throwsUserError(() => loadModelBytes(encodeSafetensors(reshaped, good), 'm'), /tensor "output\/kernel" has shape \[4,3\], expected \[3,4\]/);
    const bigger = { ...good, config: JSON.stringify({ ...config, layers: [4] }) };
    throwsUserError(() => loadModelBytes(withMetadata(bigger), 'm'), /tensor "lstm_0\/kernel" has shape \[5,12\], expected \[6,16\]/);
    const deeper = { ...good, config: JSON.stringify({ ...config, layers: [3, 5] }) };
    throwsUserError(() => loadModelBytes(withMetadata(deeper), 'm'), /tensor "lstm_1\/kernel" is missing \(expected shape \[8,20\]\)/);
    const extra = Object.fromEntries(oneLayerNames.map((n) => [n, { shape: shapes[n], data: params[n] }]));
    extra['lstm/peephole'] = { shape: [1], data: new Float32Array(1) };
    throwsUserError(() => loadModelBytes(encodeSafetensors(extra, good), 'm'), /unexpected tensors lstm\/peephole/);
  });

  test('a stack of two layers: documented names, order and shapes, and back', () => {
    const stacked: ModelConfig = { steps: 2, inputSize: 4, layers: [5, 3], classes: 3, forgetBias: 1 };
    const sh = tensorShapes(stacked);
    const p = Object.fromEntries(Object.keys(sh).map((n, k) => [n, Float32Array.from({ length: tensorSize(sh[n]) }, (_, i) => k * 100 + i)])) as Tensors;
    const bytes = saveModelBytes(stacked, p, {});
    const { tensors, metadata } = decodeSafetensors(bytes, 'm');
    assert.deepEqual(Object.entries(tensors).map(([n, t]) => [n, t.shape]), [
      ['lstm_0/kernel', [9, 20]], ['lstm_0/bias', [20]], ['lstm_1/kernel', [8, 12]], ['lstm_1/bias', [12]], ['output/kernel', [3, 3]], ['output/bias', [3]],
    ]);
    assert.equal(metadata.config, '{"steps":2,"inputSize":4,"layers":[5,3],"classes":3,"forgetBias":1}');
    const back = loadModelBytes(bytes, 'm');
    assert.deepEqual(back.config, stacked);
    assert.deepEqual(back.params, p);
    assert.deepEqual(Object.keys(back.params), Object.keys(sh));
    assert.equal(back.metadata.format, 'webgpu-lstm/2');
  });

  test('a stacked file whose config says layers [5, 3] but lacks lstm_1/kernel is refused naming it', () => {
    const stacked: ModelConfig = { steps: 2, inputSize: 4, layers: [5, 3], classes: 3, forgetBias: 1 };
    const sh = tensorShapes(stacked);
    const all = Object.fromEntries(Object.keys(sh).map((n, k) => [n, { shape: sh[n], data: Float32Array.from({ length: tensorSize(sh[n]) }, (_, i) => k * 100 + i) }]));
    const meta = { format: 'webgpu-lstm/2', gate_order: 'i,j,f,o', config: JSON.stringify(stacked) };
    assert.deepEqual(loadModelBytes(encodeSafetensors(all, meta), 'm').config, stacked); // complete, it loads
    const { 'lstm_1/kernel': _dropped, ...without } = all;
    throwsUserError(
      () => loadModelBytes(encodeSafetensors(without, meta), 'deep.safetensors'),
      /^deep\.safetensors: tensor "lstm_1\/kernel" is missing \(expected shape \[8,12\]\)\. Pass a model saved by `npm run train -- --out FILE`\.$/,
    );
    // The top layer's tensors under the old one-layer name are no substitute.
    throwsUserError(
      () => loadModelBytes(encodeSafetensors({ ...without, 'lstm/kernel': all['lstm_1/kernel'] }, meta), 'deep.safetensors'),
      /tensor "lstm_1\/kernel" is missing/,
    );
  });

  test('a one-layer file written before stacks (webgpu-lstm/1: config.hidden, lstm/kernel) loads as layers [hidden], lstm_0/*', () => {
    const old = { format: 'webgpu-lstm/1', gate_order: 'i,j,f,o', config: JSON.stringify({ steps: 3, inputSize: 2, hidden: 3, classes: 4, forgetBias: 1 }) };
    // Built by hand the way format 1 wrote it, each tensor with its own recognisable values.
    const v1 = {
      'lstm/kernel': { shape: [5, 12], data: Float32Array.from({ length: 60 }, (_, i) => 1000 + i) },
      'lstm/bias': { shape: [12], data: Float32Array.from({ length: 12 }, (_, i) => 2000 + i) },
      'output/kernel': { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => 3000 + i) },
      'output/bias': { shape: [4], data: Float32Array.from({ length: 4 }, (_, i) => 4000 + i) },
    };
    const back = loadModelBytes(encodeSafetensors(v1, old), 'old.safetensors');
    assert.deepEqual(back.config, { steps: 3, inputSize: 2, layers: [3], classes: 4, forgetBias: 1 });
    assert.deepEqual(back.params['lstm_0/kernel'], v1['lstm/kernel'].data);
    assert.deepEqual(back.params['lstm_0/bias'], v1['lstm/bias'].data);
    assert.deepEqual(back.params['output/kernel'], v1['output/kernel'].data);
    assert.deepEqual(back.params['output/bias'], v1['output/bias'].data);
    assert.deepEqual(Object.keys(back.params), ['lstm_0/kernel', 'lstm_0/bias', 'output/kernel', 'output/bias']);
    assert.equal(back.metadata.format, 'webgpu-lstm/1');
    // Saved again, it is a format-2 file with format 2's names and config, holding the same values.
    const again = decodeSafetensors(saveModelBytes(back.config, back.params, {}), 'new.safetensors');
    assert.equal(again.metadata.format, 'webgpu-lstm/2');
    assert.equal(again.metadata.config, '{"steps":3,"inputSize":2,"layers":[3],"classes":4,"forgetBias":1}');
    assert.deepEqual(Object.keys(again.tensors), ['lstm_0/kernel', 'lstm_0/bias', 'output/kernel', 'output/bias']);
    assert.deepEqual(again.tensors['lstm_0/kernel'].data, v1['lstm/kernel'].data);
    // Format 1's checks still hold: a misshapen tensor is named as the file names it, a missing one as it loads.
    throwsUserError(
      () => loadModelBytes(encodeSafetensors({ ...v1, 'lstm/bias': { shape: [2, 6], data: v1['lstm/bias'].data } }, old), 'old.safetensors'),
      /^old\.safetensors: tensor "lstm\/bias" has shape \[2,6\], expected \[12\]/,
    );
    const { 'lstm/bias': _bias, ...noBias } = v1;
    throwsUserError(() => loadModelBytes(encodeSafetensors(noBias, old), 'old.safetensors'), /tensor "lstm_0\/bias" is missing \(expected shape \[12\]\)/);    // A format-2 name in a format-1 file is refused: beside lstm/kernel it would silently replace one of the two,
    // and alone it would pass a mislabeled file.
    throwsUserError(
      () => loadModelBytes(encodeSafetensors({ ...v1, 'lstm_0/kernel': v1['lstm/kernel'] }, old), 'old.safetensors'),
      /tensor "lstm_0\/kernel" has a format-2 name, but the file says format 1/,
    );
    const { 'lstm/kernel': kernel, ...noKernel } = v1;
    throwsUserError(
      () => loadModelBytes(encodeSafetensors({ 'lstm_0/kernel': kernel, ...noKernel }, old), 'old.safetensors'),
      /tensor "lstm_0\/kernel" has a format-2 name, but the file says format 1/,
    );
  });
});

describe('dtypes other than float32 (state_dicts saved from PyTorch in half or double precision)', () => {
  /** A file of one tensor "t" of the given dtype and raw little-endian bytes. */
  const oneTensor = (dtype: string, shape: number[], data: Uint8Array) => rawFile({ t: { dtype, shape, data_offsets: [0, data.length] } }, data);
  const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer); // this machine is little-endian, as the format

  test('float16: normal, negative, subnormal, zero and infinite values are read exactly (IEEE 754 binary16 bit patterns)', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x3555 = 1365/4096 (0.333251953125), 0x0001 = 2^-24 (smallest subnormal),
    // 0x7bff = 65504 (largest half), 0x8000 = -0, 0x7c00 = +inf
    const { tensors, converted } = decodeSafetensors(oneTensor('F16', [7], u16(0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8000, 0x7c00)), 'h', { convert: true });
    assert.deepEqual([...tensors.t.data], [1, -2, 0.333251953125, 2 ** -24, 65504, -0, Infinity]);
    assert.deepEqual(converted, { t: 'F16' });
  });

  test('bfloat16: the top 16 bits of a float32', () => {
    // 0x3f80 = 1, 0x4049 = 3.140625, 0xbf00 = -0.5, 0x0001 = 2^-133 (a float32 subnormal)
    const { tensors } = decodeSafetensors(oneTensor('BF16', [2, 2], u16(0x3f80, 0x4049, 0xbf00, 0x0001)), 'b', { convert: true });
    assert.deepEqual([...tensors.t.data], [1, 3.140625, -0.5, 2 ** -133]);
    assert.deepEqual(tensors.t.shape, [2, 2]);
  });

  test('float64 rounds to the nearest float32; a value past float32 range is refused naming the tensor', () => {
    const { tensors, converted } = decodeSafetensors(oneTensor('F64', [3], new Uint8Array(new Float64Array([0.1, -1 / 3, 1e-50]).buffer)), 'd', { convert: true });
    assert.deepEqual([...tensors.t.data], [Math.fround(0.1), Math.fround(-1 / 3), 0]);
    assert.deepEqual(converted, { t: 'F64' });
    throwsUserError(() => decodeSafetensors(oneTensor('F64', [2], new Uint8Array(new Float64Array([1, 1e300]).buffer)), 'd', { convert: true }), /^d: tensor "t" \(F64\) holds 1e\+300 at index 1, beyond float32's range/);
  });

  test('without convert (checkpoints), and for integer dtypes always, only F32 is read', () => {
    throwsUserError(() => decodeSafetensors(oneTensor('F16', [1], u16(0x3c00)), 'c'), /tensor "t" has dtype "F16"; only F32 is read/);
    throwsUserError(() => decodeSafetensors(oneTensor('I64', [1], new Uint8Array(8)), 'c', { convert: true }), /tensor "t" has dtype "I64"; only F32, F16, BF16 and F64 are read/);
    throwsUserError(() => decodeSafetensors(oneTensor('F16', [3], u16(1, 2)), 'c', { convert: true }), /shape \[3\] \(6 bytes\) but data_offsets \[0, 4\] span 4 bytes/);
  });

  test('a half-precision PyTorch state_dict loads as a model, with a note saying what was converted', () => {
    const m: ModelConfig = { steps: 28, inputSize: 28, layers: [3], classes: 10, forgetBias: 0 };
    // Every weight 0.5 and bias -0.25: exact in float16 (0x3800, 0xb400).
    const half = (shape: number[], bits: number) => ({ shape, bits: new Uint16Array(shape.reduce((a, b) => a * b, 1)).fill(bits) });
    const sd: Record<string, { shape: number[]; bits: Uint16Array }> = {
      'lstm.weight_ih_l0': half([12, 28], 0x3800), 'lstm.weight_hh_l0': half([12, 3], 0x3800),
      'lstm.bias_ih_l0': half([12], 0xb400), 'lstm.bias_hh_l0': half([12], 0xb400),
      'fc.weight': half([10, 3], 0x3800), 'fc.bias': half([10], 0xb400),
    };
    let offset = 0;
    const header: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(sd)) header[name] = { dtype: 'F16', shape: t.shape, data_offsets: [offset, (offset += 2 * t.bits.length)] };
    const data = new Uint8Array(offset);
    offset = 0;
    for (const t of Object.values(sd)) data.set(new Uint8Array(t.bits.buffer), (offset += 2 * t.bits.length) - 2 * t.bits.length);
    const loaded = loadModelBytes(rawFile(header, data), 'half.safetensors');
    assert.deepEqual(loaded.config, m);
    assert.ok(loaded.params['lstm_0/kernel'].every((v) => v === 0.5));
    assert.ok(loaded.params['lstm_0/bias'].every((v) => v === -0.5)); // bias_ih + bias_hh
    assert.equal(loaded.conversion, 'converted 6 tensors from float16 to float32 (exact)');
    assert.equal(loadModelBytes(saveModelBytes(m, loaded.params, {}), 'ours').conversion, undefined);
  });
});
