// The page's read-only panels: the adapter, the run's numbers, the GPU timings and the checkpoint line.
import type { AdapterDescription } from '../../gpu/device.ts';
import { type PhaseTimes, phaseLabels, phases } from '../../train/timing.ts';
import type { CheckpointSummary, Progress, RunState, TuningStatus } from '../protocol.ts';
import { byId, el, formatDuration, percent } from './dom.ts';
import { layersText } from '../hyperparams.ts';

export function showAdapter(a: AdapterDescription, timestampQuery: boolean): void {
  const rows: [string, string][] = [
    ['Vendor', a.vendor || '(not reported)'],
    ['Architecture', a.architecture || '(not reported)'],
    ['Description', a.description || a.device || '(not reported)'],
    ['Timestamp queries', timestampQuery ? 'yes' : 'no'],
  ];
  const list = el('dl');
  for (const [k, v] of rows) list.append(el('dt', {}, k), el('dd', {}, v));
  const box = byId('adapter');
  box.replaceChildren(el('h2', {}, 'WebGPU adapter'), list);
  if (a.software) {
    box.append(el('p', { className: 'warning small', role: 'note' },
      'Software adapter: the CPU is emulating a GPU, so training runs orders of magnitude slower than on a real GPU. ' +
        'Try a smaller hidden size and batch, or a machine with a GPU.'));
  }
  box.dataset.software = String(a.software);
}

export function showState(state: RunState): void {
  const badge = byId('run-state');
  badge.textContent = state;
  badge.dataset.state = state;
}

export function showProgress(p: Progress): void {
  byId('s-step').textContent = `${p.step.toLocaleString('en-US')} / ${p.totalSteps.toLocaleString('en-US')}`;
  byId('s-epoch').textContent = p.epoch.toFixed(2);
  byId('s-rate').textContent = p.samplesPerSec > 0 ? p.samplesPerSec.toFixed(p.samplesPerSec < 100 ? 1 : 0) : '–';
  byId('s-ms').textContent = p.msPerStep > 0 ? p.msPerStep.toFixed(p.msPerStep < 10 ? 2 : 1) : '–';
  byId('s-elapsed').textContent = formatDuration(p.trainMs);
}

/** The run's workgroup sizes: tuning now, tuned, cached or the defaults (data-source says which). */
export function showTuning(t: TuningStatus): void {
  const line = byId('s-tuning');
  line.textContent = t.text;
  line.dataset.source = t.source;
}

/** `bits`: a text run's loss, shown in bits per character. */
export function showStats(loss: number, accuracy: number, gradNorm?: number, bits = false): void {
  byId('s-loss').textContent = bits ? `${(loss / Math.LN2).toFixed(3)} bits/char` : loss.toFixed(4);
  byId('s-accuracy').textContent = percent(accuracy);
  byId('s-grad').textContent = gradNorm === undefined ? '–' : gradNorm.toPrecision(3);
}

export function clearStats(): void {
  for (const id of ['s-step', 's-epoch', 's-loss', 's-accuracy', 's-grad', 's-validation', 's-test', 's-rate', 's-ms', 's-elapsed']) byId(id).textContent = '–';
}

export function showTimings(step: number, times: PhaseTimes): void {
  const total = phases.reduce((s, p) => s + times[p], 0);
  const table = el('table', { className: 'timings' });
  for (const p of phases) {
    const bar = el('div', { className: 'bar' });
    bar.style.width = `${total > 0 ? (100 * times[p]) / total : 0}%`;
    const row = el('tr', {}, el('td', {}, phaseLabels[p], bar), el('td', { className: 'ms' }, `${times[p].toFixed(3)} ms`));
    row.dataset.phase = p;
    table.append(row);
  }
  table.append(el('tr', { className: 'total' }, el('td', {}, 'one training step'), el('td', { className: 'ms' }, `${total.toFixed(3)} ms`)));
  const note = el('p', { className: 'muted small' },
    `Measured with timestamp queries on a profiled step after step ${step}. Chrome rounds timestamps to 0.1 ms unless chrome://flags/#enable-webgpu-developer-features is on.`);
  byId('timings-body').replaceChildren(table, note);
}

export function clearTimings(): void {
  byId('timings-body').replaceChildren(el('p', { className: 'muted small' }, 'Measured on an extra profiled step a few steps after training starts.'));
}

export function showTimingsUnavailable(reason: string): void {
  byId('timings-body').replaceChildren(el('p', { className: 'warning small', id: 'timings-unavailable' }, `${reason} Per-kernel times need an adapter with timestamp-query (most GPUs in Chrome 121 or later).`));
}

export function showCheckpoint(c: CheckpointSummary | undefined): void {
  byId('checkpoint-text').textContent = c
    ? `Last checkpoint: step ${c.step.toLocaleString('en-US')} of ${c.totalSteps.toLocaleString('en-US')} (layers ${layersText(c.hyper)}, batch ${c.hyper.batch}), saved ${new Date(c.savedAt).toLocaleTimeString()} in this browser.`
    : 'No checkpoint saved in this browser yet. Training saves one every 20 s, and when paused or finished.';
}
