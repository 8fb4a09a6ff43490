// webgpu-lstm as a library in Node: everything src/index.ts exports but browserGpu, and nodeGpu().
export {
  type Data, type EpochLog, type Evaluation, type FitOptions, type LstmModel, type LstmTrainer, type StepLog, type TrainOptions,
  createTrainer, loadTrainer, lstmClassifier, resumeTrainer,
} from './api/classifier.ts';
export type { GpuContext } from './gpu/device.ts';
export { UserError } from './user-error.ts';
export { TrainingDiverged } from './train/trainer.ts';
import type { GpuContext } from './gpu/device.ts';
import { createNodeGpu } from './gpu/node-gpu.ts';

/** A GPU in Node through Dawn (the `webgpu` package): the first hardware adapter, else a software one
 *  (lavapipe, set up by `npm run setup`); `adapter` picks one by name. Call destroy() when done. */
export const nodeGpu = (opts: { adapter?: string } = {}): Promise<GpuContext> => createNodeGpu({ ...opts, log: () => {} });
