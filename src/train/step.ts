// Encode every step: the dispatches of a training step (or an inference pass) over a plan, in order,
// into one compute pass. One dispatch per kernel, and one per timestep forward and backward:
// 2T + 6 dispatches per training step.
import { dispatch } from '../gpu/kernel.ts';
import type { Plan } from './plan.ts';

/** Counts what a step encodes; the benchmark reports it. */
export interface EncodeCounts {
  dispatches: number;
}

/** Forward pass over the batch in batchIndex of a dataset: gather, input projection, T cells, loss. */
export function encodeForward(plan: Plan, pass: GPUComputePassEncoder, dataset: string, counts: EncodeCounts): void {
  const { kernels: k, groups: g, dims: d } = plan;
  const data = plan.datasets[dataset];
  if (!data) throw new Error(`no dataset named ${dataset} in this plan (have: ${Object.keys(plan.datasets).join(', ')})`);
  dispatch(pass, k.gatherBatch, data.gather, d);
  dispatch(pass, k.inputProjection, g.inputProjection, d);
  for (let t = 0; t < d.steps; t++) dispatch(pass, k.lstmCellForward, g.lstmCellForward[t], d);
  dispatch(pass, k.softmaxCrossEntropy, g.softmaxCrossEntropy, d);
  counts.dispatches += d.steps + 3;
}

/** Backward pass and weight gradients (after encodeForward): output layer, T cells in reverse, LSTM weights. */
export function encodeBackward(plan: Plan, pass: GPUComputePassEncoder, counts: EncodeCounts): void {
  const { kernels: k, groups: g, dims: d } = plan;
  dispatch(pass, k.outputWeightGrad, g.outputWeightGrad, d);
  for (let t = d.steps - 1; t >= 0; t--) dispatch(pass, k.lstmCellBackward, g.lstmCellBackward[t], d);
  dispatch(pass, k.lstmWeightGrad, g.lstmWeightGrad, d);
  counts.dispatches += d.steps + 2;
}

export function encodeAdam(plan: Plan, pass: GPUComputePassEncoder, counts: EncodeCounts): void {
  dispatch(pass, plan.kernels.adam, plan.groups.adam, plan.dims);
  counts.dispatches += 1;
}

/** One whole training step on the batch already written to batchIndex, Adam's step counter written too. */
export function encodeTrainStep(plan: Plan, encoder: GPUCommandEncoder, dataset: string, counts: EncodeCounts): void {
  const pass = encoder.beginComputePass({ label: 'train step' });
  encodeForward(plan, pass, dataset, counts);
  encodeBackward(plan, pass, counts);
  encodeAdam(plan, pass, counts);
  pass.end();
}
