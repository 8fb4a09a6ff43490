// Flags of `npm run bench -- [flags]`: parsing, defaults (the reference workload), validation. Every bad
// input is a UserError naming the flag, the value and what is allowed.
import { parseArgs } from 'node:util';
import { UserError } from '../src/user-error.ts';
import { type Shape, type SystemId, defaultSystems, referenceShape, systemIds, systems } from './workload.ts';

export interface SweepOptions {
  batch: number[];
  hidden: number[];
  seq: number[];
  systems: SystemId[];
}

export interface BenchOptions {
  help: false;
  quick: boolean;
  shape: Shape;
  lr: number;
  seed: number;
  /** Timed and warm-up steps given on the command line; otherwise per system by stepsFor(). */
  steps?: number;
  warmup?: number;
  systems: SystemId[];
  /** Matrix size of the ceiling matmul; undefined: by adapter (1024 on a GPU, 512 in software, 256 with --quick); 0 skips. */
  ceilingSize?: number;
  sweep?: SweepOptions;
  out: string;
  nodeAdapter?: string;
  /** Per system (and per sweep point), in seconds. */
  timeoutSec: number;
  /** The pixel-MNIST section (workload.ts pixelShapes); off with --no-pixel. */
  pixel: boolean;
  /** Seconds a tfjs system may take at a pixel shape before it is stopped and what it reached reported. */
  tfjsCapSec: number;
  /** The stacked section (two layers of the main shape's H: workload.ts stackedShape); off with --no-stacked. */
  stacked: boolean;
  /** The char-LM section (a character-level language model: workload.ts charLmShape); off with --no-char-lm. */
  charLm: boolean;
}

export interface HelpRequest {
  help: true;
  usage: string;
}

export const usage = `Benchmark webgpu-lstm against TensorFlow.js (tfjs-layers LSTM) on the same workload and adapter.

Usage: npm run bench -- [flags]

  --quick                 a short run (1 warm-up step; 3 timed, 2 for the slow tfjs backends; small ceiling)
  --steps N               timed steps per system (default 10; --quick 3, or 2 for tfjs-webgpu and tfjs-cpu)
  --warmup N              untimed steps first (default 2; --quick 1)
  --systems LIST          comma-separated, from: ${systemIds.join(', ')}
                          (default ${defaultSystems.join(',')})
  --batch N               images per step (default ${referenceShape.batch})
  --hidden N              LSTM units (default ${referenceShape.hidden})
  --steps-per-sequence N  timesteps T (default ${referenceShape.steps}; images are synthetic T x ${referenceShape.input})
  --lr X                  Adam learning rate (default 0.001)
  --seed N                seed of the synthetic data and the initialisation (default 0)
  --ceiling-size N        the ceiling matmul's N x N x N size (default 1024 on a GPU, 512 on a software adapter,
                          256 with --quick; 0 skips the ceiling)
  --sweep                 also the scaling sweep: batch, hidden and T one at a time around the main config
                          (1 warm-up + 3 timed steps per point, 1 with --quick, unless --warmup/--steps)
  --sweep-batch LIST      batches of the sweep (default 1,32,100,256,1024)
  --sweep-hidden LIST     hidden sizes of the sweep (default 64,128,256,512)
  --sweep-seq LIST        sequence lengths T of the sweep (default 28,112)
  --sweep-systems LIST    systems of the sweep (default ours-chromium,tfjs-webgpu)
  --no-pixel              skip the pixel-MNIST section: T=784 steps of I=1, H=64, B=32 (H=8, B=4 with --quick;
                          also H=128, B=100 with --sweep, not --quick), 1 warm-up + 3 timed steps (1 with --quick), ours in
                          Node and Chromium and tfjs-webgpu, of --systems
  --no-stacked            skip the stacked section: two LSTM layers of the main shape's H (128,128 at the
                          reference shape), ours in Node and Chromium beside tfjs-layers' stacked tf.layers.lstm
                          on webgpu and wasm, of --systems
  --no-char-lm            skip the char-LM section: a character-level language model, T=64, B=32, two LSTM layers
                          of 128, V=80 symbols, loss at every step (T=8, B=4, layers 8,8, V=12 with --quick; also
                          T=100, B=64, layers 256,256 with --sweep, not --quick, tfjs capped there by --tfjs-cap),
                          ours in Node and Chromium beside the equivalent tfjs-layers model (one-hot (B, T, V)
                          input, timeDistributed dense) on webgpu, wasm and cpu, of --systems
  --tfjs-cap S            seconds tfjs-webgpu may take at a pixel shape (and a tfjs system at the char-LM section's
                          larger shape) before it is stopped and how far it got is reported (default 300; --quick 8)
  --node-adapter NAME     Node's WebGPU adapter whose name contains NAME (default: as npm run train picks)
  --timeout S             seconds one system may take before it is recorded as failed (default 900; --quick 300)
  --out DIR               where latest.json, a dated copy, latest.md and the sweep chart go (default bench/results)
  --help, -h              show this help
`;

const hint = 'Run npm run bench -- --help for usage.';

const flags = {
  quick: { type: 'boolean' },
  steps: { type: 'string' },
  warmup: { type: 'string' },
  systems: { type: 'string' },
  batch: { type: 'string' },
  hidden: { type: 'string' },
  'steps-per-sequence': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  'ceiling-size': { type: 'string' },
  sweep: { type: 'boolean' },
  'sweep-batch': { type: 'string' },
  'sweep-hidden': { type: 'string' },
  'sweep-seq': { type: 'string' },
  'sweep-systems': { type: 'string' },
  'no-pixel': { type: 'boolean' },
  'no-stacked': { type: 'boolean' },
  'no-char-lm': { type: 'boolean' },
  'tfjs-cap': { type: 'string' },
  'node-adapter': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseBenchArgs(argv: string[], defaultOut: string): BenchOptions | HelpRequest {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true, usage };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // util.parseArgs's own words, said in ours.
    const { code, message } = e as { code?: string; message: string };
    const flag = /'([^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /does not take an argument/.test(message)) {
      throw new UserError(`${flag} is a switch and takes no value. ${hint}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UserError(`${flag} needs a value${/argument is ambiguous/.test(message) ? ', but it is followed by another flag' : ''} (write ${flag}=VALUE for a value that starts with "-"). ${hint}`);
    }
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UserError(`unknown flag ${flag}. ${hint}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UserError(`unexpected argument "${flag}": every value follows its flag, as in --steps 5. ${hint}`);
    throw new UserError(`${message.split('\n')[0]} ${hint}`);
  }
  const v = (name: keyof typeof flags): string | undefined => {
    const raw = values[name];
    if (typeof raw === 'string' && (raw === '' || raw.startsWith('--'))) throw new UserError(`--${name} needs a value, got "${raw}". ${hint}`);
    return typeof raw === 'string' ? raw : undefined;
  };
  const quick = values.quick === true;
  const sweepFlags = ['sweep-batch', 'sweep-hidden', 'sweep-seq', 'sweep-systems'] as const;
  if (!values.sweep && sweepFlags.some((f) => values[f] !== undefined)) {
    throw new UserError(`--${sweepFlags.find((f) => values[f] !== undefined)} needs --sweep. ${hint}`);
  }
  const shape: Shape = {
    ...referenceShape,
    batch: whole('batch', v('batch'), referenceShape.batch, 1, 65536),
    hidden: whole('hidden', v('hidden'), referenceShape.hidden, 1, 4096),
    steps: whole('steps-per-sequence', v('steps-per-sequence'), referenceShape.steps, 1, 4096),
  };
  const ceilingRaw = v('ceiling-size');
  const ceilingSize = ceilingRaw === undefined ? undefined : whole('ceiling-size', ceilingRaw, 0, 0, 8192);
  if (ceilingSize !== undefined && ceilingSize % 4 !== 0) throw new UserError(`--ceiling-size: expected a multiple of 4, got ${ceilingSize}. ${hint}`);
  return {
    help: false,
    quick,
    shape,
    lr: positive('lr', v('lr'), 0.001, 1),
    seed: whole('seed', v('seed'), 0, 0, 2 ** 32 - 1),
    ...(v('steps') !== undefined ? { steps: whole('steps', v('steps'), 0, 1, 100000) } : {}),
    ...(v('warmup') !== undefined ? { warmup: whole('warmup', v('warmup'), 0, 0, 100000) } : {}),
    systems: systemList('systems', v('systems'), defaultSystems),
    ...(ceilingSize !== undefined ? { ceilingSize } : {}),
    ...(values.sweep
      ? {
          sweep: {
            batch: list('sweep-batch', v('sweep-batch'), [1, 32, 100, 256, 1024], 65536),
            hidden: list('sweep-hidden', v('sweep-hidden'), [64, 128, 256, 512], 4096),
            seq: list('sweep-seq', v('sweep-seq'), [28, 112], 4096),
            systems: systemList('sweep-systems', v('sweep-systems'), ['ours-chromium', 'tfjs-webgpu']),
          },
        }
      : {}),
    out: v('out') ?? defaultOut,
    ...(v('node-adapter') !== undefined ? { nodeAdapter: v('node-adapter') } : {}),
    timeoutSec: whole('timeout', v('timeout'), quick ? 300 : 900, 1, 86400),
    pixel: values['no-pixel'] !== true,
    stacked: values['no-stacked'] !== true,
    charLm: values['no-char-lm'] !== true,
    tfjsCapSec: whole('tfjs-cap', v('tfjs-cap'), quick ? 8 : 300, 1, 86400),
  };
}

/**
 * Warm-up and timed steps of one system: the flags when given, else by --quick and how slow it is. Sweep
 * points take fewer (1 warm-up, 3 timed; 1 with --quick): the sweep shows scaling, the main table the figures.
 */
export function stepsFor(o: Pick<BenchOptions, 'quick' | 'steps' | 'warmup'>, id: SystemId, sweep = false): { warmup: number; steps: number } {
  if (sweep) return { warmup: o.warmup ?? 1, steps: o.steps ?? (o.quick ? 1 : 3) };
  const slow = systems[id].slow;
  return {
    warmup: o.warmup ?? (o.quick ? 1 : 2),
    steps: o.steps ?? (o.quick ? (slow ? 2 : 3) : 10),
  };
}

function whole(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < min || n > max) throw new UserError(`--${flag}: expected a whole number from ${min} to ${max}, got "${raw}". ${hint}`);
  return n;
}

function positive(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new UserError(`--${flag}: expected a number above 0 and at most ${max}, got "${raw}". ${hint}`);
  return n;
}

function list(flag: string, raw: string | undefined, fallback: number[], max: number): number[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim());
  return items.map((s) => whole(flag, s, 0, 1, max));
}

function systemList(flag: string, raw: string | undefined, fallback: SystemId[]): SystemId[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(systemIds as readonly string[]).includes(s));
  if (bad.length) throw new UserError(`--${flag}: unknown system ${bad.map((b) => `"${b}"`).join(', ')}; choose from ${systemIds.join(', ')}. ${hint}`);
  if (items.length === 0) throw new UserError(`--${flag}: name at least one system. ${hint}`);
  return [...new Set(items)] as SystemId[];
}
