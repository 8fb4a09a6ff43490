// webgpu-lstm as a library, browser-safe: describe a stack of LSTM layers, train it on your sequences,
// evaluate, predict, save and resume (src/api/classifier.ts). In Node import 'webgpu-lstm/node', which adds
// nodeGpu(); in a page, browserGpu() gets the GPU.
export {
  type Data, type EpochLog, type Evaluation, type FitOptions, type LstmModel, type LstmTrainer, type StepLog, type TrainOptions,
  createTrainer, loadTrainer, lstmClassifier, resumeTrainer,
} from './api/classifier.ts';
export type { GpuContext } from './gpu/device.ts';
export { type ExportFormat, exportFormats } from './io/export-formats.ts';
export { UserError } from './user-error.ts';
export { TrainingDiverged } from './train/trainer.ts';
import { createBrowserGpu } from './gpu/browser-gpu.ts';
import type { GpuContext } from './gpu/device.ts';

/** The page's GPU (navigator.gpu); a UserError when the browser has no WebGPU. */
export const browserGpu = (): Promise<GpuContext> => createBrowserGpu();
