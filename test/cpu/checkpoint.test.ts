// Training checkpoints: CRC-32, bit-exact round trips, the checksum design, refusals with their messages,
// resume compatibility, and fuzzing (every truncation, every single-bit flip, random multi-bit flips, header
// edits, garbage): every damaged file must be refused with a UserError, never decoded into a state.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  type TrainingState,
  checkResumeCompatible,
  checkpointFormat,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../../src/io/checkpoint.ts';
import { crc32, crc32Hex } from '../../src/io/crc32.ts';
import { saveModelBytes } from '../../src/io/model-file.ts';
import { decodeSafetensors } from '../../src/io/safetensors.ts';
import { type ModelConfig, type Tensors, languageModel, referenceModel, oneLayerNames, tensorShapes, tensorSize } from '../../src/train/model.ts';
import type { LrSchedule } from '../../src/train/lr-schedule.ts';
import { type Rng, createRng } from '../../src/train/rng.ts';
import { UserError } from '../../src/user-error.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const small: ModelConfig = { steps: 3, inputSize: 2, layers: [3], classes: 2, forgetBias: 1 };

/** A state whose tensors hold awkward values: -0, the smallest and largest denormals, the float32 extremes. */
function makeState(config: ModelConfig, seed = 1): TrainingState {
  const rng = createRng(seed);
  const shapes = tensorShapes(config);
  const special = [-0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1.1754944e-38, 0];
  const tensors = (nonNegative: boolean): Tensors =>
    Object.fromEntries(
      Object.keys(shapes).map((n) => {
        const a = new Float32Array(tensorSize(shapes[n]));
        for (let i = 0; i < a.length; i++) a[i] = i < special.length ? special[i] : rng.normal() * 10 ** rng.int(9 - 4);
        if (nonNegative) for (let i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
        return [n, a];
      }),
    ) as Tensors;
  return {
    config: { ...config },
    options: { batch: 4, lr: 0.001, seed: 4294967295, clipNorm: 0.25 },
    step: 123456789,
    params: tensors(false),
    adamM: tensors(false),
    adamV: tensors(true),
    dataOrder: { rng: [0, 4294967295, 0x9e3779b9, 12345], epoch: 7, position: 4294967295 },
  };
}

/** Every tensor, in order, as its float32 bits (so -0 differs from 0 and every NaN payload counts; names and order count too). */
function bits(t: Tensors): [string, number[]][] {
  return Object.entries(t).map(([n, a]) => [n, [...new Uint32Array(a.buffer, a.byteOffset, a.length)]]);
}

// ---- an independent implementation of the file layout and checksum design, to edit files and re-seal them

interface Parsed {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function parseFile(bytes: Uint8Array): Parsed {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

function buildFile(header: unknown, data: Uint8Array, space?: number): Uint8Array {
  let json = JSON.stringify(header, null, space);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(ascii(json), 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The file with fresh checksums: data_crc32 over the data, header_crc32 over all before it with its digits 0. */
function reseal({ header, data }: Parsed): Uint8Array {
  const meta = header.__metadata__ as Record<string, string>;
  meta.data_crc32 = crc32Hex(crc32(data));
  meta.header_crc32 = '00000000';
  const blank = buildFile(header, data);
  meta.header_crc32 = crc32Hex(crc32(blank.subarray(0, blank.length - data.length)));
  return buildFile(header, data);
}

function metadataOf(p: Parsed): Record<string, string> {
  return p.header.__metadata__ as Record<string, string>;
}

describe('crc32', () => {
  test('known vectors', () => {
    assert.equal(crc32(ascii('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(ascii('a')), 0xe8b7be43);
    assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
    assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
    assert.equal(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
    assert.equal(crc32Hex(0xcbf43926), 'cbf43926');
    assert.equal(crc32Hex(0x1a), '0000001a');
  });

  test('incremental over any split equals one pass, and agrees with zlib', () => {
    const rng = createRng(3);
    const bytes = Uint8Array.from({ length: 1000 }, () => rng.int(256));
    const whole = crc32(bytes);
    assert.equal(whole, zlibCrc32(bytes), 'crc32 differs from node:zlib');
    for (let cut = 0; cut <= bytes.length; cut += 37) {
      const inPieces = crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)));
      assert.equal(inPieces, whole, `split at ${cut}`);
    }
  });
});

describe('checkpoint', () => {
  const state = makeState(small);
  const bytes = encodeCheckpoint(state);

  test('round trip is bit-exact: tensors (-0, denormals, extremes) and every state field', () => {
    const back = decodeCheckpoint(bytes, 'a.ckpt');
    assert.deepEqual(back.config, state.config);
    assert.deepEqual(back.options, state.options);
    assert.equal(back.step, state.step);
    assert.deepEqual(back.dataOrder, state.dataOrder);
    for (const k of ['params', 'adamM', 'adamV'] as const) assert.deepEqual(bits(back[k]), bits(state[k]), `${k} bits differ`);
    assert.ok(Object.is(back.params['lstm_0/kernel'][0], -0), 'lstm_0/kernel[0] should stay -0');
    assert.equal(back.params['lstm_0/kernel'][1], Math.fround(1e-45)); // the smallest denormal
    assert.deepEqual(encodeCheckpoint(back), bytes, 're-encoding the decoded state changed the bytes');
  });

  test('a one-layer checkpoint written before stacks (webgpu-lstm-checkpoint/1) resumes as layers [hidden]', () => {
    // Format 1 as it was written: config with hidden, tensors lstm/*, adam/m/lstm/*, adam/v/lstm/*, in the
    // same order and over the same data; resealed by the independent implementation of the checksums above.
    const p = parseFile(bytes);
    p.header = Object.fromEntries(Object.entries(p.header).map(([n, e]) => [n.replace(/^((?:adam\/[mv]\/)?)lstm_0\//, '$1lstm/'), e]));
    metadataOf(p).format = 'webgpu-lstm-checkpoint/1';
    metadataOf(p).config = JSON.stringify({ steps: 3, inputSize: 2, hidden: 3, classes: 2, forgetBias: 1 });
    const old = reseal(p);
    const v1Names = ['lstm/kernel', 'lstm/bias', 'output/kernel', 'output/bias'];
    assert.deepEqual(Object.keys(parseFile(old).header), [...['', 'adam/m/', 'adam/v/'].flatMap((pre) => v1Names.map((n) => pre + n)), '__metadata__']);
    assert.equal(metadataOf(parseFile(old)).format, 'webgpu-lstm-checkpoint/1');
    const back = decodeCheckpoint(old, 'old.ckpt');
    assert.deepEqual(back.config, small);
    assert.deepEqual(back.config.layers, [3]);
    assert.deepEqual(back.options, state.options);
    assert.deepEqual(bits(back.params), bits(state.params));
    assert.deepEqual(bits(back.adamM), bits(state.adamM));
    assert.deepEqual(bits(back.adamV), bits(state.adamV));
    assert.equal(back.step, state.step);
    assert.deepEqual(back.dataOrder, state.dataOrder);
    // The next checkpoint of the resumed run is format 2, byte for byte the file the same state writes today.
    assert.deepEqual(encodeCheckpoint(back), bytes);
    // Damage to a format-1 file is caught like damage to a format-2 one.
    const flipped = old.slice();
    flipped[old.length - 1] ^= 1;
    throwsUserError(() => decodeCheckpoint(flipped, 'old.ckpt'), /^old\.ckpt is corrupted .*the tensor data's checksum/);    // A format-2 name in a format-1 checkpoint is refused rather than mapped onto lstm/... (one would be dropped).
    const misnamed = parseFile(bytes);
    misnamed.header = Object.fromEntries(Object.entries(misnamed.header).map(([n, e]) => [n === 'adam/m/lstm_0/bias' ? n : n.replace(/^((?:adam\/[mv]\/)?)lstm_0\//, '$1lstm/'), e]));
    metadataOf(misnamed).format = 'webgpu-lstm-checkpoint/1';
    metadataOf(misnamed).config = JSON.stringify({ steps: 3, inputSize: 2, hidden: 3, classes: 2, forgetBias: 1 });
    throwsUserError(() => decodeCheckpoint(reseal(misnamed), 'old.ckpt'), /tensor "adam\/m\/lstm_0\/bias" has a format-2 name, but the file says format 1/);
  });

  test('a stack of two layers round trips, with its tensors in the documented order', () => {
    const stacked: ModelConfig = { steps: 2, inputSize: 4, layers: [5, 3], classes: 3, forgetBias: 1 };
    const s2 = makeState(stacked, 7);
    const b2 = encodeCheckpoint(s2);
    const shapes: [string, number[]][] = [
      ['lstm_0/kernel', [4 + 5, 20]], ['lstm_0/bias', [20]], ['lstm_1/kernel', [5 + 3, 12]], ['lstm_1/bias', [12]], ['output/kernel', [3, 3]], ['output/bias', [3]],
    ];
    const { tensors, metadata } = decodeSafetensors(b2, 'x');
    assert.deepEqual(
      Object.entries(tensors).map(([n, t]) => [n, t.shape]),
      ['', 'adam/m/', 'adam/v/'].flatMap((pre) => shapes.map(([n, shape]) => [pre + n, shape])),
    );
    assert.equal(metadata.format, 'webgpu-lstm-checkpoint/2');
    assert.equal(metadata.config, '{"steps":2,"inputSize":4,"layers":[5,3],"classes":3,"forgetBias":1}');
    const back = decodeCheckpoint(b2, 'two.ckpt');
    assert.deepEqual(back.config, stacked);
    assert.deepEqual(back.options, s2.options);
    assert.equal(back.step, s2.step);
    assert.deepEqual(back.dataOrder, s2.dataOrder);
    for (const k of ['params', 'adamM', 'adamV'] as const) assert.deepEqual(bits(back[k]), bits(s2[k]), `${k} bits differ`);
    assert.deepEqual(encodeCheckpoint(back), b2, 're-encoding the decoded state changed the bytes');
    checkResumeCompatible(back, { config: { ...stacked }, options: { ...back.options } }, 'run.ckpt');
    throwsUserError(
      () => checkResumeCompatible(back, { config: { ...stacked, layers: [5] }, options: back.options }, 'run.ckpt'),
      /^cannot resume: --layers 5 contradicts run\.ckpt \(layers 5,3\); drop the flag or pass 5,3\.$/,
    );
  });

  test('decoding copies out of the input, also from an unaligned view', () => {
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back = decodeCheckpoint(shifted.subarray(3), 'a.ckpt');
    assert.deepEqual(bits(back.adamV), bits(state.adamV));
    assert.notEqual(back.params['lstm_0/kernel'].buffer, shifted.buffer);
  });

  test('it is a standard safetensors file with the documented names, metadata and checksums', () => {
    const { tensors, metadata } = decodeSafetensors(bytes, 'a.ckpt');
    const prefixes = ['', 'adam/m/', 'adam/v/'];
    assert.deepEqual(Object.keys(tensors), prefixes.flatMap((p) => oneLayerNames.map((n) => p + n)));
    assert.deepEqual(tensors['adam/v/lstm_0/kernel'].shape, [5, 12]);
    assert.deepEqual(Object.keys(metadata), ['format', 'gate_order', 'config', 'options', 'step', 'data_order', 'data_crc32', 'header_crc32']);
    assert.equal(metadata.format, checkpointFormat);
    assert.equal(metadata.gate_order, 'i,j,f,o');
    assert.deepEqual(JSON.parse(metadata.config), small);
    assert.deepEqual(JSON.parse(metadata.options), state.options);
    assert.equal(metadata.step, '123456789');
    assert.deepEqual(JSON.parse(metadata.data_order), state.dataOrder);
    // The design, recomputed independently: resealing the parsed file must reproduce it byte for byte.
    assert.deepEqual(reseal(parseFile(bytes)), bytes, 'the checksums are not the documented CRC-32s');
  });

  test('a reference-size checkpoint (H=128) round trips; timings', (t) => {
    const big = makeState(referenceModel, 2);
    let start = performance.now();
    const encoded = encodeCheckpoint(big);
    const encodeMs = performance.now() - start;
    start = performance.now();
    const back = decodeCheckpoint(encoded, 'big.ckpt');
    const decodeMs = performance.now() - start;
    assert.deepEqual(bits(back.adamM), bits(big.adamM));
    t.diagnostic(`${encoded.length} bytes: encode ${encodeMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms`);
  });

  test('a model file is refused as a checkpoint: it has no optimizer state', () => {
    const model = saveModelBytes(small, state.params, { steps: '1000' });
    throwsUserError(
      () => decodeCheckpoint(model, 'model.safetensors'),
      /^model\.safetensors is a model file \(format "webgpu-lstm\/2", written by `npm run train -- --out FILE`\), not a checkpoint: it has no optimizer state/,
    );
  });

  test('files that are not checkpoints at all', () => {
    throwsUserError(() => decodeCheckpoint(new Uint8Array(0), 'empty.ckpt'), /^empty\.ckpt is not a checkpoint: the file is 0 bytes/);
    throwsUserError(() => decodeCheckpoint(ascii('hello, world! this is text'), 'x.txt'), /^x\.txt is not a checkpoint: the header length/);
    const other = buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, __metadata__: { format: 'pt' } }, new Uint8Array(4));
    throwsUserError(() => decodeCheckpoint(other, 'o.st'), /^o\.st is not a checkpoint: .*"format" is "pt", not "webgpu-lstm-checkpoint\/2"/);
  });

  test('damage is reported as corruption, naming the file and what to do', () => {
    const flipped = bytes.slice();
    flipped[bytes.length - 5] ^= 0x10;
    throwsUserError(
      () => decodeCheckpoint(flipped, 'c.ckpt'),
      /^c\.ckpt is corrupted \(truncated or modified after it was written\): the tensor data's checksum is [0-9a-f]{8} but the header says [0-9a-f]{8}, so the data was changed\. Resume from the previous checkpoint, or start training afresh\.$/,
    );
    const p = parseFile(bytes);
    metadataOf(p).step = '123456790';
    throwsUserError(() => decodeCheckpoint(buildFile(p.header, p.data), 'c.ckpt'), /^c\.ckpt is corrupted .*the header's checksum is [0-9a-f]{8} but the file says/);
    throwsUserError(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), 'c.ckpt'), /^c\.ckpt is corrupted .*"adam\/v\/output\/bias" has data_offsets \[952, 960\] but the data region is only 956 bytes/);
    // Cut before any trace of a checkpoint: both possibilities are named.
    throwsUserError(
      () => decodeCheckpoint(bytes.subarray(0, 100), 'c.ckpt'),
      /^c\.ckpt is not a checkpoint: the header length is \d+ bytes but only 92 bytes follow it \(truncated\?\), so it is not a safetensors file\. If it was written as a checkpoint, it is corrupted \(truncated or modified\): resume from the previous checkpoint or start training afresh\.$/,
    );
    throwsUserError(() => decodeCheckpoint(bytes.subarray(0, 1000), 'c.ckpt'), /^c\.ckpt is corrupted .*header length .*truncated/);
    const upper = parseFile(bytes);
    metadataOf(upper).data_crc32 = metadataOf(upper).data_crc32.toUpperCase().replace(/^./, 'A');
    throwsUserError(() => decodeCheckpoint(buildFile(upper.header, upper.data), 'c.ckpt'), /is not 8 lowercase hex digits/);
    const unsealed = parseFile(bytes);
    delete metadataOf(unsealed).header_crc32;
    throwsUserError(() => decodeCheckpoint(buildFile(unsealed.header, unsealed.data), 'c.ckpt'), /corrupted .*no "header_crc32" checksum/);
  });

  // Files whose checksums are right but whose content is not: what the validation after the checksums catches.
  test('consistent files with bad fields are refused naming the field, the value and what is allowed', () => {
    const cases: [string, (p: Parsed) => void, RegExp][] = [
      ['step -1', (p) => (metadataOf(p).step = '-1'), /metadata "step" is "-1", expected a whole number >= 0/],
      ['step 1.5', (p) => (metadataOf(p).step = '1.5'), /"step" is "1\.5"/],
      ['step 007', (p) => (metadataOf(p).step = '007'), /"step" is "007"/],
      ['step 2^53', (p) => (metadataOf(p).step = '9007199254740992'), /"step" is "9007199254740992"/],
      ['position 2^32', (p) => setJson(p, 'data_order', { position: 2 ** 32 }), /"data_order"\.position is 4294967296, expected a whole number from 0 to 4294967295/],
      ['position -1', (p) => setJson(p, 'data_order', { position: -1 }), /"data_order"\.position is -1/],
      ['rng word 2^32', (p) => setJson(p, 'data_order', { rng: [1, 2, 3, 2 ** 32] }), /"data_order"\.rng is \[1,2,3,4294967296\], expected a list of 4 whole numbers/],
      ['rng 3 words', (p) => setJson(p, 'data_order', { rng: [1, 2, 3] }), /"data_order"\.rng is \[1,2,3\]/],
      ['rng word 0.5', (p) => setJson(p, 'data_order', { rng: [1, 2, 3, 0.5] }), /"data_order"\.rng/],
      ['epoch -1', (p) => setJson(p, 'data_order', { epoch: -1 }), /"data_order"\.epoch is -1, expected a whole number >= 0/],
      ['lr 0', (p) => setJson(p, 'options', { lr: 0 }), /"options"\.lr is 0, expected a number > 0/],
      ['batch 0', (p) => setJson(p, 'options', { batch: 0 }), /"options"\.batch is 0/],
      ['seed 2^32', (p) => setJson(p, 'options', { seed: 2 ** 32 }), /"options"\.seed is 4294967296/],
      ['clipNorm -1', (p) => setJson(p, 'options', { clipNorm: -1 }), /"options"\.clipNorm is -1, expected a number >= 0 \(0 = off\)/],
      ['options not JSON', (p) => (metadataOf(p).options = '{'), /metadata "options" is not valid JSON/],
      ['config missing', (p) => delete metadataOf(p).config, /metadata "config" is missing/],
      ['layers [0]', (p) => setJson(p, 'config', { layers: [0] }), /"config"\.layers is \[0\], expected a list of 1 to 64 hidden sizes, each a whole number >= 1/],
      ['layers []', (p) => setJson(p, 'config', { layers: [] }), /"config"\.layers is \[\], expected a list of 1 to 64 hidden sizes/],
      ['layers 1.5', (p) => setJson(p, 'config', { layers: [1.5] }), /"config"\.layers is \[1\.5\]/],
      ['layers a number', (p) => setJson(p, 'config', { layers: 3 }), /"config"\.layers is 3, expected a list/],
      ['layers 0', (p) => setJson(p, 'config', { layers: 0 }), /"config"\.layers is 0, expected a list of 1 to 64 hidden sizes/],
      ['layers a string', (p) => setJson(p, 'config', { layers: '3' }), /"config"\.layers is "3", expected a list/],
      ['layers "3,3"', (p) => setJson(p, 'config', { layers: '3,3' }), /"config"\.layers is "3,3", expected a list/],
      ['layers [3, "3"]', (p) => setJson(p, 'config', { layers: [3, '3'] }), /"config"\.layers is \[3,"3"\], expected/],
      ['layers [3, -1]', (p) => setJson(p, 'config', { layers: [3, -1] }), /"config"\.layers is \[3,-1\], expected/],
      ['layers [3, null]', (p) => setJson(p, 'config', { layers: [3, null] }), /"config"\.layers is \[3,null\], expected/],
      ['layers null', (p) => setJson(p, 'config', { layers: null }), /"config"\.layers is null, expected/],
      ['layers absent', (p) => setJson(p, 'config', { layers: undefined }), /"config"\.layers is undefined, expected/],
      ['format 2 with hidden, no layers', (p) => setJson(p, 'config', { layers: undefined, hidden: 3 }), /"config"\.layers is undefined, expected a list/],
      ['layers 65 deep', (p) => setJson(p, 'config', { layers: Array(65).fill(3) }), /"config"\.layers is \[3,3,.*expected a list of 1 to 64/],
      ['format 1 hidden 1.5', (p) => ((metadataOf(p).format = 'webgpu-lstm-checkpoint/1'), (metadataOf(p).config = JSON.stringify({ steps: 3, inputSize: 2, hidden: 1.5, classes: 2, forgetBias: 1 }))),
        /"config"\.hidden is 1\.5, expected a whole number >= 1/],
      ['format 1 with layers, no hidden', (p) => (metadataOf(p).format = 'webgpu-lstm-checkpoint/1'), /"config"\.hidden is undefined, expected a whole number >= 1/],
      ['forgetBias "1"', (p) => setJson(p, 'config', { forgetBias: '1' }), /"config"\.forgetBias is "1", expected a finite number/],
      ['config layers [4]', (p) => setJson(p, 'config', { layers: [4] }), /tensor "lstm_0\/kernel" has shape \[5,12\], but the config in its metadata \(steps 3, inputSize 2, layers 4, classes 2\) needs \[6,16\]/],
      ['config layers [1e9]', (p) => setJson(p, 'config', { layers: [1e9] }), /tensor "lstm_0\/kernel" has shape \[5,12\], .* needs \[1000000002,4000000000\]/],
      ['config layers [3, 3]', (p) => setJson(p, 'config', { layers: [3, 3] }), /tensor "lstm_1\/kernel" is missing \(expected shape \[6,12\]\)/],
      ['format 3', (p) => (metadataOf(p).format = 'webgpu-lstm-checkpoint/3'), /"format" is "webgpu-lstm-checkpoint\/3"; this version reads "webgpu-lstm-checkpoint\/2" and "webgpu-lstm-checkpoint\/1"/],
      ['format model', (p) => (metadataOf(p).format = 'webgpu-lstm/2'), /is a model file .*no optimizer state/],
      ['format old model', (p) => (metadataOf(p).format = 'webgpu-lstm/1'), /is a model file .*no optimizer state/],
      ['gate order', (p) => (metadataOf(p).gate_order = 'i,f,j,o'), /"gate_order" is "i,f,j,o", expected "i,j,f,o"/],
      ['NaN in adam/m', (p) => setFloat(p, 'adam/m/output/bias', 1, NaN), /tensor "adam\/m\/output\/bias" holds NaN at index 1/],
      ['Infinity in params', (p) => setFloat(p, 'lstm_0/bias', 0, -Infinity), /tensor "lstm_0\/bias" holds -Infinity at index 0/],
      ['negative adam/v', (p) => setFloat(p, 'adam/v/lstm_0/kernel', 9, -0.5), /"adam\/v\/lstm_0\/kernel" holds -0\.5 at index 9, but Adam's second moment is never negative/],
      ['shape swapped', (p) => (tensorEntry(p, 'output/kernel').shape = [2, 3]), /tensor "output\/kernel" has shape \[2,3\], .* needs \[3,2\]/],
      ['tensor renamed', (p) => renameTensor(p, 'adam/v/output/bias', 'adam/v/output/bias2'), /tensor "adam\/v\/output\/bias" is missing \(expected shape \[2\]\)/],
      ['extra tensor', (p) => renameTensor(p, 'adam/v/output/bias', 'adam/v/output/bias', 'extra'), /unexpected tensors "extra"/],
    ];
    for (const [what, edit, pattern] of cases) {
      const p = parseFile(bytes);
      edit(p);
      const sealed = reseal(p);
      assert.throws(
        () => decodeCheckpoint(sealed, 'bad.ckpt'),
        (e: unknown) => {
          assert.ok(e instanceof UserError, `${what}: expected a UserError, got ${String(e)}`);
          assert.match(e.message, pattern, `${what}: wrong message`);
          assert.ok(e.message.startsWith('bad.ckpt'), `${what}: the message does not start with the file name: ${e.message}`);
          return true;
        },
        `${what}: decoded without an error`,
      );
    }
  });

  test('a header claiming huge tensors is refused fast, without allocating them', () => {
    const p = parseFile(bytes);
    tensorEntry(p, 'lstm_0/kernel').shape = [2 ** 20, 2 ** 20];
    tensorEntry(p, 'lstm_0/kernel').data_offsets = [0, 2 ** 42];
    const claims = reseal(p);
    const hugeLength = bytes.slice();
    new DataView(hugeLength.buffer).setUint32(4, 0x10000, true); // header length 2^48 + n
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    throwsUserError(() => decodeCheckpoint(claims, 'huge.ckpt'), /^huge\.ckpt is corrupted .*"lstm_0\/kernel" has data_offsets \[0, 4398046511104\] but the data region is only 960 bytes/);
    throwsUserError(() => decodeCheckpoint(hugeLength, 'huge.ckpt'), /^huge\.ckpt is corrupted .*header length is 2814749767\d{5} bytes/);
    const ms = performance.now() - start;
    const grown = process.memoryUsage().arrayBuffers - before;
    // Refusing both took 2-6 ms on a loaded 2-core machine; a decoder whose work followed the claimed sizes
    // (2^40 floats, a 2^48-byte header) would take minutes. A second cannot flake 3x slower, and still
    // tells the two apart.
    assert.ok(ms < 1000, `refusing took ${ms.toFixed(1)} ms`);
    assert.ok(grown < 64 * 2 ** 20, `array buffers grew by ${grown} bytes`);
  });

  test('encoding refuses a diverged state (UserError) and malformed states (programming errors)', () => {
    const nan = makeState(small);
    nan.adamV['output/bias'][1] = NaN;
    throwsUserError(() => encodeCheckpoint(nan), /^cannot write a checkpoint at step 123456789: tensor "adam\/v\/output\/bias" holds NaN at index 1, so the training has diverged/);
    const malformed: [string, (s: TrainingState) => void, RegExp][] = [
      ['short tensor', (s) => (s.adamM['lstm_0/bias'] = new Float32Array(3)), /adamM\["lstm_0\/bias"\] is not a Float32Array of 12 values/],
      ['float64 tensor', (s) => ((s.params as unknown as Record<string, Float64Array>)['lstm_0/bias'] = new Float64Array(12)), /params\["lstm_0\/bias"\] is not a Float32Array/],
      ['step -1', (s) => (s.step = -1), /step is -1/],
      ['rng word', (s) => (s.dataOrder.rng = [1, 2, 3, -1]), /dataOrder\.rng is \[1,2,3,-1\]/],
      ['position', (s) => (s.dataOrder.position = 2 ** 32), /dataOrder\.position is 4294967296/],
      ['lr', (s) => (s.options.lr = NaN), /options\.lr is NaN/],
      ['layers', (s) => (s.config = { ...s.config, layers: [2.5] }), /"config"\.layers is \[2\.5\]/],
      ['no layers', (s) => (s.config = { ...s.config, layers: [] }), /"config"\.layers is \[\]/],
    ];
    for (const [what, edit, pattern] of malformed) {
      const s = makeState(small);
      edit(s);
      assert.throws(
        () => encodeCheckpoint(s),
        (e: unknown) => {
          assert.ok(e instanceof Error && !(e instanceof UserError), `${what}: expected a plain Error, got ${String(e)}`);
          assert.match(e.message, pattern, `${what}: wrong message`);
          return true;
        },
        `${what}: encoded without an error`,
      );
    }
  });
});

describe('checkResumeCompatible', () => {
  const state = makeState(small);
  const same = { config: { ...small }, options: { ...state.options } };

  test('the same settings pass', () => {
    checkResumeCompatible(state, same, 'run.ckpt');
  });

  test('one differing flag: names it, both values and the fix', () => {
    throwsUserError(
      () => checkResumeCompatible(state, { ...same, config: { ...small, layers: [64] } }, 'run.ckpt'),
      /^cannot resume: --layers 64 contradicts run\.ckpt \(layers 3\); drop the flag or pass 3\.$/,
    );
    throwsUserError(
      () => checkResumeCompatible(state, { ...same, options: { ...state.options, clipNorm: 0 } }, 'run.ckpt'),
      /^cannot resume: --clip-norm 0 contradicts run\.ckpt \(clip-norm 0\.25\); drop the flag or pass 0\.25\.$/,
    );
  });

  test('every differing field is named with both values', () => {
    const requested = {
      config: { steps: 28, inputSize: 28, layers: [128], classes: 10, forgetBias: 0.5 },
      options: { batch: 100, lr: 0.01, seed: 0, clipNorm: 1 },
    };
    assert.throws(
      () => checkResumeCompatible(state, requested, 'run.ckpt'),
      (e: unknown) => {
        assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
        const lines = e.message.split('\n');
        assert.equal(lines[0], 'cannot resume: 9 settings differ from run.ckpt:');
        assert.deepEqual(lines.slice(1), [
          '  --layers 128 contradicts run.ckpt (layers 3); drop the flag or pass 3',
          '  the data has steps (timesteps per example) 28 but run.ckpt was trained on 3; resume with the same data set',
          '  the data has inputSize (features per timestep) 28 but run.ckpt was trained on 2; resume with the same data set',
          '  the data has classes 10 but run.ckpt was trained on 2; resume with the same data set',
          '  forgetBias 0.5 differs from run.ckpt (forgetBias 1); resume with the version that wrote it or start afresh',
          '  --batch 100 contradicts run.ckpt (batch 4); drop the flag or pass 4',
          '  --lr 0.01 contradicts run.ckpt (lr 0.001); drop the flag or pass 0.001',
          '  --seed 0 contradicts run.ckpt (seed 4294967295); drop the flag or pass 4294967295',
          '  --clip-norm 1 contradicts run.ckpt (clip-norm 0.25); drop the flag or pass 0.25',
        ]);
        return true;
      },
      'no error for 9 differing settings',
    );
  });
});

describe('learning-rate schedule in checkpoints', () => {
  const cosine: LrSchedule = { kind: 'cosine', warmup: 200, steps: 6600 };
  const stepped: LrSchedule = { kind: 'step', warmup: 0, every: 334, gamma: 0.1 };

  test('every kind round trips in options.schedule; a constant run without it writes options as before', () => {
    for (const schedule of [cosine, stepped, { kind: 'constant', warmup: 50 } as LrSchedule]) {
      const state = makeState(small);
      state.options.schedule = schedule;
      const bytes = encodeCheckpoint(state);
      assert.deepEqual(JSON.parse(decodeSafetensors(bytes, 'a.ckpt').metadata.options).schedule, schedule);
      assert.deepEqual(decodeCheckpoint(bytes, 'a.ckpt').options, state.options);
    }
    const plain = makeState(small);
    assert.deepEqual(Object.keys(JSON.parse(decodeSafetensors(encodeCheckpoint(plain), 'a.ckpt').metadata.options)), ['batch', 'lr', 'seed', 'clipNorm']);
  });

  test('a checkpoint without a schedule (written before schedules) resumes as constant without warmup', () => {
    const old = decodeCheckpoint(encodeCheckpoint(makeState(small)), 'old.ckpt');
    assert.equal(old.options.schedule, undefined);
    const same = { config: { ...small }, options: { ...old.options } };
    checkResumeCompatible(old, { ...same, options: { ...old.options, schedule: { kind: 'constant', warmup: 0 } } }, 'old.ckpt');
    throwsUserError(
      () => checkResumeCompatible(old, { ...same, options: { ...old.options, schedule: cosine } }, 'old.ckpt'),
      /^cannot resume: 2 settings differ from old\.ckpt:\n {2}--lr-schedule cosine contradicts old\.ckpt \(lr-schedule constant\); drop the flag or pass constant\n {2}--warmup 200 contradicts old\.ckpt \(warmup 0\); drop the flag or pass 0$/,
    );
  });

  test('resuming with a contradicting schedule names both values', () => {
    const state = makeState(small);
    state.options.schedule = cosine;
    const same = { config: { ...small }, options: { ...state.options } };
    checkResumeCompatible(state, same, 'run.ckpt');
    const asking = (schedule: LrSchedule | undefined) => () => checkResumeCompatible(state, { ...same, options: { ...state.options, schedule } }, 'run.ckpt');
    throwsUserError(asking({ ...cosine, steps: 3300 }),
      /^cannot resume: a run of 3300 steps \(--steps or --epochs\) contradicts run\.ckpt \(its cosine schedule runs over 6600 steps\); drop --steps and --epochs, or pass --steps 6600\.$/);
    throwsUserError(asking({ ...cosine, warmup: 100 }), /^cannot resume: --warmup 100 contradicts run\.ckpt \(warmup 200\); drop the flag or pass 200\.$/);
    throwsUserError(asking(undefined), /^cannot resume: 2 settings differ .*\n {2}--lr-schedule constant contradicts run\.ckpt \(lr-schedule cosine\); drop the flag or pass cosine\n {2}--warmup 0 contradicts/);
    state.options.schedule = stepped;
    const step = { ...same, options: { ...state.options } };
    checkResumeCompatible(state, step, 'run.ckpt');
    throwsUserError(() => checkResumeCompatible(state, { ...step, options: { ...state.options, schedule: { ...stepped, every: 100, gamma: 0.5 } } }, 'run.ckpt'),
      /^cannot resume: 2 settings differ from run\.ckpt:\n {2}--lr-step-every 100 contradicts run\.ckpt \(lr-step-every 334\); drop the flag or pass 334\n {2}--lr-gamma 0\.5 contradicts run\.ckpt \(lr-gamma 0\.1\); drop the flag or pass 0\.1$/);
  });

  test('a file with a malformed schedule is refused naming the field', () => {
    const bytes = encodeCheckpoint(makeState(small));
    for (const schedule of [{ kind: 'cosine', warmup: 5 }, { kind: 'cosine', warmup: 5, steps: 5 }, { kind: 'linear', warmup: 0 }, { kind: 'step', warmup: 0, every: 3, gamma: 2 }, 'cosine']) {
      const p = parseFile(bytes);
      setJson(p, 'options', { schedule });
      throwsUserError(() => decodeCheckpoint(reseal(p), 'bad.ckpt'), /^bad\.ckpt: metadata "options"\.schedule is .*, expected absent \(constant, no warmup\) or \{"kind"/);
    }
    const p = parseFile(bytes);
    setJson(p, 'options', { schedule: cosine });
    assert.deepEqual(decodeCheckpoint(reseal(p), 'good.ckpt').options.schedule, cosine);
  });
});

describe('a stateful language model\'s checkpoint', () => {
  const lm = languageModel(5, 4, [3, 2]);
  const stateful = (): TrainingState => {
    const s = makeState(lm, 9);
    const rng = createRng(10);
    const state = (H: number): Float32Array => Float32Array.from({ length: 4 * H }, () => rng.normal());
    return {
      ...s,
      options: { ...s.options, task: { name: 'text', vocabulary: ['\n', ' ', 'a', 'é'], source: 'sea.txt' }, stateful: true },
      dataOrder: { rng: [], epoch: 2, position: 3 },
      carried: lm.layers.map((H) => ({ h: state(H), c: state(H) })),
    };
  };

  test('round trips bit for bit: config, vocabulary, text file, stateful, track order and each layer\'s carried h and c', () => {
    const s = stateful();
    const bytes = encodeCheckpoint(s);
    const { tensors, metadata } = decodeSafetensors(bytes, 'lm.ckpt');
    assert.deepEqual(Object.keys(tensors).slice(-4), ['state/h/lstm_0', 'state/c/lstm_0', 'state/h/lstm_1', 'state/c/lstm_1']);
    assert.deepEqual(tensors['state/h/lstm_1'].shape, [4, 2], '(B, H) per layer');
    assert.equal(metadata.config, '{"steps":5,"inputSize":4,"layers":[3,2],"classes":4,"forgetBias":1,"input":"tokens","outputs":"every"}');
    assert.equal(metadata.task, 'text');
    assert.equal(metadata.vocabulary, '["\\n"," ","a","é"]');
    assert.equal(metadata.text_source, 'sea.txt');
    const back = decodeCheckpoint(bytes, 'lm.ckpt');
    assert.deepEqual(back.config, lm);
    assert.deepEqual(back.options, s.options);
    assert.deepEqual(back.dataOrder, s.dataOrder);
    assert.deepEqual(bits(back.params), bits(s.params));
    assert.deepEqual(back.carried!.map((c) => [[...c.h], [...c.c]]), s.carried!.map((c) => [[...c.h], [...c.c]]));
    assert.deepEqual(encodeCheckpoint(back), bytes, 'written again byte for byte');
  });

  test('a stateful file without its carried state, or with the wrong order state, is refused by name', () => {
    const bytes = encodeCheckpoint(stateful());
    const cases: [string, (p: Parsed) => void, RegExp][] = [
      // The last tensor, its 4 x 2 floats cut from the data's end too.
      ['no state/c/lstm_1', (p) => { delete p.header['state/c/lstm_1']; p.data = p.data.slice(0, p.data.length - 32); }, /tensor "state\/c\/lstm_1" is missing \(expected shape \[4,2\]\)/],
      ['4 rng words', (p) => setJson(p, 'data_order', { rng: [1, 2, 3, 4] }), /"data_order"\.rng has 4 numbers; a stateful run's has 0/],
      ['not stateful, no rng', (p) => setJson(p, 'options', { stateful: undefined }), /"data_order"\.rng has 0 numbers; a shuffled run's has 4/],
      ['stateful false', (p) => setJson(p, 'options', { stateful: false }), /"options"\.stateful is false, expected absent or true/],
      ['values config', (p) => setJson(p, 'config', { input: undefined }), /only a language model trains statefully/],
      ['no vocabulary', (p) => delete metadataOf(p).vocabulary, /metadata "vocabulary" is missing/],
      ['vocabulary of words', (p) => (metadataOf(p).vocabulary = '["ab"," "]'), /metadata "vocabulary" is \["ab"," "\], expected a JSON list of 1 to 256 distinct characters/],
      ['repeated symbol', (p) => (metadataOf(p).vocabulary = '["a","a"]'), /metadata "vocabulary"/],
      ['input bytes', (p) => setJson(p, 'config', { input: 'bytes' }), /"config"\.input is "bytes", expected "values" or "tokens"/],
    ];
    for (const [what, edit, pattern] of cases) {
      const p = parseFile(bytes);
      edit(p);
      throwsUserError(() => decodeCheckpoint(reseal(p), 'lm.ckpt'), pattern);
      assert.ok(true, what);
    }
  });

  test('resuming a stateful run without --stateful (or the reverse) names the flag', () => {
    const s = stateful();
    throwsUserError(() => checkResumeCompatible(s, { config: lm, options: { ...s.options, stateful: undefined } }, 'lm.ckpt'),
      /stateful training off \(--stateful\) contradicts lm\.ckpt \(stateful on\); pass --stateful/);
    throwsUserError(() => checkResumeCompatible(s, { config: lm, options: { ...s.options, task: { name: 'text', vocabulary: ['a'] } } }, 'lm.ckpt'),
      /--task text contradicts lm\.ckpt/);
  });
});

describe('checkpoint fuzzing', () => {
  test('every damaged file is refused with a UserError, never decoded', (t) => {
    const good = encodeCheckpoint(makeState(small, 5));
    const goodMessage = decodeCheckpoint(good, 'fuzz.ckpt'); // the undamaged file decodes
    assert.equal(goodMessage.step, 123456789);
    const rng = createRng(20240601);
    const counts: Record<string, number> = {};
    const start = performance.now();

    /** Decoding `bytes` must throw a UserError naming the file (and, if given, matching `pattern`). */
    const refused = (kind: string, bytes: Uint8Array, what: () => string, pattern?: RegExp): void => {
      counts[kind] = (counts[kind] ?? 0) + 1;
      let decoded: TrainingState;
      try {
        decoded = decodeCheckpoint(bytes, 'fuzz.ckpt');
      } catch (e) {
        if (!(e instanceof UserError)) assert.fail(`${kind} ${what()}: threw ${(e as Error)?.stack ?? String(e)}, not a UserError`);
        if (!e.message.startsWith('fuzz.ckpt')) assert.fail(`${kind} ${what()}: the message does not start with the file name: ${e.message}`);
        if (pattern !== undefined && !pattern.test(e.message)) assert.fail(`${kind} ${what()}: message ${JSON.stringify(e.message)} does not match ${pattern}`);
        return;
      }
      assert.fail(`${kind} ${what()}: a damaged file decoded into a state (step ${decoded.step})`);
    };
    const corruptedOrNot = /^fuzz\.ckpt is (corrupted|not a checkpoint: .* If it was written as a checkpoint, it is corrupted)/;

    // Exhaustive: every truncation, every single-bit flip.
    for (let n = 0; n < good.length; n++) refused('truncation', good.subarray(0, n), () => `to ${n} bytes`, corruptedOrNot);
    for (let i = 0; i < good.length; i++) {
      for (let b = 0; b < 8; b++) {
        const bad = good.slice();
        bad[i] ^= 1 << b;
        refused('single-bit flip', bad, () => `byte ${i} bit ${b}`, /^fuzz\.ckpt is corrupted/);
      }
    }

    const random: [string, () => [Uint8Array, string]][] = [
      ['multi-bit flips', () => {
        const bad = good.slice();
        const flips = new Set<number>();
        for (let k = 2 + rng.int(31); flips.size < k; ) flips.add(rng.int(8 * bad.length));
        for (const f of flips) bad[f >> 3] ^= 1 << (f & 7);
        return [bad, `bits ${[...flips]}`];
      }],
      ['burst overwrite', () => {
        const bad = good.slice();
        const at = rng.int(bad.length);
        const len = 1 + rng.int(64);
        for (let i = at; i < Math.min(bad.length, at + len); i++) bad[i] = rng.int(256);
        return same(bad, good) ? random[1][1]() : [bad, `bytes ${at}..${at + len}`];
      }],
      ['header edit', () => headerEdit(good, rng)],
      ['splice', () => splice(good, rng)],
      ['garbage', () => garbage(good, rng)],
    ];
    // A fixed number of rounds, no deadline: every stage runs all its cases however slow the machine (the
    // whole test took 2.7 s on a loaded 2-core machine).
    const rounds = 1500;
    for (let round = 0; round < rounds; round++) {
      for (const [kind, make] of random) {
        const [bad, what] = make();
        refused(kind, bad, () => what);
      }
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const ms = performance.now() - start;
    t.diagnostic(`${total} cases in ${ms.toFixed(0)} ms on a ${good.length}-byte checkpoint: ${JSON.stringify(counts)}`);
    const planned = { truncation: good.length, 'single-bit flip': 8 * good.length, ...Object.fromEntries(random.map(([kind]) => [kind, rounds])) };
    assert.deepEqual(counts, planned, 'every stage ran all its cases');
  });
});

// ---- edits

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function setJson(p: Parsed, key: string, changes: Record<string, unknown>): void {
  const meta = metadataOf(p);
  meta[key] = JSON.stringify({ ...JSON.parse(meta[key]), ...changes });
}

function tensorEntry(p: Parsed, name: string): { dtype: string; shape: number[]; data_offsets: number[] } {
  return p.header[name] as { dtype: string; shape: number[]; data_offsets: number[] };
}

function setFloat(p: Parsed, name: string, index: number, value: number): void {
  new DataView(p.data.buffer).setFloat32(tensorEntry(p, name).data_offsets[0] + 4 * index, value, true);
}

/** Moves tensor `from` to the name `to`; with `extra`, keeps `from` and adds a 1-float tensor `extra` at the end. */
function renameTensor(p: Parsed, from: string, to: string, extra?: string): void {
  const entry = tensorEntry(p, from);
  const meta = p.header.__metadata__;
  delete p.header.__metadata__;
  if (extra === undefined) {
    delete p.header[from];
    p.header[to] = entry;
  } else {
    p.header[extra] = { dtype: 'F32', shape: [1], data_offsets: [p.data.length, p.data.length + 4] };
    const data = new Uint8Array(p.data.length + 4);
    data.set(p.data);
    p.data = data;
  }
  p.header.__metadata__ = meta;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** 1 to 3 random changes to the header, re-serialised (checksums left as they were). */
function headerEdit(good: Uint8Array, rng: Rng): [Uint8Array, string] {
  const p = parseFile(good);
  const meta = metadataOf(p);
  const tensorNamesNow = () => Object.keys(p.header).filter((n) => n !== '__metadata__');
  const someTensor = () => pick(rng, tensorNamesNow()) ?? 'missing';
  const someEntry = () => tensorEntry(p, someTensor()) ?? { dtype: '', shape: [], data_offsets: [] };
  const done: string[] = [];
  const numberNear = (v: number) => pick(rng, [v + 1, v - 1, v * 2, 0, -v, v + 0.5, 2 ** 32, 2 ** 53, 1e300]);
  const edits: (() => string)[] = [
    () => ((meta.step = String(numberNear(Number(meta.step)))), `step ${meta.step}`),
    () => ((meta.step = pick(rng, ['', '-0', '1e3', ' 1', '0x10', 'NaN'])), `step ${JSON.stringify(meta.step)}`),
    () => {
      const key = pick(rng, ['config', 'options', 'data_order']);
      if (meta[key] === undefined) return `${key} absent`;
      const v = JSON.parse(meta[key]) as Record<string, unknown>;
      const field = pick(rng, Object.keys(v));
      if (key === 'config' && field === 'layers') {
        const layers = v.layers as number[];
        v.layers = pick<unknown>(rng, [
          layers.map((h) => numberNear(h)), [...layers, numberNear(layers[0])], layers.slice(1), [0], [1.5], 0, String(layers[0]), Array(65).fill(layers[0]),
        ]);
      } else {
        v[field] = Array.isArray(v[field]) ? (v[field] as number[]).map((w, i) => (i === rng.int(4) ? numberNear(w) : w)) : numberNear(v[field] as number);
      }
      meta[key] = JSON.stringify(v);
      return `${key}.${field} = ${JSON.stringify(v[field])}`;
    },
    () => ((meta.format = pick(rng, ['webgpu-lstm/1', 'webgpu-lstm/2', 'webgpu-lstm-checkpoint/1', 'webgpu-lstm-checkpoint/3', '', 'pt'])), `format ${meta.format}`),
    () => ((meta.gate_order = 'i,f,j,o'), 'gate_order'),
    () => {
      const k = pick(rng, Object.keys(meta));
      delete meta[k];
      return `metadata ${k} deleted`;
    },
    () => ((meta.note = 'x'), 'metadata note added'),
    () => {
      const k = pick(rng, ['data_crc32', 'header_crc32'] as const);
      const was = meta[k] ?? ''; // an earlier edit of this file may have deleted it
      meta[k] = pick(rng, [crc32Hex(rng.int(2 ** 32)), was.toUpperCase(), was.slice(1), ` ${was}`]);
      return `${k} = ${meta[k]}`;
    },
    () => {
      const e = someEntry();
      e.shape = rng.int(2) === 0 ? [...e.shape].reverse() : e.shape.map((d) => (rng.int(2) === 0 ? numberNear(d) : d));
      return `shape ${JSON.stringify(e.shape)}`;
    },
    () => {
      const [a, b] = [someEntry(), someEntry()];
      [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
      return 'data_offsets swapped';
    },
    () => {
      const e = someEntry();
      e.data_offsets = e.data_offsets.map((o) => (rng.int(2) === 0 ? o + pick(rng, [4, -4, 1, 1e15]) : o));
      return `data_offsets ${JSON.stringify(e.data_offsets)}`;
    },
    () => {
      const e = someEntry();
      e.dtype = pick(rng, ['F16', 'BF16', 'F64', 'I32', 'f32', '']);
      return `dtype ${e.dtype}`;
    },
    () => {
      const n = someTensor();
      delete p.header[n];
      return `tensor ${n} deleted`;
    },
    () => {
      const n = someTensor();
      const e = p.header[n];
      delete p.header[n];
      p.header[pick(rng, [n, `${n}x`, n.toUpperCase()])] = e; // re-inserted: moves it, maybe renamed
      return `tensor ${n} moved or renamed`;
    },
  ];
  for (let k = 1 + rng.int(3); k > 0; k--) done.push(pick(rng, edits)());
  const bad = buildFile(p.header, p.data, rng.int(4) === 0 ? 1 : undefined);
  if (same(bad, good)) return headerEdit(good, rng); // an edit that changed nothing is no test
  return [bad, done.join('; ')];
}

/** Bytes cut out, duplicated, or appended. */
function splice(good: Uint8Array, rng: Rng): [Uint8Array, string] {
  const at = rng.int(good.length);
  const len = 1 + rng.int(Math.min(64, good.length - at));
  switch (rng.int(3)) {
    case 0: {
      const bad = new Uint8Array(good.length - len);
      bad.set(good.subarray(0, at));
      bad.set(good.subarray(at + len), at);
      return [bad, `${len} bytes cut at ${at}`];
    }
    case 1: {
      const bad = new Uint8Array(good.length + len);
      bad.set(good.subarray(0, at + len));
      bad.set(good.subarray(at), at + len);
      return [bad, `${len} bytes duplicated at ${at}`];
    }
    default: {
      const bad = new Uint8Array(good.length + len);
      bad.set(good);
      for (let i = good.length; i < bad.length; i++) bad[i] = rng.int(256);
      return [bad, `${len} bytes appended`];
    }
  }
}

/** Random bytes; random bytes after a plausible header length; a plausible header over random data. */
function garbage(good: Uint8Array, rng: Rng): [Uint8Array, string] {
  const kind = rng.int(3);
  const n = kind === 2 ? good.length : rng.int(4096);
  const bad = Uint8Array.from({ length: n }, () => rng.int(256));
  if (kind === 1 && n >= 8) new DataView(bad.buffer).setBigUint64(0, BigInt(rng.int(n - 7)), true);
  if (kind === 2) bad.set(good.subarray(0, 8 + new DataView(good.buffer).getUint32(0, true))); // the real header
  return [bad, ['random bytes', 'random after a length', 'real header, random data'][kind]];
}
