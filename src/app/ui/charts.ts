// Learning curves with uPlot: minibatch loss, and minibatch and validation accuracy, by step. Redrawn at
// most every 150 ms, however fast the stats arrive.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { History } from '../protocol.ts';
import { byId } from './dom.ts';

export interface Charts {
  set(history: History): void;
  /** 'bits': losses drawn in bits per character (a text run); 'nats': as the loss is (cross-entropy). */
  setUnit(unit: 'bits' | 'nats'): void;
  addTrain(point: History['train'][number]): void;
  addValidation(point: History['validation'][number]): void;
  readonly history: History;
}

const redrawMs = 150;

/** Whole steps only on the x axis. */
const stepIncrements = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].map((p) => m * p)).sort((a, b) => a - b);

function axisOptions(label: string): uPlot.Axis[] {
  return [{ label: 'step', size: 40, incrs: stepIncrements }, { label, size: 56 }];
}

export function createCharts(): Charts {
  let history: History = { train: [], validation: [] };
  const lossHost = byId('chart-loss');
  const accHost = byId('chart-accuracy');
  const width = (): number => Math.max(300, lossHost.clientWidth);
  let unit: 'bits' | 'nats' = 'nats';
  const titles = { nats: 'Loss (cross-entropy)', bits: 'Loss (bits per character)' };
  const loss = new uPlot({
    title: titles.nats, width: width(), height: 220,
    scales: { x: { time: false } },
    series: [
      { label: 'step' },
      { label: 'minibatch', stroke: '#d64545', width: 1.5, spanGaps: true, points: { show: false } },
      { label: 'validation', stroke: '#1c7c32', width: 2, spanGaps: true, points: { show: true, size: 6 } },
    ],
    axes: axisOptions('loss'),
  }, [[], [], []], lossHost);
  const accuracy = new uPlot({
    title: 'Accuracy', width: width(), height: 220,
    scales: { x: { time: false }, y: { range: [0, 1] } },
    series: [
      { label: 'step' },
      { label: 'minibatch', stroke: '#7aa5ec', width: 1.5, spanGaps: true, points: { show: false }, value: (_u, v) => (v == null ? '–' : `${(100 * v).toFixed(1)}%`) },
      { label: 'validation', stroke: '#1c7c32', width: 2, spanGaps: true, points: { show: true, size: 6 }, value: (_u, v) => (v == null ? '–' : `${(100 * v).toFixed(2)}%`) },
    ],
    axes: axisOptions('accuracy'),
  }, [[], [], []], accHost);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const redraw = (): void => {
    timer = undefined;
    // Aligned data: one x for both series, null where a series has no value at that step.
    const steps = [...new Set([...history.train.map((p) => p.step), ...history.validation.map((p) => p.step)])].sort((a, b) => a - b);
    const scale = unit === 'bits' ? 1 / Math.LN2 : 1;
    const trainLoss = new Map(history.train.map((p) => [p.step, p.loss * scale]));
    const validationLoss = new Map(history.validation.map((p) => [p.step, p.loss * scale]));
    loss.setData([steps, steps.map((s) => trainLoss.get(s) ?? null), steps.map((s) => validationLoss.get(s) ?? null)]);
    const train = new Map(history.train.map((p) => [p.step, p.accuracy]));
    const validation = new Map(history.validation.map((p) => [p.step, p.accuracy]));
    accuracy.setData([steps, steps.map((s) => train.get(s) ?? null), steps.map((s) => validation.get(s) ?? null)]);
  };
  const schedule = (): void => {
    timer ??= setTimeout(redraw, redrawMs);
  };
  new ResizeObserver(() => {
    loss.setSize({ width: width(), height: 220 });
    accuracy.setSize({ width: width(), height: 220 });
  }).observe(lossHost);

  return {
    get history() { return history; },
    setUnit(u) {
      if (u === unit) return;
      unit = u;
      const title = lossHost.querySelector('.u-title');
      if (title) title.textContent = titles[u];
      schedule();
    },
    set(h) {
      history = { train: [...h.train], validation: [...h.validation] };
      schedule();
    },
    addTrain(p) {
      history.train.push(p);
      schedule();
    },
    addValidation(p) {
      history.validation.push(p);
      schedule();
    },
  };
}
