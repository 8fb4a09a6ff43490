// npm run bench: webgpu-lstm against tfjs-layers on the same workload, in Node (Dawn) and in one headless
// Chromium session (same adapter for every browser system), plus the adapter's ceiling (our fastest GEMM kernel) and, with
// --sweep, a scaling sweep. Writes <out>/latest.json, a dated copy, latest.md and the sweep chart; prints
// the Markdown table. Systems run one after another, never at once. A system that fails gets a record
// with its error; the run goes on.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GpuContext, adapterLabel } from '../src/gpu/device.ts';
import { createNodeGpu } from '../src/gpu/node-gpu.ts';
import { defaultScheduler, schedulers } from '../src/train/plan.ts';
import { tuneWorkgroups, tunedKernels, workgroupCandidates } from '../src/train/tuner.ts';
import { UserError } from '../src/user-error.ts';
import { type BenchOptions, parseBenchArgs, stepsFor } from './args.ts';
import { sweepChart } from './chart.ts';
import { type BenchBrowser, type CapReached, startBrowser } from './chromium.ts';
import { type CeilingKernels, type CeilingOptions, matmulTiles, measureCeiling, weightGradTiles } from './matmul.ts';
import { syntheticSet, timeOurs } from './ours.ts';
import type { PageSystem } from './page/main.ts';
import { markdownReport } from './report.ts';
import {
  type AdapterRecord, type BenchRecord, type BenchResults, type CeilingRecord, type Failure,
  cappedRecord, checkResults, makeRecord, ratios, targets,
  type TuningRecord,
} from './results.ts';
import {
  type RawRun, type RunSpec, type Shape, type SystemId, charLmLargerShape, charLmShape, charLmSystems, flopsPerStep, layersOf, pixelShapes,
  pixelSystems, referenceShape, stackedShape, stackedSystems, sweepShapes, systems,
} from './workload.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
const errorOf = (e: unknown): Failure => ({ error: e instanceof Error ? e.message : String(e) });

function withTimeout<T>(what: string, p: Promise<T>, sec: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${sec} s (raise --timeout)`)), sec * 1000);
    }),
  ]).finally(() => clearTimeout(timer));
}

function ceilingOptions(o: BenchOptions, software: boolean): CeilingOptions | undefined {
  const size = o.ceilingSize ?? (software ? (o.quick ? 256 : 512) : 1024);
  if (size === 0) return undefined;
  return {
    size,
    tiles: o.quick ? matmulTiles.slice(0, 3) : matmulTiles,
    weightGradTiles: o.quick ? weightGradTiles.slice(0, 3) : weightGradTiles,
    trials: o.quick ? 2 : 3,
    targetMs: o.quick ? 150 : 300,
  };
}

const ceilingWhat = (opts: CeilingOptions): string =>
  `${opts.size}^3 GEMM over ${opts.tiles!.length} matmul.wgsl tiles and ${opts.weightGradTiles!.length} lstm_weight_grad workgroup sizes`;

async function ceilingKernels(): Promise<CeilingKernels> {
  return {
    matmul: await readFile(join(benchDir, 'kernels', 'matmul.wgsl'), 'utf8'),
    lstmWeightGrad: await readFile(join(benchDir, '..', 'shaders', 'lstm_weight_grad.wgsl'), 'utf8'),
  };
}

/** Runs the systems on the Node side and in the browser, each with its own warm-up and timed steps. */
class Runner {
  node?: GpuContext;
  nodeAdapter?: AdapterRecord | Failure;
  browser?: BenchBrowser;
  chromiumAdapter?: AdapterRecord | Failure;

  constructor(readonly o: BenchOptions) {}

  async startNode(): Promise<void> {
    if (this.nodeAdapter) return;
    try {
      this.node = await createNodeGpu({ adapter: this.o.nodeAdapter, log });
      const l = this.node.device.limits;
      this.nodeAdapter = {
        adapter: this.node.adapter,
        features: [...this.node.device.features].sort(),
        limits: { maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize },
      };
      log(`Node adapter: ${this.node.adapter.vendor} / ${this.node.adapter.architecture} / ${this.node.adapter.description || this.node.adapter.device}`);
    } catch (e) {
      this.nodeAdapter = errorOf(e);
      log(`Node WebGPU unavailable: ${this.nodeAdapter.error}`);
    }
  }

  async startBrowser(): Promise<void> {
    if (this.chromiumAdapter) return;
    try {
      log('starting Vite and headless Chromium');
      this.browser = await startBrowser(log);
      const a = await this.browser.adapter();
      this.chromiumAdapter = a;
      if ('error' in a) log(`Chromium WebGPU unavailable: ${a.error}`);
      else log(`Chromium ${this.browser.version} adapter: ${a.adapter.vendor} / ${a.adapter.architecture} / ${a.adapter.description || a.adapter.device}`);
    } catch (e) {
      this.chromiumAdapter = errorOf(e);
      log(`Chromium unavailable: ${this.chromiumAdapter.error}`);
    }
  }

  /** One system at one shape; capSec: a browser system is stopped there and what it reached recorded. */
  async run(id: SystemId, shape: Shape, sweep = false, capSec?: number): Promise<BenchRecord> {
    const spec: RunSpec = { shape, ...stepsFor(this.o, id, sweep), lr: this.o.lr, seed: this.o.seed };
    const s = shape;
    log(`${id}: B=${s.batch} T=${s.steps} ${s.layers ? `layers=${s.layers.join(',')}` : `H=${s.hidden}`}${s.lm ? ` V=${s.input} (char LM)` : ''}, ${spec.warmup} warm-up + ${spec.steps} timed steps`);
    let raw: RawRun | Failure;
    let adapter = null;
    if (systems[id].runtime === 'node') {
      await this.startNode();
      adapter = this.node?.adapter ?? null;
      raw = this.node ? await withTimeout(id, timeOurs(this.node, spec), this.o.timeoutSec).catch(errorOf) : { error: `no WebGPU in Node: ${(this.nodeAdapter as Failure).error}` };
    } else {
      await this.startBrowser();
      const a = this.chromiumAdapter;
      adapter = a && 'adapter' in a ? a.adapter : null;
      const pageSystem: PageSystem = id === 'ours-chromium' ? 'ours' : (id as PageSystem);
      const result = !this.browser ? { error: `no Chromium: ${(a as Failure).error}` }
        : capSec !== undefined ? await this.browser.runCapped(pageSystem, spec, capSec * 1000)
        : await this.browser.run(pageSystem, spec, this.o.timeoutSec * 1000);
      const reached = (result as { reached?: CapReached }).reached;
      if (reached) {
        const record = cappedRecord(id, spec, reached, adapter);
        log(`${id}: ${record.error}`);
        return record;
      }
      raw = result;
    }
    const record = makeRecord(id, spec, raw, adapter);
    log(record.error ? `${id}: failed: ${record.error}` : `${id}: ${record.msPerStep!.toFixed(1)} ms/step, ${record.samplesPerSec!.toFixed(1)} samples/s${record.charsPerSec ? ` (${record.charsPerSec.toFixed(0)} chars/s)` : ''}, ${record.gflops!.toFixed(2)} GFLOP/s`);
    return record;
  }

  async ceilingNode(kernels: CeilingKernels): Promise<CeilingRecord | undefined> {
    await this.startNode();
    if (!this.node) return { runtime: 'node', adapter: null, size: 0, error: (this.nodeAdapter as Failure).error };
    const opts = ceilingOptions(this.o, this.node.adapter.software);
    if (!opts) return undefined;
    log(`ceiling in Node: ${ceilingWhat(opts)}`);
    const result = await withTimeout('ceiling', measureCeiling(this.node.device, kernels, opts), this.o.timeoutSec).catch(errorOf);
    return { runtime: 'node', adapter: this.node.adapter, ...('error' in result ? { ...result, size: opts.size } : result) };
  }

  /** The autotuner on Node's adapter at this shape: the step time with the default and the tuned sizes. */
  async tuneNode(shape: Shape): Promise<TuningRecord> {
    await this.startNode();
    if (!this.node) return { runtime: 'node', adapter: null, error: (this.nodeAdapter as Failure).error };
    const model = { steps: shape.steps, inputSize: shape.input, layers: layersOf(shape), classes: shape.classes, forgetBias: 1 };
    log(`autotuner in Node: ${schedulers.length} schedulers, then ${Object.keys(tunedKernels(defaultScheduler)).length} kernels x ${this.o.quick ? 3 : workgroupCandidates.length} workgroup sizes`);
    const run = tuneWorkgroups(this.node, model, shape.batch, syntheticSet(shape, Math.max(shape.batch, 8), 1), {
      reps: this.o.quick ? 1 : 3,
      candidates: this.o.quick ? workgroupCandidates.slice(0, 3) : workgroupCandidates,
    });
    const result = await withTimeout('autotuner', run, this.o.timeoutSec).catch(errorOf);
    if ('error' in result) return { runtime: 'node', adapter: this.node.adapter, error: result.error };
    const { defaultMs, tunedMs, overrides, scheduler, schedulerTrials } = result;
    return { runtime: 'node', adapter: this.node.adapter, defaultMs, tunedMs, gain: defaultMs / tunedMs, overrides, scheduler, schedulerTrials };
  }

  async ceilingChromium(): Promise<CeilingRecord | undefined> {
    await this.startBrowser();
    const a = this.chromiumAdapter;
    if (!this.browser || !a || 'error' in a) return { runtime: 'chromium', adapter: null, size: 0, error: a && 'error' in a ? a.error : 'no Chromium' };
    const opts = ceilingOptions(this.o, a.adapter.software);
    if (!opts) return undefined;
    log(`ceiling in Chromium: ${ceilingWhat(opts)}`);
    const result = await this.browser.ceiling(opts, this.o.timeoutSec * 1000);
    return { runtime: 'chromium', adapter: a.adapter, ...('error' in result ? { ...result, size: opts.size } : result) };
  }

  async close(): Promise<void> {
    await this.browser?.close();
    this.node?.destroy();
  }
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

async function main(): Promise<number> {
  const o = parseBenchArgs(process.argv.slice(2), join(benchDir, 'results'));
  if (o.help) {
    process.stdout.write(o.usage);
    return 0;
  }
  const started = new Date();
  const runner = new Runner(o);
  const records: BenchRecord[] = [];
  const ceiling: BenchResults['ceiling'] = {};
  const sweepRecords: BenchRecord[] = [];
  const pixelRecords: BenchRecord[] = [];
  const stackedRecords: BenchRecord[] = [];
  const charLmRecords: BenchRecord[] = [];
  const charLmLargerRecords: BenchRecord[] = [];
  const charLmLarger = o.sweep && !o.quick;
  let tuning: TuningRecord | undefined;
  try {
    // Node first, then the browser: never two measurements at once.
    const nodeIds = o.systems.filter((id) => systems[id].runtime === 'node');
    const browserIds = o.systems.filter((id) => systems[id].runtime === 'chromium');
    for (const id of nodeIds) records.push(await runner.run(id, o.shape));
    if (nodeIds.includes('ours-node')) tuning = await runner.tuneNode(o.shape);
    if (o.ceilingSize !== 0) {
      const c = await runner.ceilingNode(await ceilingKernels());
      if (c) ceiling.node = c;
    }
    for (const id of browserIds) records.push(await runner.run(id, o.shape));
    if (o.ceilingSize !== 0) {
      const c = await runner.ceilingChromium();
      if (c) ceiling.chromium = c;
    }
    const stackedIds = stackedSystems.filter((id) => o.systems.includes(id));
    if (o.stacked && stackedIds.length > 0) {
      log(`stacked: layers ${layersOf(stackedShape(o.shape)).join(',')} x ${stackedIds.length} systems`);
      for (const id of stackedIds) stackedRecords.push(await runner.run(id, stackedShape(o.shape)));
    }
    const charLmIds = charLmSystems.filter((id) => o.systems.includes(id));
    if (o.charLm && charLmIds.length > 0) {
      const lm = charLmShape(o.quick);
      log(`char LM: T=${lm.steps} B=${lm.batch} layers ${layersOf(lm).join(',')} V=${lm.input} x ${charLmIds.length} systems`);
      for (const id of charLmIds) charLmRecords.push(await runner.run(id, lm));
      if (charLmLarger) {
        const big = charLmLargerShape();
        log(`char LM, larger: T=${big.steps} B=${big.batch} layers ${layersOf(big).join(',')} V=${big.input} x ${charLmIds.length} systems; tfjs capped at ${o.tfjsCapSec} s`);
        for (const id of charLmIds) charLmLargerRecords.push(await runner.run(id, big, true, systems[id].system === 'tfjs-layers' ? o.tfjsCapSec : undefined));
      }
    }
    const pixelIds = pixelSystems.filter((id) => o.systems.includes(id));
    if (o.pixel && pixelIds.length > 0) {
      log(`pixel MNIST: ${pixelShapes(o.quick, !!o.sweep).length} shapes x ${pixelIds.length} systems; tfjs capped at ${o.tfjsCapSec} s`);
      for (const shape of pixelShapes(o.quick, !!o.sweep)) {
        for (const id of pixelIds) pixelRecords.push(await runner.run(id, shape, true, systems[id].system === 'tfjs-layers' ? o.tfjsCapSec : undefined));
      }
    }
    if (o.sweep) {
      const shapes = sweepShapes(o.shape, o.sweep);
      log(`sweep: ${shapes.length} shapes x ${o.sweep.systems.length} systems`);
      for (const shape of shapes) {
        for (const id of o.sweep.systems) {
          const same = records.find((r) => r.id === id && r.config.batch === shape.batch && r.config.hidden === shape.hidden && r.config.steps === shape.steps);
          sweepRecords.push(same ?? (await runner.run(id, shape, true)));
        }
      }
    }
  } finally {
    await runner.close();
  }

  const results: BenchResults = {
    date: started.toISOString(),
    machine: {
      os: `${os.type()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(), node: process.version,
      ...(runner.browser ? { chromium: runner.browser.version } : {}),
    },
    adapters: {
      ...(runner.nodeAdapter ? { node: runner.nodeAdapter } : {}),
      ...(runner.chromiumAdapter ? { chromium: runner.chromiumAdapter } : {}),
    },
    config: { shape: o.shape, lr: o.lr, seed: o.seed, quick: o.quick, flopsPerStep: flopsPerStep(o.shape), systems: o.systems, timeoutSec: o.timeoutSec },
    records,
    ceiling,
    ...(tuning ? { tuning } : {}),
    ratios: ratios(records),
    ...(pixelRecords.length > 0 ? { pixel: { shapes: pixelShapes(o.quick, !!o.sweep), tfjsCapSec: o.tfjsCapSec, records: pixelRecords, ratios: ratios(pixelRecords) } } : {}),
    ...(stackedRecords.length > 0 ? { stacked: { shape: stackedShape(o.shape), records: stackedRecords, ratios: ratios(stackedRecords) } } : {}),
    ...(charLmRecords.length > 0
      ? {
          charLm: {
            shape: charLmShape(o.quick), records: charLmRecords, ratios: ratios(charLmRecords),
            ...(charLmLargerRecords.length > 0
              ? { larger: { shape: charLmLargerShape(), tfjsCapSec: o.tfjsCapSec, records: charLmLargerRecords, ratios: ratios(charLmLargerRecords) } }
              : {}),
          },
        }
      : {}),
    targets: targets(o.shape, records, sweepRecords, ceiling, referenceShape),
  };
  await mkdir(o.out, { recursive: true });
  const name = stamp(started);
  if (o.sweep) {
    const chart = `${name}-sweep.svg`;
    const chromium = results.adapters.chromium;
    const where = chromium && 'adapter' in chromium ? `, Chromium adapter ${adapterLabel(chromium.adapter)}` : '';
    const svg = sweepChart(sweepRecords, o.shape, o.sweep, `Training samples/s per system${where} (${started.toISOString().slice(0, 10)})`);
    await writeAtomic(join(o.out, chart), svg);
    await writeAtomic(join(o.out, 'latest-sweep.svg'), svg);
    results.sweep = { ...o.sweep, records: sweepRecords, chart };
  }
  const json = JSON.stringify(results, null, 2) + '\n';
  await writeAtomic(join(o.out, `${name}.json`), json);
  await writeAtomic(join(o.out, 'latest.json'), json);
  const md = markdownReport(results);
  await writeAtomic(join(o.out, 'latest.md'), md);
  process.stdout.write('\n' + md);
  log(`wrote ${join(o.out, 'latest.json')}, ${name}.json and latest.md${o.sweep ? ', latest-sweep.svg' : ''}`);
  const problems = checkResults(results);
  if (problems.length) {
    log(`the results are incomplete or ill-formed (a bug in bench/):\n  ${problems.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof UserError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
