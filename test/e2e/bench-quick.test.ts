// Smoke test of npm run bench: a tiny configuration through the whole runner (Node, one Chromium session
// with ours and tfjs on webgpu, wasm and cpu, both ceilings; the stacked, char-LM and pixel sections), checking that the output is complete and
// well-formed. Not its speed: the numbers only have to be there, finite and positive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkResults, type BenchResults } from '../../bench/results.ts';
import { chromiumMissing } from './browser.ts';
import { skipUnlessStrict } from '../support/skip.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const systems = ['ours-node', 'ours-chromium', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];

// A hang detector: the run took 37-45 s here quiet and 100 s beside four busy loops (2026-12-02); 125 s
// beside a training run with the char-LM section added (2026-12-07; its tfjs-webgpu about 17 s of that).
test('npm run bench -- --quick on a tiny config writes complete, well-formed results', { timeout: 450_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing) return skipUnlessStrict(t, missing);
  const out = await mkdtemp(join(tmpdir(), 'bench-quick-'));
  try {
    const args = [
      // started as npm run bench starts it
      join(root, 'scripts', 'quiet-dawn.mjs'), join(root, 'bench', 'run.ts'), '--quick', '--systems', systems.join(','),
      '--batch', '4', '--hidden', '8', '--steps-per-sequence', '3', '--warmup', '1', '--steps', '1',
      '--ceiling-size', '64', '--timeout', '150', '--out', out,
      // tfjs-webgpu finishes no pixel step in minutes here: 2 s exercise the cap and its record (8 s saved)
      '--tfjs-cap', '2',
      // the sweep on Node's system: the same sweep code and chart, without another Chromium page (4.5 s here)
      '--sweep', '--sweep-batch', '4,6', '--sweep-hidden', '8', '--sweep-seq', '3', '--sweep-systems', 'ours-node',
      // the pixel section at T=784 H=8 B=4, tfjs-webgpu stopped at 4 s (it needs minutes a step in software)
      '--tfjs-cap', '4',
    ];
    const started = Date.now();
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, args, { cwd: root, maxBuffer: 16 << 20 }, (error, so, se) => {
        if (error) reject(new Error(`bench exited with ${error.code}:\n${se.slice(-3000)}`));
        else resolve({ stdout: so, stderr: se });
      });
    });
    t.diagnostic(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const files = await readdir(out);
    assert.ok(files.includes('latest.json') && files.includes('latest.md'), `latest.json and latest.md written: ${files.join(', ')}`);
    assert.ok(files.some((f) => /^\d{4}-\d\d-\d\d-\d{4}\.json$/.test(f)), `a dated copy YYYY-MM-DD-HHMM.json: ${files.join(', ')}`);
    const res = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as BenchResults;

    const unavailable = res.records.find((r) => r.error && /no WebGPU|no adapter|found no adapter/i.test(r.error));
    if (unavailable) return skipUnlessStrict(t, `WebGPU unavailable here: ${unavailable.id}: ${unavailable.error}`);

    assert.deepEqual(checkResults(res), [], 'checkResults finds nothing missing or malformed');
    assert.deepEqual(res.records.map((r) => r.id), systems, 'one record per system, in order');
    for (const r of res.records) {
      assert.equal(r.error, undefined, `${r.id} ran: ${r.error}`);
      assert.ok(r.adapter && typeof r.adapter.vendor === 'string', `${r.id} records its adapter`);
      assert.deepEqual([r.config.batch, r.config.hidden, r.config.steps, r.config.timedSteps], [4, 8, 3, 1], `${r.id} config recorded`);
      for (const k of ['msPerStep', 'samplesPerSec', 'gflops'] as const) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${r.id}.${k} = ${r[k]}`);
      assert.ok(r.peakBytes !== undefined && r.peakBytes > 0, `${r.id} peak memory = ${r.peakBytes}`);
    }
    const ours = res.records.find((r) => r.id === 'ours-chromium')!;
    assert.equal(ours.info?.countedDispatchesPerStep, ours.dispatchesPerStep, 'the engine counts the dispatches WebGPU sees');
    const tfjsWebgpu = res.records.find((r) => r.id === 'tfjs-webgpu')!;
    assert.ok(tfjsWebgpu.dispatchesPerStep! > 0 && tfjsWebgpu.submitsPerStep! > 0, 'tfjs-webgpu dispatches and submits counted');
    for (const runtime of ['node', 'chromium'] as const) {
      const c = res.ceiling[runtime];
      assert.ok(c && 'gflops' in c && c.gflops > 0 && c.size === 64, `${runtime} ceiling: ${JSON.stringify(c)}`);
    }
    {
      const t = res.tuning;
      assert.ok(t && !t.error && t.defaultMs! > 0 && t.tunedMs! > 0 && t.gain! >= 1 && t.adapter, `the autotuner's gain is reported: ${JSON.stringify(t)}`);
    }
    assert.deepEqual(Object.keys(res.ratios).sort(), ['ours-chromium/tfjs-cpu', 'ours-chromium/tfjs-wasm', 'ours-chromium/tfjs-webgpu'], 'a ratio per tfjs system');
    assert.ok(res.adapters.node && 'adapter' in res.adapters.node, 'Node adapter recorded');
    assert.ok(res.adapters.chromium && 'adapter' in res.adapters.chromium, 'Chromium adapter recorded');
    const pixel = res.pixel?.records ?? [];
    assert.deepEqual(pixel.map((r) => [r.id, r.config.batch, r.config.steps, r.config.input, r.config.hidden]),
      [['ours-node', 4, 784, 1, 8], ['ours-chromium', 4, 784, 1, 8], ['tfjs-webgpu', 4, 784, 1, 8]], 'pixel section: ours and tfjs at T=784 I=1');
    for (const r of pixel.slice(0, 2)) {
      assert.equal(r.error, undefined, `pixel ${r.id} ran: ${r.error}`);
      assert.ok(r.samplesPerSec! > 0 && r.dispatchesPerStep! > 0 && r.stepMs.length === 1, `pixel ${r.id}: samples/s ${r.samplesPerSec}, dispatches ${r.dispatchesPerStep}`);
    }
    assert.equal(pixel[1].info?.countedDispatchesPerStep, pixel[1].dispatchesPerStep, 'pixel: the engine counts the dispatches WebGPU sees');
    const tfjsPixel = pixel[2];
    if (tfjsPixel.capped) {
      assert.match(tfjsPixel.error ?? '', /^stopped at its 4 s cap: \d+ of 2 steps finished.*dispatches issued/, 'a capped tfjs says how far it got');
      assert.equal(tfjsPixel.capped.capSec, 4);
    } else {
      assert.ok(!tfjsPixel.error && tfjsPixel.dispatchesPerStep! > 0 && tfjsPixel.samplesPerSec! > 0, `pixel tfjs-webgpu: ${tfjsPixel.error}`);
    }
    assert.match(stdout, /### Pixel-by-pixel MNIST/, 'pixel table printed');
    const stacked = res.stacked;
    assert.ok(stacked, 'the stacked section is in latest.json');
    assert.deepEqual(stacked.shape.layers, [8, 8], 'two layers of the main H');
    assert.deepEqual(stacked.records.map((r) => [r.id, r.config.layers]),
      [['ours-node', [8, 8]], ['ours-chromium', [8, 8]], ['tfjs-webgpu', [8, 8]], ['tfjs-wasm', [8, 8]]], 'stacked: ours and tfjs on webgpu and wasm');
    for (const r of stacked.records) {
      assert.equal(r.error, undefined, `stacked ${r.id} ran: ${r.error}`);
      assert.ok(r.samplesPerSec! > 0, `stacked ${r.id}: samples/s ${r.samplesPerSec}`);
    }
    assert.equal(stacked.records[0].dispatchesPerStep, 14, 'ours: 5L + 4 dispatches for two layers');
    assert.equal(stacked.records[1].info?.countedDispatchesPerStep, 14, 'WebGPU sees the same 14 dispatches in Chromium');
    assert.ok(stacked.records[2].dispatchesPerStep! > 14, `tfjs-webgpu's stack counted: ${stacked.records[2].dispatchesPerStep}`);
    assert.deepEqual(Object.keys(stacked.ratios).sort(), ['ours-chromium/tfjs-wasm', 'ours-chromium/tfjs-webgpu'], 'a ratio per tfjs system');
    assert.ok(Object.values(stacked.ratios).every((v) => v! > 0), `ratios ${JSON.stringify(stacked.ratios)}`);
    assert.match(stdout, /### Two LSTM layers \(layers 8,8/, 'stacked table printed');
    // The char-LM section at --quick's shape: T=8 B=4 layers 8,8 V=12, tokens in, loss at every step.
    const lm = res.charLm;
    assert.ok(lm, 'the char-LM section is in latest.json');
    assert.deepEqual(lm.shape, { batch: 4, steps: 8, input: 12, hidden: 8, classes: 12, layers: [8, 8], lm: true }, 'char-LM quick shape');
    assert.equal(lm.larger, undefined, 'no larger shape under --quick');
    assert.deepEqual(lm.records.map((r) => [r.id, r.config.steps, r.config.batch, r.config.layers, r.config.input, r.config.lm]),
      systems.map((id) => [id, 8, 4, [8, 8], 12, true]), 'char LM: ours in Node and Chromium and tfjs on webgpu, wasm and cpu');
    for (const r of lm.records) {
      assert.equal(r.error, undefined, `char-LM ${r.id} ran: ${r.error}`);
      assert.ok(r.samplesPerSec! > 0 && r.charsPerSec! > 0 && r.stepMs.length === 1, `char-LM ${r.id}: samples/s ${r.samplesPerSec}, chars/s ${r.charsPerSec}`);
    }
    assert.equal(lm.records[0].dispatchesPerStep, 15, 'ours: 5L + 5 dispatches for a two-layer LM (sequence scheduler)');
    assert.equal(lm.records[1].info?.countedDispatchesPerStep, 15, 'WebGPU sees the same 15 dispatches in Chromium');
    assert.ok(lm.records[2].dispatchesPerStep! > 15, `tfjs-webgpu's LM counted: ${lm.records[2].dispatchesPerStep}`);
    assert.deepEqual(Object.keys(lm.ratios).sort(), ['ours-chromium/tfjs-cpu', 'ours-chromium/tfjs-wasm', 'ours-chromium/tfjs-webgpu'], 'char LM: a ratio per tfjs system');
    assert.ok(Object.values(lm.ratios).every((v) => v! > 0), `char-LM ratios ${JSON.stringify(lm.ratios)}`);
    assert.match(stdout, /### Character-level LM \(T=8 B=4 layers 8,8 V=12/, 'char-LM table printed');
    assert.deepEqual(res.sweep?.records.map((r) => [r.id, r.config.batch, r.error]), [['ours-node', 4, undefined], ['ours-node', 6, undefined]], 'sweep: the main record reused, one more shape run');
    assert.ok(files.includes('latest-sweep.svg') && res.sweep?.chart && files.includes(res.sweep.chart), `sweep chart written: ${files.join(', ')}`);
    const svg = await readFile(join(out, 'latest-sweep.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('<polyline'), 'the chart has a line');
    assert.match(stdout, /\| system \| runtime \| backend \| ms\/step/, 'Markdown table printed');
    assert.ok(existsSync(join(out, 'latest.md')), 'latest.md');
    assert.match(stderr, /\[bench\] wrote/, 'says where it wrote');
    assert.doesNotMatch(stderr, /artificially reduced/, 'no Dawn limit notice in the output');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
