// The page: checks for WebGPU, starts the training worker, and wires the form, the buttons, the charts,
// the drawing and the checkpoint offer to it. Everything GPU happens in the worker (worker/train-worker.ts).
import { type ExportFormat, exportFormats } from '../io/export-formats.ts';
import { loadCheckpoint } from './checkpoint-store.ts';
import { mnistPath } from './mnist-assets.ts';
import type { CheckpointSummary, FromWorker, History, RunState, ToWorker, TuningStatus } from './protocol.ts';
import { layersText } from './hyperparams.ts';
import './style.css';
import { showBanner, showNoWebGpu } from './ui/banners.ts';
import { createCharts } from './ui/charts.ts';
import { createControls } from './ui/controls.ts';
import { createDrawPad } from './ui/draw-pad.ts';
import { byId, percent } from './ui/dom.ts';
import { createHyperForm } from './ui/hyper-form.ts';
import { clearPrediction, showInput, showPrediction, showPredictionMessage } from './ui/prediction-view.ts';
import {
  clearStats, clearTimings, showAdapter, showCheckpoint, showProgress, showState, showStats, showTimings, showTimingsUnavailable, showTuning,
} from './ui/views.ts';

declare global {
  interface Window {
    /** For the console and the end-to-end tests: the run as the page knows it. */
    lstmApp?: {
      state: RunState;
      history: () => History;
      checkpoint?: CheckpointSummary;
      lastPrediction?: { probabilities: number[]; hidden: number[]; steps: number; units: number };
      /** A text run's samples as the page showed them, oldest first. */
      samples: { step: number; text: string }[];
      /** Every workgroup-size status the worker reported, oldest first. */
      tuning: TuningStatus[];
      simulateDeviceLoss: () => void;
    };
  }
}

function main(): void {
  if (!('gpu' in navigator) || !navigator.gpu) {
    showNoWebGpu('This browser does not offer WebGPU (navigator.gpu is missing), which the page needs to train the network on your GPU.');
    return;
  }
  const worker = new Worker(new URL('./worker/train-worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
  const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
  const form = createHyperForm();
  const charts = createCharts();
  const app: NonNullable<Window['lstmApp']> = {
    state: 'loading', history: () => charts.history, tuning: [], samples: [], simulateDeviceLoss: () => send({ type: 'simulate-device-loss' }),
  };
  window.lstmApp = app;
  let hasModel = false;
  /** The task of the run the worker holds (the form's until one opens): text shows losses in bits per character. */
  let runTask: 'digits' | 'text' = 'digits';
  const isText = (): boolean => runTask === 'text';
  /** The chosen text file's bytes for the worker (the default corpus: none). */
  const withText = async (hyper: { task?: string }): Promise<{ name: string; bytes: ArrayBuffer } | undefined> => {
    const file = hyper.task === 'text' ? form.textFile() : undefined;
    return file ? { name: file.name, bytes: await file.arrayBuffer() } : undefined;
  };
  const temperature = byId<HTMLInputElement>('f-temperature');
  const prime = byId<HTMLInputElement>('f-prime');
  const sampleButton = byId<HTMLButtonElement>('btn-sample');
  const sampleSettings = () => ({ temperature: Number(temperature.value), prime: prime.value });
  const settingsChanged = (): void => {
    byId('temperature-value').textContent = Number(temperature.value).toFixed(1);
    send({ type: 'sample-settings', settings: sampleSettings() });
  };
  temperature.addEventListener('input', settingsChanged);
  prime.addEventListener('change', settingsChanged);
  sampleButton.addEventListener('click', () => send({ type: 'sample', settings: sampleSettings() }));

  const controls = createControls({
    start: () => {
      const hyper = form.read();
      if (!hyper) return;
      withText(hyper).then(
        (text) => send({ type: 'start', hyper, autotune: form.autotune(), ...(text ? { text } : {}) }, text ? [text.bytes] : []),
        (e: Error) => showBanner('error', 'input', `Cannot read the text file: ${e.message}`),
      );
    },
    pause: () => send({ type: 'pause' }),
    resume: () => send({ type: 'resume' }),
    reset: () => send({ type: 'reset' }),
    download: () => {
      const format = byId<HTMLSelectElement>('download-format').value;
      send({ type: 'download', format: exportFormats.includes(format as ExportFormat) ? (format as ExportFormat) : 'webgpu-lstm' });
    },
    downloadCheckpoint: () => send({ type: 'download-checkpoint' }),
    load: (file) => {
      const hyper = form.read();
      if (!hyper) {
        showBanner('error', 'input', 'Fix the marked hyperparameters first: they give the batch size and learning rate a loaded model trains with when its file does not say.');
        return;
      }
      Promise.all([file.arrayBuffer(), withText({ task: 'text' })]).then(
        ([bytes, text]) => send({ type: 'load-file', name: file.name, bytes, hyper, ...(text ? { text } : {}) }, text ? [bytes, text.bytes] : [bytes]),
        (e: Error) => showBanner('error', 'input', `Cannot read ${file.name}: ${e.message}`),
      );
    },
  });
  const refresh = (): void => {
    controls.setState(app.state, hasModel, form.valid());
    form.setEnabled(app.state === 'idle' || app.state === 'loading');
    sampleButton.disabled = !(hasModel && isText() && app.state !== 'failed');
  };
  form.onChange(refresh);
  refresh();

  const pad = createDrawPad(byId<HTMLCanvasElement>('draw-canvas'), (pixels) => {
    showInput(pixels);
    send({ type: 'predict', pixels });
  }, clearPrediction);
  byId('btn-clear').addEventListener('click', () => pad.clear());

  const offerCheckpoint = (c: CheckpointSummary): void => {
    showBanner('info', 'resume', `A checkpoint of an earlier run is saved in this browser: step ${c.step.toLocaleString('en-US')} of ${c.totalSteps.toLocaleString('en-US')} ` +
      `(layers ${layersText(c.hyper)}, batch ${c.hyper.batch}), saved ${new Date(c.savedAt).toLocaleString()}.`,
    { label: c.step < c.totalSteps ? 'Resume training' : 'Restore this model', run: () => send({ type: 'resume-checkpoint' }) });
  };
  loadCheckpoint().then((c) => {
    if (!c) return;
    app.checkpoint = c;
    showCheckpoint(c);
    if (app.state === 'loading' || app.state === 'idle') offerCheckpoint(c);
  }, (e: Error) => console.warn(`No checkpoint could be read: ${e.message}`));

  const onMessage = (m: FromWorker): void => {
    switch (m.type) {
      case 'adapter':
        showAdapter(m.adapter, m.timestampQuery);
        byId('data-text').textContent = 'downloading…';
        return;
      case 'data-progress': {
        const bar = byId<HTMLProgressElement>('data-progress');
        bar.value = m.total > 0 ? m.loaded / m.total : 0;
        byId('data-text').textContent = `${(m.loaded / 2 ** 20).toFixed(1)} of ${(m.total / 2 ** 20).toFixed(1)} MB`;
        return;
      }
      case 'data-ready':
        byId<HTMLProgressElement>('data-progress').value = 1;
        byId('data-text').textContent = `${m.train.toLocaleString('en-US')} training, ${m.validation.toLocaleString('en-US')} validation, ${m.test.toLocaleString('en-US')} test images`;
        return;
      case 'state':
        app.state = m.state;
        hasModel = m.state !== 'idle' && m.state !== 'loading' && m.state !== 'tuning';
        showState(m.state);
        if (m.hyper) {
          form.write(m.hyper);
          runTask = m.hyper.task === 'text' ? 'text' : 'digits';
          charts.setUnit(isText() ? 'bits' : 'nats');
        }
        if (m.progress) showProgress(m.progress);
        if (m.state === 'running') byId('banners').querySelector('[data-banner="resume"]')?.remove();
        if (m.state === 'idle') {
          clearStats();
          clearTimings();
          clearPrediction();
        }
        refresh();
        return;
      case 'progress':
        showProgress(m.progress);
        return;
      case 'tuning':
        app.tuning.push(m.status);
        showTuning(m.status);
        return;
      case 'stats':
        showStats(m.loss, m.accuracy, m.gradNorm, isText());
        charts.addTrain({ step: m.step, loss: m.loss, accuracy: m.accuracy });
        return;
      case 'validation':
        byId('s-validation').textContent = isText() ? `${(m.loss / Math.LN2).toFixed(3)} bits/char` : percent(m.accuracy, 2);
        charts.addValidation({ step: m.step, loss: m.loss, accuracy: m.accuracy });
        return;
      case 'text-ready':
        byId('text-source').textContent = `${m.name}: ${m.characters.toLocaleString('en-US')} characters in windows, ${m.symbols} distinct; ` +
          `${m.train.toLocaleString('en-US')} training and ${m.validation.toLocaleString('en-US')} validation windows`;
        return;
      case 'sample': {
        app.samples.push({ step: m.step, text: m.text });
        const shown = byId('sample-text');
        shown.textContent = m.text;
        shown.classList.remove('muted');
        byId('sample-step').textContent = `At step ${m.step.toLocaleString('en-US')}, temperature ${m.settings.temperature.toFixed(1)}, prime ${JSON.stringify(m.settings.prime)}.`;
        byId('sample-error').hidden = true;
        return;
      }
      case 'sample-error': {
        const error = byId('sample-error');
        error.textContent = m.message;
        error.hidden = false;
        return;
      }
      case 'test':
        byId('s-test').textContent = `${percent(m.accuracy, 2)} of ${m.count.toLocaleString('en-US')}`;
        return;
      case 'history': {
        charts.set(m.history);
        const t = m.history.train.at(-1);
        const v = m.history.validation.at(-1);
        if (t) showStats(t.loss, t.accuracy, undefined, isText());
        byId('s-validation').textContent = v ? (isText() ? `${(v.loss / Math.LN2).toFixed(3)} bits/char` : percent(v.accuracy, 2)) : '–';
        return;
      }
      case 'timings':
        showTimings(m.step, m.times);
        return;
      case 'timings-unavailable':
        showTimingsUnavailable(m.reason);
        return;
      case 'prediction':
        app.lastPrediction = { probabilities: m.probabilities, hidden: Array.from(m.hidden), steps: m.steps, units: m.units };
        showPrediction(m.probabilities, m.hidden, m.steps, m.units);
        return;
      case 'checkpoint-saved':
        app.checkpoint = m.summary;
        showCheckpoint(m.summary);
        return;
      case 'model-file': {
        const url = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        const a = Object.assign(document.createElement('a'), { href: url, download: m.name });
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        return;
      }
      case 'no-prediction':
        showPredictionMessage(m.message);
        return;
      case 'notice':
        showBanner('info', 'notice', m.message);
        return;
      case 'memory': {
        const el = byId('s-memory');
        el.textContent = `${(m.liveBytes / 2 ** 20).toFixed(1)} MiB in ${m.liveBuffers} buffers`;
        el.dataset.bytes = String(m.liveBytes);
        el.dataset.buffers = String(m.liveBuffers);
        return;
      }
      case 'error':
        if (m.kind === 'no-webgpu') {
          worker.terminate();
          showNoWebGpu(m.message);
          return;
        }
        console.error(m.message);
        showBanner('error', m.kind, m.message, m.kind === 'training' && app.checkpoint
          ? { label: 'Resume from the last checkpoint', run: () => send({ type: 'resume-checkpoint' }) }
          : undefined);
        return;
    }
  };
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    showBanner('error', 'worker', `The training worker failed: ${e.message || 'it could not be started'}. Reload the page; the last checkpoint is kept in this browser.`);
  };
  send({ type: 'init', dataUrl: new URL(mnistPath, document.baseURI).href, baseUrl: document.baseURI });
}

try {
  main();
} catch (e) {
  showBanner('error', 'page', `The page could not start: ${(e as Error).message}`);
  console.error(e);
}
