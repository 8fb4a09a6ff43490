// GPU memory stays flat: the engine counts every buffer it makes; hundreds of steps allocate nothing,
// and creating and destroying trainers returns to where it started.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, oddBatch, oddModel, syntheticImages } from './harness.ts';

test('300 training steps allocate no GPU memory, and five trainer lifetimes leave none behind', { timeout: 120_000 }, async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const sets = { train: syntheticImages(40, oddModel, 1), test: syntheticImages(9, oddModel, 2) };
  const baseline = { ...ctx.memory };
  for (let cycle = 0; cycle < 5; cycle++) {
    const trainer = await createTrainer(ctx, { model: oddModel, batch: oddBatch, adam: defaultAdam, seed: cycle }, sets);
    await trainer.trainStep({ stats: true });
    await trainer.evaluate('test');
    await trainer.saveState();
    const settled: { buffers: number; bytes: number } = { buffers: ctx.memory.liveBuffers, bytes: ctx.memory.liveBytes };
    assert.ok(settled.bytes > baseline.liveBytes, 'the trainer holds GPU memory');
    const steps = cycle === 0 ? 300 : 20;
    for (let s = 0; s < steps; s++) await trainer.trainStep({ stats: s % 10 === 0 });
    await trainer.evaluate('test');
    await trainer.saveState();
    assert.deepEqual({ buffers: ctx.memory.liveBuffers, bytes: ctx.memory.liveBytes }, settled, `cycle ${cycle}: nothing grew over ${steps} steps`);
    trainer.destroy();
    assert.deepEqual({ buffers: ctx.memory.liveBuffers, bytes: ctx.memory.liveBytes }, { buffers: baseline.liveBuffers, bytes: baseline.liveBytes }, `cycle ${cycle}: destroy frees everything`);
  }
  t.diagnostic(`peak ${ctx.memory.peakBytes} bytes`);
});
