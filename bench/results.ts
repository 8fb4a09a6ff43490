// The benchmark's output: one record per system run, the ceiling, ratios and targets, and a check that a
// results file is complete and well-formed (the smoke test's oracle; the runner checks its own output).
import type { AdapterDescription } from '../src/gpu/device.ts';
import type { CapReached } from './chromium.ts';
import type { CeilingResult } from './matmul.ts';
import { type RawRun, type RunSpec, type Shape, type SystemId, flopsPerStep, layersOf, stepStats, systemIds, systems } from './workload.ts';

/** The shape (steps is T, as everywhere in the engine) and how the run was timed. */
export interface RecordConfig extends Shape {
  warmupSteps: number;
  timedSteps: number;
  lr: number;
  seed: number;
  flopsPerStep: number;
}

export interface BenchRecord {
  id: SystemId;
  system: string;
  runtime: string;
  backend: string;
  /** Median of the timed steps; null when the system failed (see error). */
  msPerStep: number | null;
  minMs: number | null;
  maxMs: number | null;
  samplesPerSec: number | null;
  /** A language model's (config.lm) predicted characters per second, B*T per step from the median; absent otherwise. */
  charsPerSec?: number;
  /** Per training step: ours from the engine's counter, tfjs-webgpu counted by wrapping dispatchWorkgroups. */
  dispatchesPerStep: number | null;
  submitsPerStep: number | null;
  /** flopsPerStep / median seconds per step, in GFLOP/s. */
  gflops: number | null;
  peakBytes?: number;
  peakBytesSource?: string;
  stepMs: number[];
  setupMs: number | null;
  firstStepMs: number | null;
  /** The WebGPU adapter of the runtime (for tfjs-wasm and -cpu: the browser's, though they do not use it). */
  adapter: AdapterDescription | null;
  config: RecordConfig;
  info?: Record<string, unknown>;
  error?: string;
  /** A run stopped at its time cap (the pixel section's tfjs): how far it got. error says the same in words. */
  capped?: CapReached;
}

export type Failure = { error: string };
export type CeilingRecord = { runtime: 'node' | 'chromium'; adapter: AdapterDescription | null } & (CeilingResult | (Failure & { size: number }));

export interface AdapterRecord {
  adapter: AdapterDescription;
  features?: string[];
  limits?: Record<string, number>;
  userAgent?: string;
}

export interface Target {
  name: string;
  goal: string;
  measured: number | null;
  met: boolean | null;
  note?: string;
}

/** The autotuner's effect at the benchmark's shape: step kernels' ms with the default and tuned workgroup sizes. */
export interface TuningRecord {
  runtime: 'node';
  adapter: AdapterDescription | null;
  defaultMs?: number;
  tunedMs?: number;
  /** defaultMs / tunedMs (1 when the defaults were kept as the fastest). */
  gain?: number;
  overrides?: Record<string, unknown>;
  /** The scheduler chosen ('timestep' or 'sequence'), and each scheduler's step at the default sizes. */
  scheduler?: string;
  schedulerTrials?: { scheduler: string; ms: number; refused?: string }[];
  error?: string;
}

export interface BenchResults {
  date: string;
  machine: { os: string; arch: string; cpus: number; cpuModel: string; memoryBytes: number; node: string; chromium?: string };
  adapters: { node?: AdapterRecord | Failure; chromium?: AdapterRecord | Failure };
  config: { shape: Shape; lr: number; seed: number; quick: boolean; flopsPerStep: number; systems: SystemId[]; timeoutSec: number };
  records: BenchRecord[];
  ceiling: { node?: CeilingRecord; chromium?: CeilingRecord };
  tuning?: TuningRecord;
  /** samples/s of ours in Chromium over each tfjs system's, keyed "ours-chromium/tfjs-...". */
  ratios: Record<string, number | null>;
  targets: Target[];
  sweep?: { batch: number[]; hidden: number[]; seq: number[]; systems: SystemId[]; records: BenchRecord[]; chart?: string };
  /** Pixel-by-pixel MNIST (T=784, I=1): each shape on each pixel system; tfjs stopped at tfjsCapSec. */
  pixel?: { shapes: Shape[]; tfjsCapSec: number; records: BenchRecord[]; ratios: Record<string, number | null> };
  /** Two LSTM layers (the main shape's H twice): each stacked system once, and ours-chromium over each tfjs. */
  stacked?: { shape: Shape; records: BenchRecord[]; ratios: Record<string, number | null> };
  /**
   * A character-level language model (workload.ts charLmShape: tokens in, loss at every step): each char-LM
   * system once, and ours-chromium over each tfjs. `larger`: the larger shape under --sweep (not --quick),
   * tfjs stopped at tfjsCapSec there.
   */
  charLm?: CharLmSection & { larger?: CharLmSection & { tfjsCapSec: number } };
}

export interface CharLmSection {
  shape: Shape;
  records: BenchRecord[];
  ratios: Record<string, number | null>;
}

/** A tfjs run stopped at its cap, as a record: the error says how far it got, capped holds the figures. */
export function cappedRecord(id: SystemId, spec: RunSpec, reached: CapReached, adapter: AdapterDescription | null): BenchRecord {
  const { capSec, warmupMs, stepMs, dispatches } = reached;
  const done = warmupMs.length + stepMs.length;
  const steps = [...warmupMs, ...stepMs].map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ');
  const error = `stopped at its ${capSec} s cap: ${done} of ${spec.warmup + spec.steps} steps finished${done ? ` (${steps})` : ''}, ` +
    `${dispatches ?? 'an unknown number of'} dispatches issued` + (done ? '' : `; under ${(spec.shape.batch / capSec).toPrecision(2)} samples/s`);
  return { ...makeRecord(id, spec, { error }, adapter), capped: reached };
}

export function makeRecord(id: SystemId, spec: RunSpec, raw: RawRun | Failure, adapter: AdapterDescription | null): BenchRecord {
  const info = systems[id];
  const config: RecordConfig = { ...spec.shape, warmupSteps: spec.warmup, timedSteps: spec.steps, lr: spec.lr, seed: spec.seed, flopsPerStep: flopsPerStep(spec.shape) };
  const base = { id, system: info.system, runtime: info.runtime, backend: info.backend, adapter, config };
  const failed = (error: string): BenchRecord => ({
    ...base, msPerStep: null, minMs: null, maxMs: null, samplesPerSec: null, dispatchesPerStep: null, submitsPerStep: null,
    gflops: null, stepMs: [], setupMs: null, firstStepMs: null, error,
  });
  if ('error' in raw) return failed(raw.error);
  let stats;
  try {
    stats = stepStats(raw.stepMs, spec.shape);
  } catch (e) {
    return failed((e as Error).message);
  }
  return {
    ...base, ...stats,
    dispatchesPerStep: raw.dispatchesPerStep,
    submitsPerStep: raw.submitsPerStep,
    ...(raw.peakBytes !== undefined ? { peakBytes: raw.peakBytes, peakBytesSource: raw.peakBytesSource } : {}),
    stepMs: raw.stepMs,
    setupMs: raw.setupMs,
    firstStepMs: raw.firstStepMs,
    ...(raw.info ? { info: raw.info } : {}),
  };
}

const sameShape = (a: Shape, b: Shape): boolean =>
  a.batch === b.batch && a.steps === b.steps && a.input === b.input && a.hidden === b.hidden && a.classes === b.classes &&
  layersOf(a).join() === layersOf(b).join();

/**
 * samples/s of ours in Chromium over each tfjs system's, each beside ours at the same shape. Keys
 * "ours-chromium/tfjs-..."; records of several shapes (the pixel section under --sweep) add the shape:
 * "ours-chromium/tfjs-webgpu B=100 T=784 H=128".
 */
export function ratios(records: BenchRecord[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const shapes = records.filter((r) => r.id === 'ours-chromium').map((r) => r.config);
  for (const r of records) {
    if (r.system !== 'tfjs-layers') continue;
    const ours = records.find((o) => o.id === 'ours-chromium' && sameShape(o.config, r.config));
    if (!ours) continue;
    const key = `ours-chromium/${r.id}${shapes.length > 1 ? ` B=${r.config.batch} T=${r.config.steps} H=${layersOf(r.config).join(',')}` : ''}`;
    out[key] = ours.samplesPerSec && r.samplesPerSec ? ours.samplesPerSec / r.samplesPerSec : null;
  }
  return out;
}

/** The issue's targets at the reference workload, judged from what this run measured. */
export function targets(main: Shape, records: BenchRecord[], sweep: BenchRecord[], ceiling: BenchResults['ceiling'], reference: Shape): Target[] {
  const atReference = sameShape(main, reference);
  const note = atReference ? undefined : 'not the reference workload: indicative only';
  const r = ratios(records);
  const judged = (name: string, goal: string, measured: number | null | undefined, ok: (x: number) => boolean, why?: string): Target => ({
    name, goal,
    measured: measured ?? null,
    met: measured == null ? null : ok(measured),
    ...(why ?? note ? { note: why ?? note } : {}),
  });
  const ours = records.find((x) => x.id === 'ours-chromium' && !x.error) ?? records.find((x) => x.id === 'ours-node' && !x.error);
  const at256 = [...records, ...sweep].find((x) => x.id === 'ours-chromium' && !x.error && sameShape(x.config, { ...reference, batch: 256 }));
  const ceilingGflops = ceiling.chromium && 'gflops' in ceiling.chromium ? ceiling.chromium.gflops : undefined;
  return [
    judged('speedup over tfjs-webgpu', 'ours in Chromium >= 10x the samples/s of tfjs-layers on webgpu', r['ours-chromium/tfjs-webgpu'], (x) => x >= 10),
    judged('speedup over tfjs-wasm', 'ours in Chromium faster than tfjs-layers on wasm', r['ours-chromium/tfjs-wasm'], (x) => x > 1),
    judged('dispatches per step', '<= 100 dispatches per training step', ours?.dispatchesPerStep, (x) => x <= 100),
    judged(
      'GFLOP/s at batch 256 over the ceiling',
      "ours in Chromium at batch 256 >= half the adapter's matmul ceiling (fraction)",
      at256 && ceilingGflops ? at256.gflops! / ceilingGflops : null,
      (x) => x >= 0.5,
      at256 ? undefined : 'not measured: run with --sweep (or --batch 256) and the Chromium ceiling',
    ),
  ];
}

/** Problems that make a results object incomplete or ill-formed; empty when it is fine. */
export function checkResults(res: unknown): string[] {
  const problems: string[] = [];
  const bad = (what: string): void => void problems.push(what);
  const isObj = (x: unknown): x is Record<string, any> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const pos = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  const nonNeg = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  const adapterOk = (a: unknown): boolean => isObj(a) && ['vendor', 'architecture', 'device', 'description'].every((k) => typeof a[k] === 'string') && typeof a.software === 'boolean';
  if (!isObj(res)) return ['results: not an object'];
  if (typeof res.date !== 'string' || Number.isNaN(Date.parse(res.date))) bad('date: not an ISO date');
  if (!isObj(res.machine) || typeof res.machine.os !== 'string' || !pos(res.machine.cpus)) bad('machine: os and cpus missing');
  if (!isObj(res.adapters) || Object.keys(res.adapters).length === 0) bad('adapters: none recorded');
  else for (const [k, a] of Object.entries(res.adapters)) if (!(isObj(a) && (typeof a.error === 'string' || adapterOk(a.adapter)))) bad(`adapters.${k}: neither an adapter nor an error`);
  const whole = (x: unknown): boolean => Number.isInteger(x) && (x as number) > 0;
  const choiceOk = (c: Record<string, any>): boolean =>
    isObj(c.tile) && whole(c.tile.WG_X) && whole(c.tile.WG_Y) &&
    (c.form === 'lstm_weight_grad' || ((c.form === undefined || c.form === 'matmul') && whole(c.tile.ROWS)));
  const shapeOk = (s: unknown): boolean => isObj(s) && ['batch', 'steps', 'input', 'hidden', 'classes'].every((k) => Number.isInteger(s[k]) && s[k] > 0);
  if (!isObj(res.config) || !shapeOk(res.config.shape) || !pos(res.config.flopsPerStep)) bad('config: shape or flopsPerStep missing');
  const checkRecord = (r: unknown, where: string): void => {
    if (!isObj(r)) return bad(`${where}: not an object`);
    const name = `${where} (${String(r.id)})`;
    if (!(systemIds as readonly string[]).includes(r.id)) bad(`${name}: unknown id`);
    for (const k of ['system', 'runtime', 'backend']) if (typeof r[k] !== 'string' || !r[k]) bad(`${name}: ${k} missing`);
    if (!isObj(r.config) || !shapeOk(r.config) || !pos(r.config.flopsPerStep) || !Number.isInteger(r.config.timedSteps)) bad(`${name}: config incomplete`);
    if (r.error !== undefined) {
      if (typeof r.error !== 'string' || !r.error) bad(`${name}: error is not a message`);
      return;
    }
    for (const k of ['msPerStep', 'minMs', 'maxMs', 'samplesPerSec', 'gflops', 'setupMs']) if (!pos(r[k])) bad(`${name}: ${k} is ${r[k]}, not a positive number`);
    if (pos(r.minMs) && pos(r.maxMs) && !(r.minMs <= r.msPerStep && r.msPerStep <= r.maxMs)) bad(`${name}: median outside [min, max]`);
    if (!Array.isArray(r.stepMs) || !r.stepMs.every(pos) || (isObj(r.config) && r.stepMs.length !== r.config.timedSteps)) bad(`${name}: stepMs does not hold one positive time per timed step`);
    const gpu = r.backend.startsWith('webgpu');
    for (const k of ['dispatchesPerStep', 'submitsPerStep']) {
      if (gpu ? !pos(r[k]) : !(r[k] === null || nonNeg(r[k]))) bad(`${name}: ${k} is ${r[k]}`);
    }
    if (r.peakBytes !== undefined && !pos(r.peakBytes)) bad(`${name}: peakBytes is ${r.peakBytes}`);
    if (isObj(r.config) && r.config.lm === true ? !pos(r.charsPerSec) : r.charsPerSec !== undefined) bad(`${name}: charsPerSec is ${r.charsPerSec}${r.config?.lm ? '' : ' for a classifier'}`);
    if (r.runtime !== 'chromium' || gpu) {
      if (!adapterOk(r.adapter)) bad(`${name}: adapter not recorded`);
    } else if (r.adapter !== null && !adapterOk(r.adapter)) bad(`${name}: adapter malformed`);
  };
  if (!Array.isArray(res.records) || res.records.length === 0) bad('records: none');
  else res.records.forEach((r: unknown, i: number) => checkRecord(r, `records[${i}]`));
  if (!isObj(res.ceiling)) bad('ceiling: missing');
  else {
    for (const [k, c] of Object.entries(res.ceiling)) {
      if (!isObj(c)) bad(`ceiling.${k}: not an object`);
      else if (typeof c.error === 'string') continue;
      else if (!pos(c.gflops) || !pos(c.size) || !Array.isArray(c.candidates) || !adapterOk(c.adapter)) bad(`ceiling.${k}: gflops, size, candidates or adapter missing`);
      else {
        // form is absent in files written before the lstm_weight_grad form: those are matmul.
        if (!choiceOk(c)) bad(`ceiling.${k}: form ${JSON.stringify(c.form)} with tile ${JSON.stringify(c.tile)} is not a known kernel and its override constants`);
        c.candidates.forEach((x: unknown, i: number) => {
          if (!isObj(x) || !choiceOk(x)) bad(`ceiling.${k}.candidates[${i}]: not a known form and tile`);
          else if (x.error === undefined && !pos(x.gflops)) bad(`ceiling.${k}.candidates[${i}]: gflops is ${x.gflops}, not a positive number`);
        });
      }
    }
  }
  if (!isObj(res.ratios) || !Object.values(res.ratios).every((x) => x === null || pos(x))) bad('ratios: not positive numbers or null');
  if (!Array.isArray(res.targets)) bad('targets: missing');
  if (res.pixel !== undefined) {
    if (!isObj(res.pixel) || !Array.isArray(res.pixel.records) || !Array.isArray(res.pixel.shapes) || !res.pixel.shapes.every(shapeOk)) bad('pixel: shapes or records missing');
    else {
      res.pixel.records.forEach((r: unknown, i: number) => {
        checkRecord(r, `pixel.records[${i}]`);
        const c = isObj(r) ? r.capped : undefined;
        if (c !== undefined && !(isObj(c) && pos(c.capSec) && Array.isArray(c.warmupMs) && c.warmupMs.every(pos) && Array.isArray(c.stepMs) && c.stepMs.every(pos) && (c.dispatches === null || nonNeg(c.dispatches)))) {
          bad(`pixel.records[${i}]: capped is not a cap and the steps and dispatches reached`);
        }
      });
    }
  }
  if (res.stacked !== undefined) {
    if (!isObj(res.stacked) || !Array.isArray(res.stacked.records) || !shapeOk(res.stacked.shape) || !isObj(res.stacked.ratios)) bad('stacked: shape, records or ratios missing');
    else res.stacked.records.forEach((r: unknown, i: number) => checkRecord(r, `stacked.records[${i}]`));
  }
  const checkSection = (sec: unknown, where: string): void => {
    if (!isObj(sec) || !Array.isArray(sec.records) || !shapeOk(sec.shape) || !isObj(sec.ratios)) return bad(`${where}: shape, records or ratios missing`);
    if (sec.shape.lm !== true || sec.shape.input !== sec.shape.classes) bad(`${where}: shape is not a language model's (lm, input = classes = V)`);
    if (!Object.values(sec.ratios).every((x) => x === null || pos(x))) bad(`${where}.ratios: not positive numbers or null`);
    sec.records.forEach((r: unknown, i: number) => {
      checkRecord(r, `${where}.records[${i}]`);
      if (isObj(r) && isObj(r.config) && r.config.lm !== true) bad(`${where}.records[${i}]: config is not a language model's`);
    });
  };
  if (res.charLm !== undefined) {
    checkSection(res.charLm, 'charLm');
    if (isObj(res.charLm) && res.charLm.larger !== undefined) {
      checkSection(res.charLm.larger, 'charLm.larger');
      if (!isObj(res.charLm.larger) || !pos(res.charLm.larger.tfjsCapSec)) bad('charLm.larger: tfjsCapSec missing');
    }
  }
  if (res.sweep !== undefined) {
    if (!isObj(res.sweep) || !Array.isArray(res.sweep.records)) bad('sweep: records missing');
    else res.sweep.records.forEach((r: unknown, i: number) => checkRecord(r, `sweep.records[${i}]`));
  }
  return problems;
}
