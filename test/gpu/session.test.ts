// A training session that survives: device loss (simulated with device.destroy()) is recovered from the
// last checkpoint on a new device, a bounded number of times, with the same losses and weights as an
// undisturbed run; training that goes non-finite stops at that step and never overwrites the last good
// checkpoint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GpuFailure } from '../../src/gpu/device.ts';
import { createNodeGpu } from '../../src/gpu/node-gpu.ts';
import type { TrainingState } from '../../src/io/checkpoint.ts';
import type { Tensors } from '../../src/train/model.ts';
import { type SessionConfig, type SessionHooks, maxRecoveries, runSession } from '../../src/train/session.ts';
import { TrainingDiverged, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, oddBatch, oddModel, syntheticImages } from './harness.ts';

const config = (totalSteps: number): SessionConfig => ({
  model: oddModel,
  adam: defaultAdam,
  options: { batch: oddBatch, lr: 0.01, seed: 3, clipNorm: 0 },
  totalSteps,
  logEvery: 1,
  checkpoint: { everySteps: 2 },
  datasets: { train: syntheticImages(7, oddModel, 11) },
});

/** Hooks keeping checkpoints in memory and recording every logged loss by step. */
function recorder(extra: Partial<SessionHooks> = {}) {
  const losses = new Map<number, number>();
  const saved: TrainingState[] = [];
  const lines: string[] = [];
  const hooks: SessionHooks = {
    createGpu: () => createNodeGpu({ log: () => undefined }),
    saveCheckpoint: async (s) => { saved.push(structuredClone(s)); },
    loadCheckpoint: async () => saved.at(-1),
    onStats: (s) => losses.set(s.step, s.loss),
    say: (l) => lines.push(l),
    ...extra,
  };
  return { hooks, losses, saved, lines };
}

async function finish(run: Awaited<ReturnType<typeof runSession>>): Promise<Tensors> {
  const params = await run.trainer.readParams();
  run.trainer.destroy();
  run.ctx.destroy();
  return params;
}

test('a lost device is replaced and training resumes from the last checkpoint with identical losses and weights', async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const calm = recorder();
  const calmParams = await finish(await runSession(config(8), calm.hooks));

  let lost = false;
  const stormy = recorder({
    afterStep: (step, ctx) => {
      if (step === 5 && !lost) {
        lost = true;
        ctx.device.destroy(); // not ctx.destroy(): to the engine this is a lost device
      }
    },
  });
  const run = await runSession(config(8), stormy.hooks);
  assert.equal(run.recoveries, 1, 'one recovery');
  assert.equal(run.trainer.step, 8, 'reached the last step');
  const params = await finish(run);
  assert.match(stormy.lines.join('\n'), /GPU device lost[\s\S]*Recovering \(1 of at most 3\)[\s\S]*checkpoint of step 4/);
  for (let s = 1; s <= 8; s++) assert.equal(stormy.losses.get(s), calm.losses.get(s), `step ${s}: same loss after recovery`);
  for (const name of Object.keys(calmParams) as (keyof Tensors)[]) assert.deepEqual(params[name], calmParams[name], `final ${name} identical`);
});

test(`recovery is bounded: a device lost every time gives up after ${maxRecoveries} recoveries`, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const doomed = recorder({ afterStep: (_step, ctx) => ctx.device.destroy() });
  await assert.rejects(runSession(config(8), doomed.hooks), (e: Error) => {
    assert.ok(e instanceof GpuFailure, `a GpuFailure, got ${e.name}`);
    assert.match(e.message, new RegExp(`Gave up after ${maxRecoveries} recoveries`));
    return true;
  });
  assert.equal(doomed.lines.length, maxRecoveries, 'each recovery said so');
});

test('non-finite training stops at that step, keeps the last good weights, and never overwrites the last good checkpoint', async (t) => {
  if (!(await gpuOrSkip(t))) return;
  let before: Tensors | undefined;
  let poisoned: import('../../src/train/trainer.ts').Trainer | undefined;
  const run = recorder({
    afterStep: async (step, ctx, trainer) => {
      if (step === 3) {
        // Poison one weight after step 3: step 4's loss and gradients are NaN.
        before = await trainer.readParams();
        before['lstm_0/kernel'][0] = Number.NaN;
        ctx.device.queue.writeBuffer(trainer.plan.buffers.params, 0, new Float32Array([Number.NaN]));
        poisoned = trainer;
      }
    },
  });
  await assert.rejects(runSession(config(8), run.hooks), (e: Error) => {
    assert.ok(e instanceof TrainingDiverged, `TrainingDiverged, got ${e.name}: ${e.message}`);
    assert.equal((e as TrainingDiverged).step, 4, 'names step 4');
    assert.match(e.message, /NaN or infinite at step 4.*weights are those after step 3/s);
    return true;
  });
  assert.deepEqual(run.saved.map((s) => s.step), [2], 'only the step-2 checkpoint was written; the one at step 4 was refused');
  assert.ok(before && poisoned, 'weights read');
  const stuck = await poisoned!.readParams(); // the session stopped at step 4; its device is still up
  for (const name of Object.keys(before!) as (keyof Tensors)[]) {
    assert.deepEqual(stuck![name], before![name], `${name}: Adam skipped the non-finite step`);
  }
  assert.ok(!run.losses.has(4), 'step 4 was not reported as a normal step');
});

test('a seconds checkpoint policy saves once that many seconds passed since the last save, and at the end', async (t) => {
  if (!(await gpuOrSkip(t))) return;
  let clock = 0; // a fake clock: each step takes 7 s of it
  const run = recorder({ now: () => clock, afterStep: () => { clock += 7000; } });
  const result = await runSession({ ...config(8), checkpoint: { everySeconds: 20 } }, run.hooks);
  await finish(result);
  // 21 s after the start at step 3, 21 s after that at step 6; step 8 is the end.
  assert.deepEqual(run.saved.map((s) => s.step), [3, 6, 8], 'saved at steps 3 and 6, then at the end');

  clock = 0; // a run that starts from a checkpoint saved 10 s ago counts from it
  const resumed = recorder({ now: () => clock, afterStep: () => { clock += 7000; } });
  await finish(await runSession({ ...config(8), checkpoint: { everySeconds: 20 }, lastCheckpoint: { step: 0, at: -10_000 } }, resumed.hooks));
  assert.deepEqual(resumed.saved.map((s) => s.step), [2, 5, 8], 'at steps 2 and 5 (24 s and 21 s on), then the end');
});
