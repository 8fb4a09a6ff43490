// Encode every step: the dispatches of a training step (or an inference pass) over a plan, in order.
// One dispatch per kernel and layer, and with the 'timestep' scheduler one per timestep and layer forward
// and backward: for L layers 5L + 4 dispatches per training step under 'sequence' (9 for one layer),
// L(2T + 3) + 4 under 'timestep', in five phases that the profiler (timing.ts) can also time one pass each.
// A model that reads tokens adds one (embedding_grad: its W_x rows), a stateful plan L (carry_state).
import { type Kernel, dispatch } from '../gpu/kernel.ts';
import type { Dims } from '../kernels/dims.ts';
import type { Plan } from './plan.ts';

/** Counts what a step encodes; the benchmark reports it. */
export interface EncodeCounts {
  dispatches: number;
}

export const phases = ['forward', 'loss', 'backward', 'weightGradients', 'optimizer'] as const;
export type Phase = (typeof phases)[number];

/** Encodes one phase of a training step; `dataset` names the plan's dataset the batch is gathered from. */
export function encodePhase(plan: Plan, phase: Phase, pass: GPUComputePassEncoder, dataset: string, counts: EncodeCounts): void {
  const { kernels: k, groups: g, layers } = plan;
  const run = (kernel: Kernel<any>, group: GPUBindGroup, dims: Dims = plan.dims): void => {
    dispatch(pass, kernel, group, dims);
    counts.dispatches += 1;
  };
  switch (phase) {
    case 'forward': {
      const data = plan.datasets[dataset];
      if (!data) throw new Error(`no dataset named ${dataset} in this plan (have: ${Object.keys(plan.datasets).join(', ')})`);
      run(data.gatherKernel, data.gather, layers[0].dims);
      // Bottom-up: each layer's forward cells also write its h into the x columns of the layer above.
      for (const layer of layers) {
        run(layer.projection, layer.groups.inputProjection, layer.dims);
        for (const group of layer.groups.cellForward) run(k.lstmCellForward, group, layer.dims);
      }
      return;
    }
    case 'loss':
      run(k.softmaxCrossEntropy, g.softmaxCrossEntropy);
      return;
    case 'backward':
      run(k.outputWeightGrad, g.outputWeightGrad);
      // Top-down: a layer above the first passes dh to the one below through its input gradient.
      for (const layer of [...layers].reverse()) {
        for (const group of layer.groups.cellBackward) run(k.lstmCellBackward, group, layer.dims);
        if (layer.groups.inputGrad && k.lstmInputGrad) run(k.lstmInputGrad, layer.groups.inputGrad, layer.dims);
      }
      return;
    case 'weightGradients':
      for (const layer of layers) {
        run(k.lstmWeightGrad, layer.groups.weightGrad, layer.dims);
        if (layer.groups.embeddingGrad && k.embeddingGrad) run(k.embeddingGrad, layer.groups.embeddingGrad, layer.dims);
      }
      // Every kernel that reads h_0 and c_0 has run: a stateful plan moves h_T, c_T there for the next window.
      for (const layer of layers) if (layer.groups.carry && k.carryState) run(k.carryState, layer.groups.carry, layer.dims);
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
