// Encode every step: the dispatches of a training step (or an inference pass) over a plan, in order.
// One dispatch per kernel, and with the 'timestep' scheduler one per timestep forward and backward: 2T + 7
// dispatches per training step ('sequence': 9), in five phases that the profiler (timing.ts) can also time
// one pass each.
import { dispatch } from '../gpu/kernel.ts';
import type { Plan } from './plan.ts';

/** Counts what a step encodes; the benchmark reports it. */
export interface EncodeCounts {
  dispatches: number;
}

export const phases = ['forward', 'loss', 'backward', 'weightGradients', 'optimizer'] as const;
export type Phase = (typeof phases)[number];

/** Encodes one phase of a training step; `dataset` names the plan's dataset the batch is gathered from. */
export function encodePhase(plan: Plan, phase: Phase, pass: GPUComputePassEncoder, dataset: string, counts: EncodeCounts): void {
  const { kernels: k, groups: g, dims: d } = plan;
  const run = (kernel: Parameters<typeof dispatch>[1], group: GPUBindGroup): void => {
    dispatch(pass, kernel, group, d);
    counts.dispatches += 1;
  };
  switch (phase) {
    case 'forward': {
      const data = plan.datasets[dataset];
      if (!data) throw new Error(`no dataset named ${dataset} in this plan (have: ${Object.keys(plan.datasets).join(', ')})`);
      run(k.gatherBatch, data.gather);
      run(k.inputProjection, g.inputProjection);
      for (const group of g.lstmCellForward) run(k.lstmCellForward, group);
      return;
    }
    case 'loss':
      run(k.softmaxCrossEntropy, g.softmaxCrossEntropy);
      return;
    case 'backward':
      run(k.outputWeightGrad, g.outputWeightGrad);
      for (const group of g.lstmCellBackward) run(k.lstmCellBackward, group);
      return;
    case 'weightGradients':
      run(k.lstmWeightGrad, g.lstmWeightGrad);
      return;
    case 'optimizer':
      // The gradients' global norm (for clipping and the non-finite guard), then Adam.
      run(k.gradNorm, g.gradNorm);
      run(k.adam, g.adam);
      return;
  }
}

/** Forward pass and loss over the batch in batchIndex of a dataset (inference and evaluation). */
export function encodeForward(plan: Plan, pass: GPUComputePassEncoder, dataset: string, counts: EncodeCounts): void {
  encodePhase(plan, 'forward', pass, dataset, counts);
  encodePhase(plan, 'loss', pass, dataset, counts);
}

/** One whole training step on the batch already written to batchIndex, Adam's uniform written too. */
export function encodeTrainStep(plan: Plan, encoder: GPUCommandEncoder, dataset: string, counts: EncodeCounts): void {
  const pass = encoder.beginComputePass({ label: 'train step' });
  for (const phase of phases) encodePhase(plan, phase, pass, dataset, counts);
  pass.end();
}
