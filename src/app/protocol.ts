// The messages between the page (main.ts) and the training worker (worker/train-worker.ts). The worker
// owns WebGPU, the data and the trainer; the page only draws what it is told.
import type { ExportFormat } from '../io/export-formats.ts';
import type { AdapterDescription } from '../gpu/device.ts';
import type { PhaseTimes } from '../train/timing.ts';
import type { Hyper } from './hyperparams.ts';

/** 'tuning': the autotuner runs before a new run's first step (reset stops it). */
export type RunState = 'loading' | 'idle' | 'tuning' | 'running' | 'paused' | 'done' | 'failed';

/** Chart history: training stats at some steps, validation accuracy at others. */
export interface History {
  train: { step: number; loss: number; accuracy: number }[];
  validation: { step: number; loss: number; accuracy: number }[];
}

export interface CheckpointSummary {
  step: number;
  totalSteps: number;
  savedAt: number;
  hyper: Hyper;
}

export type ToWorker =
  | { type: 'init'; dataUrl: string; /** the page's own URL: the default text is under corpus/ beside it */ baseUrl: string }
  /** autotune: tune the workgroup sizes first when this browser has none cached for this adapter and shape. */
  | { type: 'start'; hyper: Hyper; autotune: boolean; /** the text task's chosen file; absent: the default corpus */ text?: TextFile }
  /** Text: sample now with these settings (they also serve the samples at each validation). */
  | { type: 'sample'; settings: SampleSettings }
  /** Text: the settings of the samples at each validation. */
  | { type: 'sample-settings'; settings: SampleSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'predict'; pixels: Uint8Array }
  /** The model as a file of the format (our .safetensors, a PyTorch state_dict...: src/io/export-formats.ts). */
  | { type: 'download'; format: ExportFormat }
  /** The full training state as the CLI's checkpoint file (npm run train -- --resume FILE continues it). */
  | { type: 'download-checkpoint' }
  | { type: 'load-file'; name: string; bytes: ArrayBuffer; /** the form's values, for what the file does not say */ hyper: Hyper;
    /** A text model's text: the form's chosen file (absent: the default corpus). */ text?: TextFile }
  | { type: 'resume-checkpoint' }
  /** Destroys the GPU device as a driver reset would, to exercise the failure path (tests, the console). */
  | { type: 'simulate-device-loss' };

/** A text file the page sends the worker. */
export interface TextFile {
  name: string;
  bytes: ArrayBuffer;
}

/** How the page's samples are drawn: the temperature slider and the prime field. */
export interface SampleSettings {
  temperature: number;
  prime: string;
}

export interface Progress {
  step: number;
  totalSteps: number;
  epoch: number;
  /** Time spent training (paused time, validation and checkpoints excluded). */
  trainMs: number;
  msPerStep: number;
  samplesPerSec: number;
}

/**
 * The workgroup sizes of the run being opened: 'tuning' while the autotuner runs; 'tuned' when it just
 * chose (and cached) them; 'cached' from this browser's cache; 'defaults' with autotune off (or for a
 * loaded file on a shape not tuned yet); 'failed' when tuning failed (the defaults are used).
 */
export interface TuningStatus {
  source: 'tuning' | 'tuned' | 'cached' | 'defaults' | 'failed';
  text: string;
}

export type FromWorker =
  | { type: 'adapter'; adapter: AdapterDescription; timestampQuery: boolean }
  | { type: 'data-progress'; loaded: number; total: number }
  | { type: 'data-ready'; train: number; validation: number; test: number }
  /** A text run's data: its name, characters, distinct characters and windows. */
  | { type: 'text-ready'; name: string; characters: number; symbols: number; train: number; validation: number }
  /** A text run's sample (prime included) of its weights at `step`; or why it could not be drawn. */
  | { type: 'sample'; step: number; text: string; settings: SampleSettings }
  | { type: 'sample-error'; message: string }
  | { type: 'state'; state: RunState; hyper?: Hyper; progress?: Progress; source?: string }
  | { type: 'progress'; progress: Progress }
  | { type: 'tuning'; status: TuningStatus }
  | { type: 'stats'; step: number; loss: number; accuracy: number; /** global gradient norm, before clipping */ gradNorm: number }
  | { type: 'validation'; step: number; loss: number; accuracy: number }
  | { type: 'test'; step: number; accuracy: number; count: number }
  | { type: 'timings'; step: number; times: PhaseTimes }
  | { type: 'timings-unavailable'; reason: string }
  | { type: 'prediction'; probabilities: number[]; hidden: Float32Array; steps: number; units: number }
  | { type: 'checkpoint-saved'; summary: CheckpointSummary }
  | { type: 'history'; history: History }
  | { type: 'model-file'; name: string; bytes: Uint8Array }
  | { type: 'no-prediction'; message: string }
  | { type: 'notice'; message: string }
  /** GPU memory the engine holds now (GpuContext.memory): flat over a run, back to its baseline on reset. */
  | { type: 'memory'; liveBuffers: number; liveBytes: number; peakBytes: number }
  /** kind 'no-webgpu': the page shows what is needed instead of the trainer. */
  | { type: 'error'; kind: 'no-webgpu' | 'training' | 'input'; message: string };
