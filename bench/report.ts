// The results as Markdown: the table printed at the end of a run and saved as latest.md.
import { adapterLabel } from '../src/gpu/device.ts';
import { ceilingKernelName } from './matmul.ts';
import { flopsPerStep } from './workload.ts';
import type { AdapterRecord, BenchRecord, BenchResults, CeilingRecord, CharLmSection, Failure } from './results.ts';

const fixed = (x: number | null | undefined, digits: number): string => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** 3 significant digits, no exponent below 1e6. */
export function sig(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 4));
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 2 ** 20) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

const adapterText = (a: AdapterRecord | Failure | undefined): string =>
  !a ? 'not used' : 'error' in a ? `unavailable (${a.error})` : `${adapterLabel(a.adapter)}${a.adapter.software ? ' (software)' : ''}`;

function ceilingText(c: CeilingRecord | undefined): string {
  if (!c) return 'not measured';
  if ('error' in c) return `failed (${c.error})`;
  const ran = c.candidates.filter((x) => !x.error);
  const failed = c.candidates.length - ran.length;
  // The best of the form that did not win, so a reader sees how far apart the two kernels are.
  const others = ran.filter((x) => (x.form ?? 'matmul') !== (c.form ?? 'matmul'));
  const runnerUp = others.length ? others.reduce((x, y) => (y.gflops > x.gflops ? y : x)) : undefined;
  return `${sig(c.gflops)} GFLOP/s (${c.size}^3, ${ceilingKernelName(c)}; best of ${c.candidates.length} candidates` +
    (runnerUp ? `; best ${ceilingKernelName(runnerUp)}: ${sig(runnerUp.gflops)}` : '') +
    (failed ? `; ${failed} failed, e.g. ${c.candidates.find((x) => x.error)!.error!.slice(0, 120)}` : '') + ')';
}

function recordRow(r: BenchRecord, ceilingGflops: number | undefined): string {
  const name = `${r.id}`;
  if (r.error) return `| ${name} | ${r.runtime} | ${r.backend} | failed: ${r.error.replace(/\|/g, '/').slice(0, 160)} | | | | | | |`;
  const pct = ceilingGflops && r.gflops ? ` (${((100 * r.gflops) / ceilingGflops).toFixed(0)}%)` : '';
  return `| ${name} | ${r.runtime} | ${r.backend} | ${sig(r.msPerStep)} (${sig(r.minMs)}-${sig(r.maxMs)}) | ${sig(r.samplesPerSec)} | ${sig(r.gflops)}${pct} | ${fixed(r.dispatchesPerStep, 0)} | ${fixed(r.submitsPerStep, 0)} | ${bytes(r.peakBytes)} | ${r.config.warmupSteps}+${r.config.timedSteps} |`;
}

const header = [
  '| system | runtime | backend | ms/step median (min-max) | samples/s | GFLOP/s (% of ceiling) | dispatches/step | submits/step | peak memory | warm-up+timed steps |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

const lmHeader = [
  '| system | runtime | backend | ms/step median (min-max) | samples/s | chars/s | GFLOP/s | dispatches/step | submits/step | peak memory | warm-up+timed steps |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

/** A char-LM row: samples/s (B windows per step) and chars/s (B*T predictions per step). */
function lmRow(r: BenchRecord): string {
  if (r.error) return `| ${r.id} | ${r.runtime} | ${r.backend} | ${r.capped ? '' : 'failed: '}${r.error.replace(/\|/g, '/').slice(0, 200)} | | | | | | | |`;
  return `| ${r.id} | ${r.runtime} | ${r.backend} | ${sig(r.msPerStep)} (${sig(r.minMs)}-${sig(r.maxMs)}) | ${sig(r.samplesPerSec)} | ${sig(r.charsPerSec)} | ${sig(r.gflops)} | ${fixed(r.dispatchesPerStep, 0)} | ${fixed(r.submitsPerStep, 0)} | ${bytes(r.peakBytes)} | ${r.config.warmupSteps}+${r.config.timedSteps} |`;
}

const flopText = (f: number): string => (f >= 1e8 ? `${sig(f / 1e9)} GFLOP` : `${sig(f / 1e6)} MFLOP`);

function charLmTable(sec: CharLmSection, note = ''): string[] {
  const s = sec.shape;
  const lines = [
    '',
    `### Character-level LM (T=${s.steps} B=${s.batch} layers ${(s.layers ?? [s.hidden]).join(',')} V=${s.input}, loss at every step; ` +
      `${flopText(flopsPerStep(s))} per step${note}; tfjs: one-hot (B, T, V) input, stacked tf.layers.lstm returnSequences, timeDistributed dense(V))`,
    '',
    ...lmHeader,
    ...sec.records.map(lmRow),
  ];
  const text = Object.entries(sec.ratios).map(([k, v]) => `${k.replace('ours-chromium/', '')} ${v == null ? '- (capped or failed)' : `${sig(v)}x`}`);
  if (text.length) lines.push('', `Samples/s (and chars/s) of ours in Chromium over: ${text.join(', ')}.`);
  return lines;
}

export function markdownReport(res: BenchResults): string {
  const s = res.config.shape;
  const ceilingOf = (runtime: string): number | undefined => {
    const c = runtime === 'node' ? res.ceiling.node : res.ceiling.chromium;
    return c && 'gflops' in c ? c.gflops : undefined;
  };
  const lines = [
    `## webgpu-lstm vs TensorFlow.js, ${res.date.slice(0, 16).replace('T', ' ')} UTC${res.config.quick ? ' (--quick)' : ''}`,
    '',
    `Workload: B=${s.batch} T=${s.steps} I=${s.input} H=${s.hidden} C=${s.classes}, Adam lr ${res.config.lr}; ` +
      `${(res.config.flopsPerStep / 1e9).toFixed(3)} GFLOP per training step (matmuls, reference-workload.md).`,
    `Chromium ${res.machine.chromium ?? '-'} adapter: ${adapterText(res.adapters.chromium)}. Node (Dawn) adapter: ${adapterText(res.adapters.node)}.`,
    `Machine: ${res.machine.os} ${res.machine.arch}, ${res.machine.cpus} CPUs (${res.machine.cpuModel}), Node ${res.machine.node}.`,
    '',
    ...header,
    ...res.records.map((r) => recordRow(r, ceilingOf(r.runtime))),
    '',
    `Adapter ceiling (our fastest GEMM kernel): Chromium ${ceilingText(res.ceiling.chromium)}; Node ${ceilingText(res.ceiling.node)}.`,
  ];
  const t = res.tuning;
  if (t) {
    lines.push(t.error
      ? `Autotuner (Node): failed: ${t.error}.`
      : `Autotuner (Node): a step's kernels ${sig(t.defaultMs!)} ms with the default scheduler and workgroup sizes, ${sig(t.tunedMs!)} ms tuned, gain ${sig(t.gain!)}x` +
        (t.gain! > 1 ? ` (${t.scheduler ? `scheduler ${t.scheduler}, ` : ''}${JSON.stringify(t.overrides)})` : ' (the defaults were the fastest)') +
        (t.schedulerTrials?.length ? `; schedulers at default sizes: ${t.schedulerTrials.map((x) => `${x.scheduler} ${x.refused ? `refused (${x.refused})` : `${sig(x.ms)} ms`}`).join(', ')}.` : '.'));
  }
  for (const r of res.records) {
    const p = r.info?.phasesMs as Record<string, number> | undefined;
    if (!p) continue;
    const total = Object.values(p).reduce((a, b) => a + b, 0);
    const parts = Object.entries(p).map(([k, v]) => `${k} ${sig(v)} ms (${((100 * v) / total).toFixed(0)}%)`);
    lines.push(`Phases of one ${r.id} step, each submitted and waited for alone: ${parts.join(', ')}.`);
  }
  const ratioText = Object.entries(res.ratios).map(([k, v]) => `${k.replace('ours-chromium/', '')} ${v == null ? '-' : `${sig(v)}x`}`);
  if (ratioText.length) lines.push(`Samples/s of ours in Chromium over: ${ratioText.join(', ')}.`);
  lines.push('', 'Targets:', '');
  for (const t of res.targets) {
    const verdict = t.met === null ? 'not judged' : t.met ? 'met' : 'NOT met';
    lines.push(`- ${t.goal}: ${t.measured === null ? '-' : sig(t.measured)}, ${verdict}${t.note ? ` (${t.note})` : ''}`);
  }
  if (res.pixel) {
    lines.push('', `### Pixel-by-pixel MNIST (T=784, I=1; tfjs stopped at ${res.pixel.tfjsCapSec} s)`, '');
    lines.push('| B | T | H | system | ms/step | samples/s | dispatches/step | submits/step | warm-up+timed steps |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of res.pixel.records) {
      const c = r.config;
      lines.push(r.error
        ? `| ${c.batch} | ${c.steps} | ${c.hidden} | ${r.id} | ${r.capped ? '' : 'failed: '}${r.error.replace(/\|/g, '/').slice(0, 200)} | | | | |`
        : `| ${c.batch} | ${c.steps} | ${c.hidden} | ${r.id} | ${sig(r.msPerStep)} | ${sig(r.samplesPerSec)} | ${fixed(r.dispatchesPerStep, 0)} | ${fixed(r.submitsPerStep, 0)} | ${c.warmupSteps}+${c.timedSteps} |`);
    }
    const text = Object.entries(res.pixel.ratios ?? {}).map(([k, v]) => `${k.replace('ours-chromium/', '')} ${v == null ? '- (capped or failed)' : `${sig(v)}x`}`);
    if (text.length) lines.push('', `Samples/s of ours in Chromium over: ${text.join(', ')}.`);
  }
  if (res.stacked) {
    const st = res.stacked;
    lines.push('', `### Two LSTM layers (layers ${(st.shape.layers ?? [st.shape.hidden]).join(',')}, B=${st.shape.batch} T=${st.shape.steps} I=${st.shape.input}; tfjs: stacked tf.layers.lstm, returnSequences below the top)`, '');
    lines.push(...header);
    for (const r of st.records) lines.push(recordRow(r, ceilingOf(r.runtime)));
    const text = Object.entries(st.ratios).map(([k, v]) => `${k.replace('ours-chromium/', '')} ${v == null ? '-' : `${sig(v)}x`}`);
    if (text.length) lines.push('', `Samples/s of ours in Chromium over: ${text.join(', ')}.`);
  }
  if (res.charLm) {
    lines.push(...charLmTable(res.charLm));
    if (res.charLm.larger) lines.push(...charLmTable(res.charLm.larger, `, tfjs stopped at ${res.charLm.larger.tfjsCapSec} s`));
  }
  if (res.sweep) {
    lines.push('', `### Scaling sweep${res.sweep.chart ? ` (chart: ${res.sweep.chart})` : ''}`, '');
    lines.push('| B | T | H | system | ms/step | samples/s | GFLOP/s | dispatches/step |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of res.sweep.records) {
      const c = r.config;
      lines.push(r.error
        ? `| ${c.batch} | ${c.steps} | ${c.hidden} | ${r.id} | failed: ${r.error.replace(/\|/g, '/').slice(0, 120)} | | | |`
        : `| ${c.batch} | ${c.steps} | ${c.hidden} | ${r.id} | ${sig(r.msPerStep)} | ${sig(r.samplesPerSec)} | ${sig(r.gflops)} | ${fixed(r.dispatchesPerStep, 0)} |`);
    }
  }
  return lines.join('\n') + '\n';
}
