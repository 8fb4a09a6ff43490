// The scaling sweep as an SVG: one panel per swept size (batch, hidden, T), samples/s on a log axis, one
// line per system. Plain string building, no dependency.
import type { BenchRecord } from './results.ts';
import type { Shape } from './workload.ts';

export interface SweepAxes {
  batch: number[];
  hidden: number[];
  seq: number[];
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  title: string;
  key: 'batch' | 'hidden' | 'steps';
  values: number[];
}

/** Points of one panel: records at the base shape but for the swept size. */
function pointsOf(records: BenchRecord[], base: Shape, p: Panel, id: string): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  p.values.forEach((value, x) => {
    const want = { ...base, [p.key]: value };
    const r = records.find((rec) => rec.id === id && !rec.error && rec.samplesPerSec && rec.config.batch === want.batch &&
      rec.config.hidden === want.hidden && rec.config.steps === want.steps && rec.config.input === want.input);
    if (r?.samplesPerSec) out.push({ x, y: r.samplesPerSec });
  });
  return out;
}

export function sweepChart(records: BenchRecord[], base: Shape, axes: SweepAxes, title: string): string {
  const panels: Panel[] = [
    { title: `batch B (H=${base.hidden}, T=${base.steps})`, key: 'batch', values: axes.batch },
    { title: `hidden H (B=${base.batch}, T=${base.steps})`, key: 'hidden', values: axes.hidden },
    { title: `sequence T (B=${base.batch}, H=${base.hidden})`, key: 'steps', values: axes.seq },
  ];
  const ids = [...new Set(records.map((r) => r.id))];
  const ys = records.filter((r) => !r.error && r.samplesPerSec).map((r) => r.samplesPerSec!);
  const lo = ys.length ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 1;
  const hi = ys.length ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : 10;
  const top = Math.max(hi, lo * 10);
  const W = 300;
  const H = 220;
  const left = 60;
  const gap = 40;
  const topPad = 60;
  const width = left + panels.length * (W + gap);
  const height = topPad + H + 60;
  const yOf = (v: number): number => topPad + H - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(top) - Math.log10(lo))) * H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  ids.forEach((id, i) => {
    const x = left + i * 150;
    parts.push(`<line x1="${x}" y1="34" x2="${x + 20}" y2="34" stroke="${palette[i % palette.length]}" stroke-width="2"/>`);
    parts.push(`<text x="${x + 25}" y="38">${esc(id)}</text>`);
  });
  panels.forEach((p, pi) => {
    const x0 = left + pi * (W + gap);
    const xOf = (i: number): number => x0 + (p.values.length === 1 ? W / 2 : (i / (p.values.length - 1)) * (W - 20) + 10);
    parts.push(`<rect x="${x0}" y="${topPad}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
    parts.push(`<text x="${x0 + W / 2}" y="${topPad + H + 40}" text-anchor="middle">${esc(p.title)}</text>`);
    for (let e = Math.log10(lo); e <= Math.log10(top) + 1e-9; e++) {
      const y = yOf(10 ** e);
      parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + W}" y2="${y}" stroke="#ddd"/>`);
      if (pi === 0) parts.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? (10 ** e).toLocaleString('en-US') : (10 ** e).toPrecision(1)}</text>`);
    }
    p.values.forEach((v, i) => parts.push(`<text x="${xOf(i)}" y="${topPad + H + 16}" text-anchor="middle">${v}</text>`));
    ids.forEach((id, si) => {
      const pts = pointsOf(records, base, p, id);
      const color = palette[si % palette.length];
      if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((q) => `${xOf(q.x).toFixed(1)},${yOf(q.y).toFixed(1)}`).join(' ')}"/>`);
      for (const q of pts) parts.push(`<circle cx="${xOf(q.x).toFixed(1)}" cy="${yOf(q.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${id}: ${q.y.toFixed(1)} samples/s`)}</title></circle>`);
    });
  });
  parts.push(`<text x="14" y="${topPad + H / 2}" transform="rotate(-90 14 ${topPad + H / 2})" text-anchor="middle">samples/s (log)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
