// Learning-rate schedules on the GPU: a few trainer steps under cosine with warmup against the float64
// oracle's Adam run at rates written out here; a constant schedule without warmup trains bit for bit as a
// trainer without one; and a cosine run stopped part-way and resumed from its checkpoint with `--resume`
// alone finishes with the same loss at every step and the same weights as a run never stopped (resuming
// with a contradicting --steps or --lr-schedule is refused, naming both values).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { adamInit, adamStep } from '../../src/reference/adam.ts';
import { backward, forward, toFloat64 } from '../../src/reference/lstm.ts';
import { oneLayerNames } from '../../src/train/model.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { stepLosses, trainCli } from '../support/train-cli.ts';
import { gpuOrSkip, oracleBatch, randomIndices, randomParams, shapes, syntheticImages, withErrorScopes } from './harness.ts';

test('cosine with 2 warmup steps over 6 steps: losses and params follow the oracle\'s Adam at those rates', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[0];
  const B = s.batch;
  const adam = { ...defaultAdam, lr: 0.01 };
  // lr * n/2 for the warmup, then lr * cos^2(pi * d / 8) for d = 0..3 steps into the cosine's 4.
  const rates = [0.5, 1, 1, Math.cos(Math.PI / 8) ** 2, 0.5, Math.cos((3 * Math.PI) / 8) ** 2].map((f) => adam.lr * f);
  const set = syntheticImages(4 * B + 1, s.model, 300);
  const p0 = randomParams(s.model, 301);
  const p64 = toFloat64(p0);
  const state = adamInit(s.model);
  const moved = toFloat64(p0);
  for (const name of oneLayerNames) moved[name].fill(0);
  let worstLoss = 0;
  await withErrorScopes(ctx.device, async () => {
    const tr = await createTrainer(ctx, { model: s.model, batch: B, adam, seed: 0, schedule: { kind: 'cosine', warmup: 2, steps: 6 } }, { train: set }, p0);
    try {
      for (const [k, rate] of rates.entries()) {
        const idx = randomIndices(set.count, B, 310 + k);
        const stats = await tr.trainStep({ indices: idx, stats: true });
        const { x, labels } = oracleBatch(set, idx);
        const f = forward(s.model, p64, x, labels, B);
        // As in train_step.test.ts: measured max 2.0e-6 relative at lr 0.01 (lavapipe).
        const rel = Math.abs(stats!.loss - f.loss) / f.loss;
        assert.ok(rel <= 1e-5, `step ${k + 1}: loss ${stats!.loss}, oracle ${f.loss}`);
        worstLoss = Math.max(worstLoss, rel);
        const before = toFloat64(p64);
        adamStep(p64, backward(s.model, p64, x, labels, B, f).grads, state, { ...adam, lr: rate });
        for (const name of oneLayerNames) for (let i = 0; i < p64[name].length; i++) moved[name][i] += Math.abs(p64[name][i] - before[name][i]);
      }
      const p = await tr.readParams();
      let worst = 0;
      for (const name of oneLayerNames) {
        for (let i = 0; i < p[name].length; i++) {
          // train_step.test.ts's bound: 2e-4 of the distance moved (measured there 2.2e-5). A rate off by
          // the schedule (the constant 0.01 at step 1, say) moves elements by 1e-3 more and fails it.
          const e = Math.abs(p[name][i] - p64[name][i]);
          const allowed = 1e-7 * Math.abs(p64[name][i]) + 2e-4 * moved[name][i];
          if (!(e <= allowed)) assert.fail(`final ${name}[${i}] is ${p[name][i]}, oracle ${p64[name][i]}: off by ${e}, allowed ${allowed}`);
          if (moved[name][i] > adam.lr) worst = Math.max(worst, e / moved[name][i]);
        }
      }
      t.diagnostic(`max relative loss error ${worstLoss.toExponential(2)}; final params max error ${worst.toExponential(2)} of the distance moved`);
    } finally {
      tr.destroy();
    }
  });
});

test('a constant schedule without warmup trains bit for bit as no schedule (the reference run unchanged)', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[1];
  const set = syntheticImages(3 * s.batch, s.model, 320);
  const p0 = randomParams(s.model, 321);
  const run = async (schedule?: { kind: 'constant'; warmup: number }) => {
    const tr = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 0, schedule }, { train: set }, p0);
    try {
      for (let k = 0; k < 4; k++) await tr.trainStep({ indices: randomIndices(set.count, s.batch, 330 + k) });
      return await tr.readParams();
    } finally {
      tr.destroy();
    }
  };
  await withErrorScopes(ctx.device, async () => {
    const [plain, constant, warm] = [await run(), await run({ kind: 'constant', warmup: 0 }), await run({ kind: 'constant', warmup: 2 })];
    for (const name of oneLayerNames) assert.deepEqual(constant[name], plain[name], `${name} bit-identical`);
    assert.ok(oneLayerNames.some((name) => warm[name].some((v, i) => v !== plain[name][i])), 'a warmup does change the weights');
  });
});

// ---- the CLI: stop, resume, refuse

const train = trainCli;
const losses = stepLosses;

test('cosine with warmup, stopped part-way and resumed with --resume alone: identical losses and final weights', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'lr-schedule-'));
  const flags = ['--hidden', '8', '--batch', '20', '--lr', '0.02', '--lr-schedule', 'cosine', '--warmup', '3', '--steps', '16', '--log-every', '1', '--json', '--no-tune'];
  const whole = await train([...flags, '--out', join(dir, 'whole.safetensors')]);
  assert.equal(whole.status, 0, whole.stderr);

  const ckpt = join(dir, 'run.ckpt');
  let sent = false;
  const stopped = await train([...flags, '--checkpoint', ckpt, '--checkpoint-every', '100'], (e, child) => {
    if (e.event === 'step' && e.step === 4 && !sent) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.equal(stopped.status, 130, stopped.stderr);
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
  assert.ok(saved.step >= 4 && saved.step < 16, `stopped part-way (step ${saved.step})`);
  assert.deepEqual(saved.options.schedule, { kind: 'cosine', warmup: 3, steps: 16 }, 'the checkpoint holds the schedule and its steps');

  const resumed = await train(['--resume', ckpt, '--log-every', '1', '--json', '--no-tune', '--out', join(dir, 'resumed.safetensors')]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(resumed.events.at(-1)!.steps, 16, 'without --steps, the resumed run finishes the cosine schedule');
  const [a, b] = [losses(whole), losses(resumed)];
  assert.ok(b.size >= 1 && !b.has(saved.step), `the resumed run logs steps after ${saved.step}`);
  for (const [step, loss] of b) assert.equal(loss, a.get(step), `step ${step}: the resumed loss equals the uninterrupted one`);
  const wa = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'whole.safetensors'))), 'whole').params;
  const wb = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'resumed.safetensors'))), 'resumed').params;
  for (const name of oneLayerNames) assert.deepEqual(wb[name], wa[name], `final ${name} bit-identical`);

  const longer = await train(['--resume', ckpt, '--steps', '20', '--no-tune']);
  assert.equal(longer.status, 2, longer.stderr);
  assert.match(longer.stderr, /error: cannot resume: a run of 20 steps \(--steps or --epochs\) contradicts .*run\.ckpt \(its cosine schedule runs over 16 steps\)/);
  const constant = await train(['--resume', ckpt, '--lr-schedule', 'constant', '--no-tune']);
  assert.equal(constant.status, 2, constant.stderr);
  assert.match(constant.stderr, /error: cannot resume: --lr-schedule constant contradicts .*run\.ckpt \(lr-schedule cosine\); drop the flag or pass cosine\./);
});
