// The scheduler contest: our trainer with the recurrence dispatched once per timestep ('timestep', 2T + 7
// dispatches a step) and once per sequence ('sequence', 9), in Node (Dawn) and in Chromium, on the same
// adapters as npm run bench. Rounds take turns between the two so the machine's drifting load hits both.
//   npx tsx bench/schedulers.ts [--batch B] [--hidden H] [--seq T] [--rounds N] [--steps N]
// Prints one Markdown row per runtime and scheduler: median ms per step (min-max over rounds' medians).
import { parseArgs } from 'node:util';
import { createNodeGpu } from '../src/gpu/node-gpu.ts';
import type { Scheduler } from '../src/train/plan.ts';
import { startBrowser } from './chromium.ts';
import { timeOurs } from './ours.ts';
import { type RawRun, type RunSpec, median, referenceShape } from './workload.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string' }, hidden: { type: 'string' }, seq: { type: 'string' },
    rounds: { type: 'string' }, steps: { type: 'string' }, runtimes: { type: 'string' },
  },
});
const int = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number.parseInt(v, 10));
const shape = { ...referenceShape, batch: int(values.batch, referenceShape.batch), hidden: int(values.hidden, referenceShape.hidden), steps: int(values.seq, referenceShape.steps) };
const rounds = int(values.rounds, 3);
const steps = int(values.steps, 3);
const runtimes = (values.runtimes ?? 'node,chromium').split(',');
const schedulerNames: Scheduler[] = ['timestep', 'sequence'];
const spec = (scheduler: Scheduler): RunSpec => ({ shape, warmup: 1, steps, lr: 1e-3, seed: 0, scheduler });
const log = (m: string): void => console.error(m);

type Runner = (s: RunSpec) => Promise<RawRun>;
const runners: Record<string, { runner: Runner; adapter: string; close(): Promise<void> }> = {};
if (runtimes.includes('node')) {
  const ctx = await createNodeGpu();
  runners.node = { runner: (s) => timeOurs(ctx, s), adapter: `${ctx.adapter.vendor} / ${ctx.adapter.description}`, close: async () => ctx.device.destroy() };
}
if (runtimes.includes('chromium')) {
  const browser = await startBrowser(log);
  const adapter = await browser.adapter();
  runners.chromium = {
    runner: async (s) => {
      const r = await browser.run('ours', s, 600_000);
      if ('error' in r) throw new Error(r.error);
      return r;
    },
    adapter: 'error' in adapter ? adapter.error : `${adapter.adapter.vendor} / ${adapter.adapter.architecture}`,
    close: () => browser.close(),
  };
}

const rows: string[] = [];
for (const [runtime, { runner, adapter }] of Object.entries(runners)) {
  const medians: Record<string, number[]> = {};
  const dispatches: Record<string, number | null> = {};
  for (let r = 0; r < rounds; r++) {
    for (const scheduler of schedulerNames) {
      const run = await runner(spec(scheduler));
      (medians[scheduler] ??= []).push(median(run.stepMs));
      dispatches[scheduler] = run.dispatchesPerStep;
      log(`${runtime} ${scheduler} round ${r + 1}: ${median(run.stepMs).toFixed(1)} ms/step`);
    }
  }
  const base = median(medians.timestep);
  for (const scheduler of schedulerNames) {
    const m = medians[scheduler];
    rows.push(`| ${runtime} | ${adapter} | ${scheduler} | ${dispatches[scheduler]} | ${median(m).toFixed(1)} (${Math.min(...m).toFixed(1)}-${Math.max(...m).toFixed(1)}) | ${(base / median(m)).toFixed(2)}x |`);
  }
}
for (const { close } of Object.values(runners)) await close();
console.log(`B=${shape.batch} T=${shape.steps} I=${shape.input} H=${shape.hidden} C=${shape.classes}; ${rounds} rounds of 1 warm-up + ${steps} timed steps per scheduler\n`);
console.log('| runtime | adapter | scheduler | dispatches/step | ms/step median of rounds (min-max) | speedup |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
