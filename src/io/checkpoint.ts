// A training checkpoint: everything a run needs to continue exactly where it stopped (config, options,
// optimizer step, parameters, Adam moments, the data-order generator), as one .safetensors file, so that
// standard tools can read it. Browser-safe: works on bytes, never touches the file system.
//
// Tensors, in this order: the parameters under the model file's names (lstm_0/kernel, lstm_0/bias, ...,
// output/kernel, output/bias), then the first moments as adam/m/<name>, then the second as adam/v/<name>.
// Metadata (all strings): format, gate_order "i,j,f,o", config (JSON, as in model files: model-config.ts),
// options (JSON), step, data_order
// (JSON), data_crc32, header_crc32. options.schedule is the learning-rate schedule (src/train/lr-schedule.ts,
// the cosine's total steps included); it is absent for a constant rate without warmup, as in checkpoints
// written before schedules, which therefore load as that. After options come task and permute for a task
// other than the rows one (src/data/tasks.ts), as in model files; absent, as in older files: 'mnist'.
//
// Integrity: two CRC-32s (8 lowercase hex digits), which together cover every byte of the file.
//   data_crc32    the data region, i.e. everything after the header.
//   header_crc32  the bytes before the data: the 8-byte length, the header JSON exactly as written (so also
//                 the data_crc32 field, key order, number spelling and the padding), with the 8 digits of
//                 header_crc32 itself read as "00000000".
// A stateful language model's run (options.stateful) adds, after the moments, the state it carries into its
// next window: state/h/<layer> and state/c/<layer>, (B, H) each, per layer bottom-up (<layer> is lstm_0,
// lstm_1, ...); its data_order's rng is [] (its order is not shuffled: data-order.ts restoreTrackOrder).
// Checkpoints of format webgpu-lstm-checkpoint/1 (one layer, written before stacks) are read as well.
//
// Any single flipped bit, any burst of up to 32 bits, any truncation and any edit of the header therefore
// fails a check (random damage beyond that slips through with probability about 2^-32). decodeCheckpoint
// verifies both before it believes anything in the header, then validates every field and value, and returns
// a state only when all of it holds.

import { type ModelConfig, type Tensors, tensorShapes, tensorSize } from '../train/model.ts';
import { type FormatVersion, configFrom, configJson, configProblem, tensorsByCurrentName } from './model-config.ts';
import type { DataOrderState } from '../train/data-order.ts';
import type { CarriedState } from '../train/trainer.ts';
import { type Task, defaultTask, sameTask, taskFlags, taskFromMetadata, taskMetadata } from '../data/tasks.ts';
import { type LrSchedule, constantSchedule, scheduleProblem } from '../train/lr-schedule.ts';
import { UserError } from '../user-error.ts';
import { crc32, crc32Hex } from './crc32.ts';
import { gateOrder, legacyModelFormat, modelFormat } from './model-file.ts';
import { type NamedTensor, type Safetensors, decodeSafetensors, encodeSafetensors } from './safetensors.ts';

export type { DataOrderState };

export interface TrainingOptions {
  batch: number;
  lr: number;
  seed: number;
  /** Global gradient-norm clip; 0 = off. */
  clipNorm: number;
  /** The learning-rate schedule; absent: constant, no warmup. */
  schedule?: LrSchedule;
  /** How images are read (src/data/tasks.ts); absent: 'mnist', rows. */
  task?: Task;
  /** A language model's truncated BPTT with h and c carried between windows; absent: false. */
  stateful?: boolean;
}

export interface TrainingState {
  config: ModelConfig;
  options: TrainingOptions;
  /** Optimizer steps done. */
  step: number;
  params: Tensors;
  adamM: Tensors;
  adamV: Tensors;
  dataOrder: DataOrderState;
  /** Present exactly when options.stateful: per layer the h and c (B, H) of the next window's start. */
  carried?: CarriedState[];
}

/** The carried-state tensors of a stateful run: names and shape per layer. */
function carriedShapes(s: { config: ModelConfig; options: TrainingOptions }): { h: string; c: string; shape: number[] }[] {
  if (!s.options.stateful) return [];
  return s.config.layers.map((H, k) => ({ h: `state/h/lstm_${k}`, c: `state/c/lstm_${k}`, shape: [s.options.batch, H] }));
}

export const checkpointFormat = 'webgpu-lstm-checkpoint/2';
/** One-layer checkpoints written before stacks: still read. */
export const legacyCheckpointFormat = 'webgpu-lstm-checkpoint/1';
const isModelFormat = (f: string | undefined): boolean => f === modelFormat || f === legacyModelFormat;

const groups = [
  ['params', ''],
  ['adamM', 'adam/m/'],
  ['adamV', 'adam/v/'],
] as const;
const checksumKeys = ['header_crc32', 'data_crc32'] as const;
const blankDigits = '00000000';
const ascii = new TextEncoder();

/**
 * The checkpoint file's bytes. A malformed state (wrong sizes, a step or word out of range) is a bug: Error.
 * NaN or Infinity anywhere (or a negative second moment) means the run diverged: UserError, no file.
 */
export function encodeCheckpoint(s: TrainingState): Uint8Array {
  const bug = (problem: string): never => {
    throw new Error(`encodeCheckpoint: ${problem}`);
  };
  const problem =
    (typeof s.config === 'object' && s.config !== null ? configProblem(s.config as unknown as Record<string, unknown>, 2) : 'config is not an object') ??
    rulesProblem('options', s.options, optionRules) ??
    rulesProblem('dataOrder', s.dataOrder, dataOrderRules) ??
    (isWhole(s.step) ? undefined : `step is ${show(s.step)}, expected a whole number >= 0`);
  if (problem !== undefined) bug(problem);
  const shapes = tensorShapes(s.config);
  const tensors: Record<string, NamedTensor> = {};
  for (const [field, prefix] of groups) {
    for (const name of Object.keys(shapes)) {
      const data = s[field]?.[name];
      if (!(data instanceof Float32Array) || data.length !== tensorSize(shapes[name])) {
        bug(`${field}["${name}"] is not a Float32Array of ${tensorSize(shapes[name])} values (shape [${shapes[name]}])`);
      }
      const bad = valuesProblem(prefix + name, data);
      if (bad !== undefined) {
        throw new UserError(
          `cannot write a checkpoint at step ${s.step}: ${bad}, so the training has diverged. ` +
            'Resume from an earlier checkpoint with a lower --lr or with --clip-norm.',
        );
      }
      tensors[prefix + name] = { shape: shapes[name], data };
    }
  }
  const carried = carriedShapes(s);
  if (carried.length > 0 && s.carried?.length !== carried.length) bug(`a stateful run's checkpoint needs the carried state of its ${carried.length} layers`);
  if (carried.length === 0 && s.carried !== undefined) bug('a carried state, but options.stateful is not set');
  carried.forEach(({ h, c, shape }, k) => {
    for (const [name, data] of [[h, s.carried![k].h], [c, s.carried![k].c]] as const) {
      if (!(data instanceof Float32Array) || data.length !== tensorSize(shape)) bug(`carried ${name} is not a Float32Array of ${tensorSize(shape)} values (shape [${shape}])`);
      const bad = valuesProblem(name, data);
      if (bad !== undefined) throw new UserError(`cannot write a checkpoint at step ${s.step}: ${bad}, so the training has diverged. Resume from an earlier checkpoint with a lower --lr or with --clip-norm.`);
      tensors[name] = { shape, data };
    }
  });
  const { batch, lr, seed, clipNorm, schedule, stateful } = s.options;
  const { rng, epoch, position } = s.dataOrder;
  const metadata = {
    format: checkpointFormat,
    gate_order: gateOrder,
    config: configJson(s.config),
    options: JSON.stringify({ batch, lr, seed, clipNorm, ...(schedule ? { schedule } : {}), ...(stateful ? { stateful } : {}) }),
    ...taskMetadata(s.options.task ?? defaultTask),
    step: String(s.step),
    data_order: JSON.stringify({ rng: [...rng], epoch, position }),
    data_crc32: blankDigits,
    header_crc32: blankDigits,
  };
  const out = encodeSafetensors(tensors, metadata);
  const dataStart = dataOffset(out);
  const dataDigits = digitsAt(out, dataStart, 'data_crc32');
  const headerDigits = digitsAt(out, dataStart, 'header_crc32');
  if (typeof dataDigits === 'string' || typeof headerDigits === 'string') return bug('checksum fields not found in the header');
  out.set(ascii.encode(crc32Hex(crc32(out.subarray(dataStart)))), dataDigits);
  out.set(ascii.encode(crc32Hex(headerCrc(out, dataStart, headerDigits))), headerDigits); // last: it covers the line above
  return out;
}

/**
 * The state in a checkpoint file, or a UserError naming `fileName`, what is wrong and what to do: corrupted
 * (a checksum or the structure fails), a model file rather than a checkpoint, not a checkpoint at all, or a
 * field or tensor out of range. Nothing is returned unless everything has been checked.
 */
export function decodeCheckpoint(bytes: Uint8Array, fileName: string): TrainingState {
  const f = fileName;
  let file: Safetensors;
  try {
    file = decodeSafetensors(bytes, f);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const detail = safetensorsProblem(e.message, f);
    if (hasCheckpointMarks(bytes)) throw corrupted(f, detail);
    throw new UserError(
      `${f} is not a checkpoint: ${detail}, so it is not a safetensors file. If it was written as a checkpoint, ` +
        'it is corrupted (truncated or modified): resume from the previous checkpoint or start training afresh.',
    );
  }
  const { tensors, metadata } = file;
  const format = own(metadata, 'format');
  const claimsCheckpoint =
    format?.startsWith('webgpu-lstm-checkpoint') === true ||
    checksumKeys.some((k) => Object.hasOwn(metadata, k)) ||
    Object.keys(tensors).some((n) => n.startsWith('adam/'));
  if (!claimsCheckpoint) {
    if (isModelFormat(format)) throw modelNotCheckpoint(f);
    throw new UserError(
      `${f} is not a checkpoint: it is a safetensors file whose metadata "format" is ${show(format)}, not ` +
        `"${checkpointFormat}". Pass a checkpoint written during training, or start training afresh.`,
    );
  }
  const damage = integrityProblem(bytes, metadata);
  if (damage !== undefined) throw corrupted(f, damage);

  // The bytes are exactly as written from here on: what fails below was written wrong, not damaged later.
  const fail = (problem: string): never => {
    throw new UserError(`${f}: ${problem}. This checkpoint cannot be used: resume from another one or start training afresh.`);
  };
  if (isModelFormat(format)) throw modelNotCheckpoint(f);
  const version: FormatVersion | undefined = format === checkpointFormat ? 2 : format === legacyCheckpointFormat ? 1 : undefined;
  if (version === undefined) {
    return fail(`metadata "format" is ${show(format)}; this version reads "${checkpointFormat}" and "${legacyCheckpointFormat}" (use the version that wrote it)`);
  }
  if (own(metadata, 'gate_order') !== gateOrder) {
    fail(`metadata "gate_order" is ${show(own(metadata, 'gate_order'))}, expected "${gateOrder}"`);
  }
  const c = jsonObject(metadata, 'config', [], fail);
  const configBad = configProblem(c, version);
  if (configBad !== undefined) fail(`metadata ${configBad}`);
  const config = configFrom(c, version);
  const o = jsonObject(metadata, 'options', optionRules, fail);
  const options: TrainingOptions = { batch: o.batch as number, lr: o.lr as number, seed: o.seed as number, clipNorm: o.clipNorm as number };
  if (o.schedule !== undefined) options.schedule = o.schedule as LrSchedule;
  if (o.stateful === true) options.stateful = true;
  const task = taskFromMetadata(metadata);
  if ('problem' in task) return fail(task.problem);
  if (task.name !== 'mnist') options.task = task;
  if (options.stateful && config.input !== 'tokens') fail('options "stateful" is set, but the config reads values, not tokens: only a language model trains statefully');
  const d = jsonObject(metadata, 'data_order', dataOrderRules, fail);
  if ((d.rng as number[]).length !== (options.stateful ? 0 : 4)) {
    fail(`metadata "data_order".rng has ${(d.rng as number[]).length} numbers; a ${options.stateful ? 'stateful' : 'shuffled'} run's has ${options.stateful ? 0 : 4}`);
  }
  const dataOrder: DataOrderState = { rng: [...(d.rng as number[])], epoch: d.epoch as number, position: d.position as number };
  const stepText = own(metadata, 'step');
  if (stepText === undefined || !/^(0|[1-9][0-9]*)$/.test(stepText) || !isWhole(Number(stepText))) {
    fail(`metadata "step" is ${show(stepText)}, expected a whole number >= 0`);
  }
  const step = Number(stepText);

  const shapes = tensorShapes(config);
  // Tensors by their format-2 names (a format-1 file's lstm/kernel is lstm_0/kernel).
  const stored = tensorsByCurrentName(Object.keys(tensors), version);
  if ('problem' in stored) return fail(stored.problem as string);
  const expected = new Map<string, number[]>();
  for (const [, prefix] of groups) for (const name of Object.keys(shapes)) expected.set(prefix + name, shapes[name]);
  const carriedNames = carriedShapes({ config, options });
  for (const { h, c, shape } of carriedNames) expected.set(h, shape).set(c, shape);
  const found: Record<string, NamedTensor> = {};
  for (const [full, shape] of expected) {
    const storedName = stored.get(full);
    const t = storedName === undefined ? undefined : own(tensors, storedName);
    if (t === undefined) return fail(`tensor "${full}" is missing (expected shape [${shape}])`);
    found[full] = t;
    if (JSON.stringify(t.shape) !== JSON.stringify(shape)) {
      fail(`tensor "${full}" has shape [${t.shape}], but the config in its metadata (${describe(config)}${options.stateful ? `, batch ${options.batch}` : ''}) needs [${shape}]`);
    }
    const bad = valuesProblem(full, t.data);
    if (bad !== undefined) fail(bad);
  }
  const unexpected = [...stored].filter(([current]) => !expected.has(current)).map(([, n]) => n);
  if (unexpected.length > 0) fail(`unexpected tensors ${unexpected.map((n) => `"${n}"`).join(', ')}`);

  const pick = (prefix: string): Tensors => Object.fromEntries(Object.keys(shapes).map((n) => [n, found[prefix + n].data]));
  const state: TrainingState = { config, options, step, params: pick(''), adamM: pick('adam/m/'), adamV: pick('adam/v/'), dataOrder };
  if (carriedNames.length > 0) state.carried = carriedNames.map(({ h, c }) => ({ h: found[h].data, c: found[c].data }));
  return state;
}

/**
 * Refuses to resume when the run asked for differs from the checkpoint's: one UserError naming every
 * differing setting with both values.
 */
export function checkResumeCompatible(
  s: TrainingState,
  requested: { config: ModelConfig; options: TrainingOptions },
  fileName: string,
): void {
  const f = fileName;
  const flag = (name: string, asked: number | string, saved: number | string) =>
    `--${name} ${asked} contradicts ${f} (${name} ${saved}); drop the flag or pass ${saved}`;
  const fromData = (what: string, asked: number | string, saved: number | string) =>
    `the data has ${what} ${asked} but ${f} was trained on ${saved}; resume with the same data set`;
  const rate = requested.options.schedule ?? constantSchedule;
  const savedRate = s.options.schedule ?? constantSchedule;
  const askedTask = requested.options.task ?? defaultTask;
  const savedTask = s.options.task ?? defaultTask;
  // Another task reads other shapes (T, I) from the same images: then name the task, not the shapes.
  const taskDiffers = !sameTask(askedTask, savedTask);
  const taskLine = taskDiffers ? [`${taskFlags(askedTask)} contradicts ${f} (${taskFlags(savedTask)}); drop the flags or pass ${taskFlags(savedTask)}`] : [];
  const checks: [asked: number | string, saved: number | string, line: (asked: number | string, saved: number | string) => string][] = [
    [requested.config.layers.join(','), s.config.layers.join(','), (a, b) => flag('layers', a, b)],
    [taskDiffers ? s.config.steps : requested.config.steps, s.config.steps, (a, b) => fromData('steps (timesteps per example)', a, b)],
    [taskDiffers ? s.config.inputSize : requested.config.inputSize, s.config.inputSize, (a, b) => fromData('inputSize (features per timestep)', a, b)],
    [requested.config.classes, s.config.classes, (a, b) => fromData('classes', a, b)],
    [
      requested.config.forgetBias,
      s.config.forgetBias,
      (a, b) => `forgetBias ${a} differs from ${f} (forgetBias ${b}); resume with the version that wrote it or start afresh`,
    ],
    [requested.options.batch, s.options.batch, (a, b) => flag('batch', a, b)],
    [requested.options.lr, s.options.lr, (a, b) => flag('lr', a, b)],
    [requested.options.seed, s.options.seed, (a, b) => flag('seed', a, b)],
    [requested.options.clipNorm, s.options.clipNorm, (a, b) => flag('clip-norm', a, b)],
    [rate.kind, savedRate.kind, (a, b) => flag('lr-schedule', a, b)],
    [requested.options.stateful ? 'on' : 'off', s.options.stateful ? 'on' : 'off', (a, b) =>
      `stateful training ${a} (--stateful) contradicts ${f} (stateful ${b}); ${b === 'on' ? 'pass --stateful' : 'drop --stateful'}`],
    [rate.warmup, savedRate.warmup, (a, b) => flag('warmup', a, b)],
  ];
  if (rate.kind === 'cosine' && savedRate.kind === 'cosine') {
    checks.push([rate.steps, savedRate.steps, (a, b) =>
      `a run of ${a} steps (--steps or --epochs) contradicts ${f} (its cosine schedule runs over ${b} steps); drop --steps and --epochs, or pass --steps ${b}`]);
  }
  if (rate.kind === 'step' && savedRate.kind === 'step') {
    checks.push([rate.every, savedRate.every, (a, b) => flag('lr-step-every', a, b)], [rate.gamma, savedRate.gamma, (a, b) => flag('lr-gamma', a, b)]);
  }
  const lines = [...taskLine, ...checks.filter(([a, b]) => a !== b).map(([a, b, line]) => line(a, b))];
  if (lines.length === 1) throw new UserError(`cannot resume: ${lines[0]}.`);
  if (lines.length > 1) throw new UserError(`cannot resume: ${lines.length} settings differ from ${f}:\n  ${lines.join('\n  ')}`);
}

// ---- integrity

/** Why the checksums do not hold, or undefined when both match. Call only on a file decodeSafetensors accepted. */
function integrityProblem(bytes: Uint8Array, metadata: Record<string, string>): string | undefined {
  for (const key of checksumKeys) {
    const stored = own(metadata, key);
    if (stored === undefined) return `its metadata has no "${key}" checksum`;
    if (!/^[0-9a-f]{8}$/.test(stored)) return `its "${key}" checksum ${show(stored)} is not 8 lowercase hex digits`;
  }
  const dataStart = dataOffset(bytes);
  const at = digitsAt(bytes, dataStart, 'header_crc32');
  if (typeof at === 'string') return at;
  const stored = metadata.header_crc32;
  if (new TextDecoder().decode(bytes.subarray(at, at + 8)) !== stored) return 'its "header_crc32" field is not written as plain digits';
  const header = crc32Hex(headerCrc(bytes, dataStart, at));
  if (header !== stored) return `the header's checksum is ${header} but the file says ${stored}, so the header was changed`;
  const data = crc32Hex(crc32(bytes.subarray(dataStart)));
  if (data !== metadata.data_crc32) {
    return `the tensor data's checksum is ${data} but the header says ${metadata.data_crc32}, so the data was changed`;
  }
  return undefined;
}

/** CRC-32 of everything before the data, reading the 8 header_crc32 digits at `at` as "00000000". */
function headerCrc(bytes: Uint8Array, dataStart: number, at: number): number {
  const before = crc32(ascii.encode(blankDigits), crc32(bytes.subarray(0, at)));
  return crc32(bytes.subarray(at + 8, dataStart), before);
}

/** Where the 8 digits of `"key":"dddddddd"` start in the header JSON; a problem when not exactly once. */
function digitsAt(bytes: Uint8Array, dataStart: number, key: string): number | string {
  const pattern = ascii.encode(`"${key}":"`);
  const found = findAll(bytes, pattern, 8, dataStart);
  if (found.length !== 1) return `its header holds the "${key}" field ${found.length} times as written, not once`;
  const at = found[0] + pattern.length;
  if (at + 9 > dataStart || bytes[at + 8] !== 0x22) return `its "${key}" field is not 8 digits in quotes`;
  return at;
}

/** Where the data region starts; only for bytes decodeSafetensors accepted (or encodeSafetensors wrote). */
function dataOffset(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return 8 + view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
}

function findAll(bytes: Uint8Array, pattern: Uint8Array, begin: number, end: number): number[] {
  const found: number[] = [];
  outer: for (let i = begin; i + pattern.length <= end; i++) {
    for (let k = 0; k < pattern.length; k++) if (bytes[i + k] !== pattern[k]) continue outer;
    found.push(i);
  }
  return found;
}

/** Whether the start of a file that is not valid safetensors still shows traces of a checkpoint header. */
function hasCheckpointMarks(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 1 << 20);
  const marks = ['webgpu-lstm-checkpoint', '"adam/m/', '"adam/v/', '"header_crc32"', '"data_crc32"'];
  return marks.some((m) => findAll(bytes, ascii.encode(m), 0, end).length > 0);
}

// ---- messages

function corrupted(f: string, detail: string): UserError {
  return new UserError(
    `${f} is corrupted (truncated or modified after it was written): ${detail}. ` +
      'Resume from the previous checkpoint, or start training afresh.',
  );
}

function modelNotCheckpoint(f: string): UserError {
  return new UserError(
    `${f} is a model file (format "${modelFormat}", written by \`npm run train -- --out FILE\`), not a checkpoint: ` +
      'it has no optimizer state (Adam moments, step count, data order), so training cannot resume from it. ' +
      'Pass a checkpoint written during training, or start training afresh; the model file is for `npm run eval -- --model`.',
  );
}

/** The problem decodeSafetensors named, without its file name and its advice (which is for model files). */
function safetensorsProblem(message: string, f: string): string {
  let m = message.startsWith(`${f}: `) ? message.slice(f.length + 2) : message;
  const advice = m.indexOf('. It is not a valid safetensors file');
  if (advice >= 0) m = m.slice(0, advice);
  return m;
}

function describe(c: ModelConfig): string {
  return `steps ${c.steps}, inputSize ${c.inputSize}, layers ${c.layers.join(',')}, classes ${c.classes}`;
}

function show(v: unknown): string {
  return typeof v === 'number' || v === undefined ? String(v) : JSON.stringify(v);
}

// ---- field rules, shared by the encoder (programming errors) and the decoder (bad files)

type Rule = [field: string, ok: (v: unknown) => boolean, expected: string];

const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isU32 = (v: unknown) => isWhole(v) && v <= 0xffffffff;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const optionRules: Rule[] = [
  ['batch', (v) => isWhole(v) && v >= 1, 'a whole number >= 1'],
  ['lr', (v) => isFiniteNumber(v) && v > 0, 'a number > 0'],
  ['seed', isU32, 'a whole number from 0 to 4294967295'],
  ['clipNorm', (v) => isFiniteNumber(v) && v >= 0, 'a number >= 0 (0 = off)'],
  ['schedule', (v) => v === undefined || scheduleProblem(v) === undefined,
    'absent (constant, no warmup) or {"kind":"constant"|"cosine"|"step","warmup":N}, with "steps" above the warmup for cosine, "every" >= 1 and "gamma" in (0, 1] for step'],
  ['stateful', (v) => v === undefined || v === true, 'absent or true'],
];
const dataOrderRules: Rule[] = [
  ['rng', (v) => Array.isArray(v) && (v.length === 4 || v.length === 0) && v.every(isU32), 'a list of 4 whole numbers from 0 to 4294967295 (or [] for a stateful run)'],
  ['epoch', isWhole, 'a whole number >= 0'],
  ['position', isU32, 'a whole number from 0 to 4294967295'],
];

function rulesProblem(label: string, value: unknown, rules: Rule[]): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${label} is ${show(value)}, not an object`;
  const v = value as Record<string, unknown>;
  for (const [field, ok, expected] of rules) {
    if (!ok(Object.hasOwn(v, field) ? v[field] : undefined)) return `${label}.${field} is ${show(v[field])}, expected ${expected}`;
  }
  return undefined;
}

/** Metadata `key` parsed as a JSON object that obeys `rules`. */
function jsonObject(
  metadata: Record<string, string>,
  key: string,
  rules: Rule[],
  fail: (problem: string) => never,
): Record<string, unknown> {
  const text = own(metadata, key);
  if (text === undefined) return fail(`metadata "${key}" is missing`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(`metadata "${key}" is not valid JSON: ${text}`);
  }
  const problem = rulesProblem(`metadata "${key}"`, value, rules);
  if (problem !== undefined) fail(problem);
  return value as Record<string, unknown>;
}

/** The first value that cannot be in a healthy run: non-finite anywhere, negative in a second moment. */
function valuesProblem(name: string, data: Float32Array): string | undefined {
  const second = name.startsWith('adam/v/');
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x)) return `tensor "${name}" holds ${x} at index ${i}`;
    if (second && x < 0) return `tensor "${name}" holds ${x} at index ${i}, but Adam's second moment is never negative`;
  }
  return undefined;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
