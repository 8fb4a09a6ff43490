// The benchmark's pure parts: flags, FLOP count, statistics, sweep shapes, the results check, the
// Markdown report and the SVG chart. No GPU, no browser.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseBenchArgs, stepsFor } from '../../bench/args.ts';
import { sweepChart } from '../../bench/chart.ts';
import { markdownReport } from '../../bench/report.ts';
import { type BenchRecord, type BenchResults, checkResults, makeRecord, ratios, targets } from '../../bench/results.ts';
import { modelOf, syntheticTokens } from '../../bench/ours.ts';
import {
  type RunSpec, type Shape, charLmLargerShape, charLmShape, charLmSystems, flopsPerStep, lmShape, median, referenceShape, stepStats, sweepShapes,
} from '../../bench/workload.ts';
import { backward, forward, zeroTensors } from '../../src/reference/lstm.ts';
import type { ModelConfig } from '../../src/train/model.ts';
import { UserError } from '../../src/user-error.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Multiply-adds of one training step of the float64 oracle (src/reference/lstm.ts), counted while it runs:
 * each read of a weight matrix (the forward matmuls, and dh through the weights in backward) and each read
 * of a weight gradient's input (x and h in backward) is one multiply-add of a matmul. The oracle's backward
 * also returns dx through W_x (rows 0..I-1 of the kernel), which a training step does not compute (its input
 * is data): those reads are not counted.
 */
function oracleMultiplyAdds(s: Shape): number {
  const model: ModelConfig = { steps: s.steps, inputSize: s.input, layers: [s.hidden], classes: s.classes, forgetBias: 1 };
  let reads = 0;
  const counted = (a: Float64Array, from = 0): Float64Array => new Proxy(a, {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key) && Number(key) >= from) reads++;
      // a view into the array (the head reads h_T as one) is counted too
      if (key === 'subarray') return (begin = 0, end?: number) => counted(target.subarray(begin, end), Math.max(0, from - begin));
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const p = zeroTensors(model);
  const weights = { ...p, 'lstm_0/kernel': counted(p['lstm_0/kernel']), 'output/kernel': counted(p['output/kernel']) };
  const x = new Float64Array(s.steps * s.batch * s.input);
  const labels = Array.from({ length: s.batch }, (_, b) => b % s.classes);
  const f = forward(model, weights, x, labels, s.batch);
  const inputRows = s.input * 4 * s.hidden; // W_x's floats: read in backward only for dx
  const backwardWeights = { ...weights, 'lstm_0/kernel': counted(p['lstm_0/kernel'], inputRows) };
  backward(model, backwardWeights, counted(x), labels, s.batch, { ...f, h: counted(f.h) });
  return reads;
}

test('FLOPs per step: two per multiply-add the oracle does in a step; about 1.26 GFLOP for the reference workload', () => {
  for (const shape of [{ batch: 3, steps: 5, input: 7, hidden: 9, classes: 11 }, { batch: 2, steps: 1, input: 1, hidden: 3, classes: 2 }]) {
    assert.equal(flopsPerStep(shape), 2 * oracleMultiplyAdds(shape), `B=${shape.batch} T=${shape.steps} I=${shape.input} H=${shape.hidden} C=${shape.classes}`);
  }
  // The figure reference-workload.md gives.
  assert.ok(Math.abs(flopsPerStep(referenceShape) / 1e9 - 1.262) < 0.001, `about 1.26 GFLOP, got ${flopsPerStep(referenceShape)}`);
});

test('FLOPs per step of a stack: each layer on its own input width, plus the input gradient above the first', () => {
  // By hand, B=1 T=1 I=2 layers 5,3 C=2. Layer 0 (I=2, H=5): forward 2*7*20 = 280, recurrent backward
  // 2*20*5 = 200, weight gradients 280. Layer 1 (I=5, H=3): 2*8*12 = 192, 2*12*3 = 72, 192, input gradient
  // 2*12*5 = 120. Head: 3*2*3*2 = 36.
  assert.equal(flopsPerStep({ batch: 1, steps: 1, input: 2, hidden: 3, classes: 2, layers: [5, 3] }), 1372);
  const one = { batch: 3, steps: 5, input: 7, hidden: 9, classes: 11 };
  assert.equal(flopsPerStep({ ...one, layers: [9] }), flopsPerStep(one), 'a stack of one is the one-layer count');
});

test('FLOPs per step of a char LM: layer 0 as the one-hot (B, V) matmul, the head at every step on T*B rows', () => {
  // By hand, B=1 T=2 V=3 layers 2: forward 2*2*(3+2)*8 = 160, recurrent backward 2*2*8*2 = 64, weight
  // gradients 160; the head on T*B = 2 rows: 3*2*2*2*3 = 72.
  assert.equal(flopsPerStep(lmShape(2, 1, 3, [2])), 456);
  // T=1: one prediction per window, the classifier's count with I = C = V.
  const one = lmShape(1, 5, 7, [4, 6]);
  const { lm: _, ...classifier } = one;
  assert.equal(flopsPerStep(one), flopsPerStep(classifier), 'T=1 is a classifier of V classes on V inputs');
  // The head grows with T, the layers' matmuls too: T=3 triples everything.
  assert.equal(flopsPerStep(lmShape(3, 5, 7, [4, 6])), 3 * flopsPerStep(one), 'every term is per step');
  // The --quick shape: T*B = 32 rows; layer 0 98304, layer 1 98304 (its input gradient included), head 18432.
  assert.equal(flopsPerStep(charLmShape(true)), 215040, 'quick char-LM shape');
});

test('char-LM section: shapes, systems, synthetic tokens and the model ours trains', () => {
  assert.deepEqual(charLmShape(false), { batch: 32, steps: 64, input: 80, hidden: 128, classes: 80, layers: [128, 128], lm: true }, 'software-sized shape');
  assert.deepEqual(charLmShape(true), { batch: 4, steps: 8, input: 12, hidden: 8, classes: 12, layers: [8, 8], lm: true }, '--quick shape');
  assert.deepEqual(charLmLargerShape(), { batch: 64, steps: 100, input: 80, hidden: 256, classes: 80, layers: [256, 256], lm: true }, '--sweep shape');
  assert.deepEqual(charLmSystems, ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'], 'ours and tfjs on webgpu, wasm and cpu');
  const s = charLmShape(true);
  const set = syntheticTokens(s, 6, 3);
  assert.equal(set.kind, 'tokens');
  assert.equal(set.count, 6);
  assert.equal(set.rows, 8);
  assert.equal(set.tokens.length, 6 * 8 + 1, 'count*T + 1 symbols: the last window predicts one past its end');
  assert.ok(set.tokens.every((v) => v < 12), 'every symbol below V');
  assert.ok(new Set(set.tokens).size > 4, 'not constant');
  assert.deepEqual(syntheticTokens(s, 6, 3).tokens, set.tokens, 'seeded');
  assert.deepEqual(modelOf(s), { steps: 8, inputSize: 12, layers: [8, 8], classes: 12, forgetBias: 1, input: 'tokens', outputs: 'every' }, 'languageModel(T, V, layers)');
  assert.equal(modelOf(referenceShape).input, undefined, 'a classifier reads values');
  const st = stepStats([100, 200, 300], s);
  assert.equal(st.samplesPerSec, 20, '4 windows in 0.2 s');
  assert.equal(st.charsPerSec, 160, '4*8 characters in 0.2 s');
  assert.equal(stepStats([100], referenceShape).charsPerSec, undefined, 'no chars/s for a classifier');
});

test('step statistics: median, min, max, samples/s and GFLOP/s from the median', () => {
  assert.equal(median([3, 1, 2]), 2, 'odd count');
  assert.equal(median([4, 1, 3, 2]), 2.5, 'even count');
  const s = stepStats([200, 100, 400], referenceShape);
  assert.equal(s.msPerStep, 200, 'median');
  assert.equal(s.minMs, 100, 'min');
  assert.equal(s.maxMs, 400, 'max');
  assert.equal(s.samplesPerSec, 500, '100 samples in 0.2 s');
  assert.ok(Math.abs(s.gflops - flopsPerStep(referenceShape) / 0.2 / 1e9) < 1e-9, `GFLOP/s ${s.gflops}`);
  assert.throws(() => stepStats([], referenceShape), /positive and finite/, 'no steps');
  assert.throws(() => stepStats([1, NaN], referenceShape), /positive and finite/, 'NaN step');
});

test('flags: defaults are the reference workload; --quick shortens the slow systems most', () => {
  const o = parseBenchArgs([], 'out');
  assert.ok(!o.help, 'not help');
  if (o.help) return;
  assert.deepEqual(o.shape, referenceShape, 'reference shape');
  assert.deepEqual(o.systems, ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'], 'default systems');
  assert.equal(o.sweep, undefined, 'no sweep unless asked');
  assert.deepEqual(stepsFor(o, 'tfjs-webgpu'), { warmup: 2, steps: 10 }, 'full run');
  const q = parseBenchArgs(['--quick', '--systems', 'tfjs-webgpu,ours-node', '--out', '/tmp/x'], 'out');
  assert.ok(!q.help && q.quick, 'quick');
  if (q.help) return;
  assert.deepEqual(stepsFor(q, 'tfjs-webgpu'), { warmup: 1, steps: 2 }, 'quick, slow system');
  assert.deepEqual(stepsFor(q, 'ours-node'), { warmup: 1, steps: 3 }, 'quick, fast system');
  assert.deepEqual(stepsFor(q, 'tfjs-webgpu', true), { warmup: 1, steps: 1 }, 'quick, sweep point');
  assert.deepEqual(stepsFor(o, 'tfjs-webgpu', true), { warmup: 1, steps: 3 }, 'sweep point');
  assert.equal(q.out, '/tmp/x', '--out');
  const t = parseBenchArgs(['--steps', '5', '--warmup', '0', '--batch', '7', '--hidden', '9', '--steps-per-sequence', '3', '--sweep', '--sweep-batch', '1,2'], 'out');
  assert.ok(!t.help, 'not help');
  if (t.help) return;
  assert.deepEqual(stepsFor(t, 'tfjs-cpu'), { warmup: 0, steps: 5 }, 'explicit steps win');
  assert.deepEqual(t.shape, { ...referenceShape, batch: 7, hidden: 9, steps: 3 }, 'shape flags');
  assert.deepEqual(t.sweep, { batch: [1, 2], hidden: [64, 128, 256, 512], seq: [28, 112], systems: ['ours-chromium', 'tfjs-webgpu'] }, 'sweep');
  assert.ok(parseBenchArgs(['--help'], 'out').help, '--help');
  assert.equal(o.charLm, true, 'the char-LM section by default');
  const n = parseBenchArgs(['--no-char-lm'], 'out');
  assert.ok(!n.help && n.charLm === false && n.stacked && n.pixel, '--no-char-lm skips only the char-LM section');
  const help = parseBenchArgs(['--help'], 'out');
  assert.ok(help.help && /--no-char-lm/.test(help.usage), 'the usage names --no-char-lm');
});

test('flags: mistakes are UserErrors that name the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--systems', 'tfjs-foo'], /--systems: unknown system "tfjs-foo"/],
    [['--steps', '0'], /--steps: expected a whole number from 1/],
    [['--batch', '1.5'], /--batch/],
    [['--frobnicate'], /frobnicate/],
    [['--sweep-batch', '1'], /--sweep-batch needs --sweep/],
    [['--ceiling-size', '30'], /multiple of 4/],
    [['--out', '--quick'], /--out needs a value/],
    [['stray'], /unexpected argument "stray"/],
    [['--quick=1'], /--quick is a switch/],
    [['--out'], /--out needs a value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseBenchArgs(argv, 'out'), (e: Error) => e instanceof UserError && re.test(e.message), `${argv.join(' ')} -> ${re}`);
  }
});

test('npm run bench with a bad flag says so in one line and exits 2', async () => {
  const run = promisify(execFile);
  const err = await run(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), '--systems', 'nope'], { cwd: root }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  assert.ok(err, 'the command failed');
  assert.equal(err.code, 2, `exit status: ${err.stderr}`);
  assert.match(err.stderr, /^error: --systems: unknown system "nope"/, 'one error line');
  assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
});

test('sweep shapes: one factor at a time around the base, each shape once', () => {
  const shapes = sweepShapes(referenceShape, { batch: [1, 100, 256], hidden: [64, 128], seq: [28, 112] });
  const keys = shapes.map((s) => `${s.batch}/${s.hidden}/${s.steps}`);
  assert.deepEqual(keys, ['1/128/28', '100/128/28', '256/128/28', '100/64/28', '100/128/112'], 'deduplicated');
});

const adapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', software: true, runtime: 'browser' as const };
const spec = (steps: number, shape = referenceShape): RunSpec => ({ shape, warmup: 1, steps, lr: 0.001, seed: 0 });
const raw = (ms: number[], dispatches: number | null) => ({ stepMs: ms, setupMs: 10, firstStepMs: 5, dispatchesPerStep: dispatches, submitsPerStep: dispatches && 1, peakBytes: 1000 });

function sampleResults(): BenchResults {
  const records: BenchRecord[] = [
    makeRecord('ours-chromium', spec(2), raw([100, 120], 63), adapter),
    makeRecord('tfjs-webgpu', spec(2), raw([2000, 3000], 1500), adapter),
    makeRecord('tfjs-wasm', spec(2), raw([400, 500], null), adapter),
    makeRecord('tfjs-cpu', spec(2), { error: 'tfjs backend cpu did not initialise' }, adapter),
  ];
  // Chromium as written now: the lstm_weight_grad form won, a matmul tile ran slower, one failed. Node as
  // written before the weight-grad form: no form anywhere (matmul).
  const ceiling: BenchResults['ceiling'] = {
    chromium: {
      runtime: 'chromium', adapter, size: 256, flops: 2 * 256 ** 3, gflops: 2, form: 'lstm_weight_grad', tile: { WG_X: 32, WG_Y: 1 }, trials: 2, maxRelError: 1e-7,
      candidates: [
        { form: 'matmul', tile: { WG_X: 16, WG_Y: 4, ROWS: 4 }, gflops: 1.39, ms: 24, reps: 6, maxRelError: 2e-7 },
        { form: 'lstm_weight_grad', tile: { WG_X: 32, WG_Y: 1 }, gflops: 2, ms: 16.8, reps: 9, maxRelError: 1e-7 },
        { form: 'lstm_weight_grad', tile: { WG_X: 64, WG_Y: 1 }, gflops: NaN, ms: NaN, reps: 0, error: 'too many invocations' },
      ],
    },
    node: {
      runtime: 'node', adapter: { ...adapter, runtime: 'node' }, size: 256, flops: 2 * 256 ** 3, gflops: 6.83, tile: { WG_X: 16, WG_Y: 16, ROWS: 4 }, trials: 2, maxRelError: 2.5e-7,
      candidates: [{ tile: { WG_X: 16, WG_Y: 16, ROWS: 4 }, ms: 4.91, reps: 15, gflops: 6.83 }],
    },
  };
  const sweep = [makeRecord('ours-chromium', spec(1, { ...referenceShape, batch: 256 }), raw([300], 63), adapter)];
  const lm = charLmShape(true);
  const lmRecords: BenchRecord[] = [
    makeRecord('ours-node', spec(2, lm), raw([4, 4], 15), { ...adapter, runtime: 'node' }),
    makeRecord('ours-chromium', spec(2, lm), raw([10, 10], 15), adapter),
    makeRecord('tfjs-webgpu', spec(2, lm), raw([4000, 4000], 1048), adapter),
    makeRecord('tfjs-wasm', spec(2, lm), raw([100, 100], null), adapter),
    makeRecord('tfjs-cpu', spec(2, lm), { error: 'loss is NaN' }, adapter),
  ];
  return {
    date: new Date(0).toISOString(),
    machine: { os: 'Linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', memoryBytes: 1, node: 'v20' },
    adapters: { chromium: { adapter } },
    config: { shape: referenceShape, lr: 0.001, seed: 0, quick: true, flopsPerStep: flopsPerStep(referenceShape), systems: ['ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'], timeoutSec: 1 },
    records,
    ceiling,
    ratios: ratios(records),
    targets: targets(referenceShape, records, sweep, ceiling, referenceShape),
    sweep: { batch: [100, 256], hidden: [128], seq: [28], systems: ['ours-chromium'], records: [records[0], ...sweep] },
    charLm: { shape: lm, records: lmRecords, ratios: ratios(lmRecords) },
  };
}

test('results: records, ratios and targets from raw runs; a failed system keeps its error', () => {
  const res = sampleResults();
  assert.deepEqual(checkResults(res), [], 'well-formed');
  assert.equal(res.records[0].msPerStep, 110, 'median of two');
  assert.equal(res.records[3].msPerStep, null, 'failed system has no time');
  assert.match(res.records[3].error ?? '', /did not initialise/, 'error kept');
  assert.ok(Math.abs(res.ratios['ours-chromium/tfjs-webgpu']! - 2500 / 110) < 1e-9, `ratio ${res.ratios['ours-chromium/tfjs-webgpu']}`);
  assert.equal(res.ratios['ours-chromium/tfjs-cpu'], null, 'no ratio to a failed system');
  const byName = Object.fromEntries(res.targets.map((t) => [t.name, t]));
  assert.equal(byName['speedup over tfjs-webgpu'].met, true, '22.7x >= 10x');
  assert.equal(byName['dispatches per step'].met, true, '63 <= 100');
  const atBatch256 = byName['GFLOP/s at batch 256 over the ceiling'];
  assert.ok(Math.abs(atBatch256.measured! - flopsPerStep({ ...referenceShape, batch: 256 }) / 0.3 / 1e9 / 2) < 1e-9, `fraction ${atBatch256.measured}`);
});

test('ratios pair each tfjs record with ours at its own shape; several shapes are named in the keys', () => {
  const small = { ...referenceShape, steps: 784, input: 1, hidden: 64, batch: 32 };
  const large = { ...small, hidden: 128, batch: 100 };
  const records = [
    makeRecord('ours-chromium', spec(1, small), raw([100], 9), adapter),
    makeRecord('ours-chromium', spec(1, large), raw([400], 9), adapter),
    makeRecord('tfjs-webgpu', spec(1, small), raw([5000], 4000), adapter),
    makeRecord('tfjs-webgpu', spec(1, large), raw([60000], 4000), adapter),
  ];
  const r = ratios(records);
  // samples/s ratios: ours 320 vs 6.4 at the small shape, 250 vs 1.667 at the large one.
  assert.deepEqual(Object.keys(r), ['ours-chromium/tfjs-webgpu B=32 T=784 H=64', 'ours-chromium/tfjs-webgpu B=100 T=784 H=128']);
  assert.ok(Math.abs(r['ours-chromium/tfjs-webgpu B=32 T=784 H=64']! - 50) < 1e-9);
  assert.ok(Math.abs(r['ours-chromium/tfjs-webgpu B=100 T=784 H=128']! - 150) < 1e-9);
  assert.deepEqual(Object.keys(ratios(records.filter((x) => x.config.hidden === 64))), ['ours-chromium/tfjs-webgpu'], 'one shape: the plain key');
});

test('results check: finds what is missing or malformed', () => {
  const res = sampleResults() as any;
  res.records[0].samplesPerSec = NaN;
  res.records[1].adapter = null;
  res.records[1].dispatchesPerStep = null;
  res.records[2].stepMs = [1];
  delete res.machine;
  res.ceiling.chromium.gflops = 0;
  const problems = checkResults(res).join('\n');
  for (const want of [/ours-chromium\): samplesPerSec/, /tfjs-webgpu\): adapter not recorded/, /tfjs-webgpu\): dispatchesPerStep/, /tfjs-wasm\): stepMs/, /machine/, /ceiling.chromium/]) {
    assert.match(problems, want, `problem ${want} reported`);
  }
  assert.deepEqual(checkResults(null), ['results: not an object'], 'not an object');
});

test('results: the char-LM section has chars/s, its dispatches and a ratio per tfjs system', () => {
  const res = sampleResults();
  assert.deepEqual(checkResults(res), [], 'well-formed');
  const lm = res.charLm!;
  assert.deepEqual(lm.records.map((r) => [r.id, r.config.lm, r.config.flopsPerStep]), charLmSystems.map((id) => [id, true, 215040]), 'a record per system, the LM count');
  assert.equal(lm.records[1].samplesPerSec, 400, '4 windows in 10 ms');
  assert.equal(lm.records[1].charsPerSec, 3200, '32 characters in 10 ms');
  assert.equal(lm.records[4].charsPerSec, undefined, 'a failed system has none');
  assert.deepEqual(lm.ratios, { 'ours-chromium/tfjs-webgpu': 400, 'ours-chromium/tfjs-wasm': 10, 'ours-chromium/tfjs-cpu': null }, 'ours in Chromium over each tfjs');
  const problemsWith = (edit: (r: any) => void): string => {
    const r = sampleResults() as any;
    edit(r);
    return checkResults(r).join('\n');
  };
  assert.match(problemsWith((r) => delete r.charLm.records[0].charsPerSec), /charLm.records\[0\] \(ours-node\): charsPerSec is undefined/, 'chars/s missing');
  assert.match(problemsWith((r) => (r.records[0].charsPerSec = 5)), /records\[0\] \(ours-chromium\): charsPerSec is 5 for a classifier/, 'chars/s on a classifier');
  assert.match(problemsWith((r) => delete r.charLm.shape.lm), /charLm: shape is not a language model's/, 'section shape');
  assert.match(problemsWith((r) => delete r.charLm.records[1].config.lm), /charLm.records\[1\]: config is not a language model's/, 'record config');
  assert.match(problemsWith((r) => (r.charLm.ratios = { x: -1 })), /charLm.ratios/, 'ratios');
  assert.match(problemsWith((r) => (r.charLm.larger = { shape: r.charLm.shape, records: [], ratios: {} })), /charLm.larger: tfjsCapSec missing/, 'larger needs its cap');
  assert.equal(problemsWith((r) => (r.charLm.larger = { ...r.charLm, tfjsCapSec: 300 })), '', 'a larger shape is checked like the main one');
});

test('results check: ceiling forms and tiles, older files without a form still pass', () => {
  const problemsWith = (edit: (c: any) => void): string => {
    const res = sampleResults() as any;
    edit(res.ceiling);
    return checkResults(res).join('\n');
  };
  assert.equal(problemsWith(() => {}), '', 'new Chromium ceiling and old-format Node ceiling both pass');
  assert.match(problemsWith((c) => (c.chromium.form = 'conv')), /ceiling.chromium: form "conv"/, 'unknown form');
  assert.match(problemsWith((c) => (c.chromium.form = 'matmul')), /ceiling.chromium: form "matmul" with tile/, 'a matmul tile needs ROWS');
  assert.match(problemsWith((c) => delete c.node.tile.ROWS), /ceiling.node: form undefined/, 'no form means matmul, which needs ROWS');
  assert.match(problemsWith((c) => (c.chromium.candidates[0].tile = null)), /ceiling.chromium.candidates\[0\]: not a known form/, 'candidate tile missing');
  assert.match(problemsWith((c) => (c.chromium.candidates[1].gflops = NaN)), /ceiling.chromium.candidates\[1\]: gflops/, 'a candidate that ran has GFLOP/s');
});

test('Markdown report: a row per system with the adapter, ceiling, ratios and targets', () => {
  const md = markdownReport(sampleResults());
  assert.match(md, /\| ours-chromium \| chromium \| webgpu \| 110 \(100-120\) \| 909 \|/, 'our row');
  assert.match(md, /\| tfjs-cpu \| chromium \| cpu \| failed: tfjs backend cpu did not initialise/, 'failed row');
  assert.match(md, /google \/ swiftshader \(software\)/, 'adapter');
  assert.match(md, /Chromium 2\.00 GFLOP\/s \(256\^3, lstm_weight_grad GEMM, WG 32x1; best of 3 candidates; best matmul\.wgsl, tile 16x4x4: 1\.39; 1 failed, e\.g\. too many invocations\)/, 'ceiling names the winning kernel, the other form and failures');
  assert.match(md, /Node 6\.83 GFLOP\/s \(256\^3, matmul\.wgsl, tile 16x16x4; best of 1 candidates\)/, 'an older ceiling without a form is matmul.wgsl');
  assert.match(md, /tfjs-webgpu 22\.7x/, 'ratio');
  assert.match(md, /Scaling sweep/, 'sweep table');
  assert.match(md, /### Character-level LM \(T=8 B=4 layers 8,8 V=12, loss at every step; 0\.215 MFLOP per step; tfjs: one-hot/, 'char-LM heading');
  assert.match(md, /\| samples\/s \| chars\/s \|/, 'char-LM columns');
  assert.match(md, /\| ours-chromium \| chromium \| webgpu \| 10\.0 \(10\.0-10\.0\) \| 400 \| 3200 \| 0\.0215 \| 15 \| 1 \|/, 'our char-LM row: samples/s, chars/s, GFLOP/s, dispatches');
  assert.match(md, /\| tfjs-cpu \| chromium \| cpu \| failed: loss is NaN/, 'failed char-LM row');
  assert.match(md, /Samples\/s \(and chars\/s\) of ours in Chromium over: tfjs-webgpu 400x, tfjs-wasm 10\.0x, tfjs-cpu - \(capped or failed\)\./, 'char-LM ratios');
});

test('sweep chart: an SVG with a line per system in each panel', () => {
  const res = sampleResults();
  const svg = sweepChart(res.sweep!.records, referenceShape, res.sweep!, 'title & <more>');
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), 'one svg element');
  assert.equal((svg.match(/<polyline/g) ?? []).length, 1, 'the batch panel has two points, so one line');
  assert.equal((svg.match(/<circle/g) ?? []).length, 4, 'two points in the batch panel, one each in the hidden and T panels');
  assert.match(svg, /title &amp; &lt;more&gt;/, 'text escaped');
  assert.doesNotMatch(svg, /NaN|undefined/, 'no NaN coordinates');
});
