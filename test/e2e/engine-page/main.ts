// The training engine in the browser: the same trainer as in Node, on navigator.gpu, checked against the
// float64 oracle step by step. The Playwright test reads window.engineCheck.
import { createBrowserGpu } from '../../../src/gpu/browser-gpu.ts';
import { adamInit, adamStep } from '../../../src/reference/adam.ts';
import { backward, forward, toFloat64 } from '../../../src/reference/lstm.ts';
import { initParams } from '../../../src/train/init.ts';
import { createTrainer, defaultAdam } from '../../../src/train/trainer.ts';
import { oddBatch, oddModel, oracleBatch, syntheticImages } from '../../support/synthetic.ts';

declare global {
  interface Window {
    engineCheck?: {
      adapter: unknown; gpuLosses: number[]; oracleLosses: number[]; dispatchesPerStep: number; scheduler: string; planDispatches: number;
    } | { error: string };
  }
}

async function main(): Promise<void> {
  const ctx = await createBrowserGpu();
  const set = syntheticImages(12, oddModel, 5);
  const p0 = initParams(oddModel, 7);
  const trainer = await createTrainer(ctx, { model: oddModel, batch: oddBatch, adam: defaultAdam, seed: 1 }, { train: set }, p0);
  const p = toFloat64(p0);
  const adam = adamInit(oddModel);
  const gpuLosses: number[] = [];
  const oracleLosses: number[] = [];
  for (let s = 0; s < 4; s++) {
    const indices = new Uint32Array([(3 * s) % 12, (3 * s + 5) % 12, (3 * s + 10) % 12]);
    const stats = await trainer.trainStep({ indices, stats: true });
    gpuLosses.push(stats!.loss);
    const { x, labels } = oracleBatch(set, indices);
    const f = forward(oddModel, p, x, labels, oddBatch);
    oracleLosses.push(f.loss);
    adamStep(p, backward(oddModel, p, x, labels, oddBatch, f).grads, adam, defaultAdam);
  }
  // The plan's count: one dispatch per bind group it made for a training step (the train set's gather,
  // every group of every layer (one per timestep or one per sequence for the cell kernels) and plan.groups).
  const { plan } = trainer;
  const count = (groups: object): number => Object.values(groups).reduce((n: number, g) => n + (g === undefined ? 0 : Array.isArray(g) ? g.length : 1), 0);
  const planDispatches = 1 + count(plan.groups) + plan.layers.reduce((n, layer) => n + count(layer.groups), 0);
  window.engineCheck = { adapter: ctx.adapter, gpuLosses, oracleLosses, dispatchesPerStep: trainer.dispatchesPerStep, scheduler: plan.scheduler, planDispatches };
  trainer.destroy();
  ctx.destroy();
}

main().catch((e: Error) => {
  window.engineCheck = { error: e.message };
});
