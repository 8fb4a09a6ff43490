// The autotuner chooses a workgroup size for each hot kernel among candidates whose gradients are
// bit-identical to the default plan's, and reports what it measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PlanTuning, defaultScheduler, schedulers } from '../../src/train/plan.ts';
import { tuneWorkgroups, tunedKernels, tuningKept, tuningKey } from '../../src/train/tuner.ts';
import { createTrainer, defaultAdam } from '../../src/train/trainer.ts';
import { gpuOrSkip, shapes, syntheticImages } from './harness.ts';

test('tuning picks a checked, timed workgroup size per hot kernel, and a plan with them trains identically', { timeout: 120_000 }, async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[3]; // H a multiple of 4: every code path of the cell kernels
  const sample = syntheticImages(12, s.model, 8);
  const candidates: [number, number][] = [[4, 4], [8, 8], [32, 1], [1024, 1024]];
  const result = await tuneWorkgroups(ctx, s.model, s.batch, sample, { reps: 1, candidates });
  assert.equal(result.key, tuningKey(ctx.adapter, s.model, s.batch));
  const kept = Object.keys(result.overrides).length > 0;
  assert.deepEqual(result.cut, [], 'no budget: nothing left out');
  const hot = Object.keys(tunedKernels(result.searchedUnder));
  assert.deepEqual(result.schedulerTrials.map((x) => x.scheduler).sort(), [...schedulers].sort(), 'every scheduler timed');
  assert.ok(result.schedulerTrials.every((x) => !x.refused && x.ms > 0), `every scheduler gives the default's exact gradients (${JSON.stringify(result.schedulerTrials)})`);
  if (kept) assert.deepEqual(Object.keys(result.overrides).sort(), hot.sort(), 'a choice for every tuned kernel');
  else if (!tuningKept(result)) assert.equal(result.tunedMs, result.defaultMs, 'when nothing beat the defaults, the defaults stay');
  else assert.equal(result.scheduler, result.searchedUnder, 'the faster scheduler alone is kept when the sizes did not pay');
  for (const kernel of hot) {
    const tried = result.trials.filter((x) => x.kernel === kernel);
    assert.equal(tried.length, candidates.length, `${kernel}: every candidate tried`);
    const huge = tried.find((x) => x.workgroup[0] === 1024)!;
    assert.match(huge.refused ?? '', /maxComputeInvocationsPerWorkgroup/, `${kernel}: an oversized workgroup is refused, not chosen`);
    const ok = tried.filter((x) => !x.refused);
    assert.equal(ok.length, 3, `${kernel}: the three legal sizes give the default's exact gradients (${JSON.stringify(tried)})`);
    const fastest = ok.reduce((a, b) => (b.ms < a.ms ? b : a));
    if (kept) assert.deepEqual(result.overrides[kernel], { WG_X: fastest.workgroup[0], WG_Y: fastest.workgroup[1] }, `${kernel}: the fastest is kept`);
  }
  assert.ok(result.defaultMs > 0 && result.tunedMs > 0, 'both step times measured');

  const losses = async (tuning: PlanTuning = {}): Promise<number[]> => {
    const trainer = await createTrainer(ctx, { model: s.model, batch: s.batch, adam: defaultAdam, seed: 1, ...tuning }, { train: sample });
    try {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) out.push((await trainer.trainStep({ stats: true }))!.loss);
      return out;
    } finally {
      trainer.destroy();
    }
  };
  const fastest = Object.fromEntries(hot.map((k) => {
    const ok = result.trials.filter((x) => x.kernel === k && !x.refused).reduce((a, b) => (b.ms < a.ms ? b : a));
    return [k, { WG_X: ok.workgroup[0], WG_Y: ok.workgroup[1] }];
  }));
  assert.deepEqual(await losses({ scheduler: result.searchedUnder, overrides: fastest }), await losses(), 'a plan with the fastest sizes trains exactly as the default one');
  t.diagnostic(`step ${result.defaultMs.toFixed(2)} ms -> ${result.tunedMs.toFixed(2)} ms with ${JSON.stringify(result.overrides)}`);
});

test('a spent time budget skips the candidates left, an abort stops the tuning, progress is reported', { timeout: 60_000 }, async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[0];
  const sample = syntheticImages(5, s.model, 4);
  const candidates: [number, number][] = [[4, 4], [8, 8]];
  const total = candidates.length * Object.keys(tunedKernels(defaultScheduler)).length;
  const seen: number[] = [];
  const spent = await tuneWorkgroups(ctx, s.model, s.batch, sample, { reps: 1, candidates, budgetMs: 0, onProgress: (done, all) => {
    assert.equal(all, total, 'progress counts every candidate of every kernel');
    seen.push(done);
  } });
  assert.equal(spent.skipped, total, 'with no time left, no candidate is tried');
  assert.deepEqual([spent.trials.length, spent.schedulerTrials, spent.overrides, spent.scheduler], [0, [], {}, defaultScheduler], 'nor a scheduler: the defaults stay');
  assert.deepEqual(spent.cut, schedulers.filter((x) => x !== defaultScheduler).map((x) => `the ${x} scheduler`).concat(`${total} of ${total} workgroup candidates`), 'what was left out, in words');
  assert.ok(spent.defaultMs > 0 && spent.tunedMs === spent.defaultMs && spent.elapsedMs > 0, 'the defaults are still timed');
  assert.deepEqual(seen, [0, total], 'progress before the first candidate, and at the end');

  const whole = await tuneWorkgroups(ctx, s.model, s.batch, sample, { reps: 1, candidates, budgetMs: 60_000 });
  assert.deepEqual([whole.skipped, whole.cut], [0, []], 'a budget not spent skips nothing');
  assert.equal(whole.trials.length, total, 'every candidate tried');

  const abort = new AbortController();
  await assert.rejects(
    tuneWorkgroups(ctx, s.model, s.batch, sample, { reps: 1, candidates, onProgress: (done) => { if (done === 2) abort.abort(new Error('stop tuning')); }, signal: abort.signal }),
    /stop tuning/, 'an abort ends the tuning with its reason');
  assert.equal(ctx.failure(), undefined, 'an aborted tuning leaves the device usable');
});

test('a tight budget is a deadline: the tuning overruns it by at most one unit of work', { timeout: 120_000 }, async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const s = shapes[3];
  const sample = syntheticImages(12, s.model, 8);
  const full = await tuneWorkgroups(ctx, s.model, s.batch, sample);
  // On lavapipe (2-core VM, load 3-5) at this shape the untight tuning took 0.48-0.62 s; a plan's build 80-140
  // ms once the default's pipelines are compiled (260 ms cold, in `full` only), a first step 14-32 ms, a step
  // 2 ms. A machine 3x slower makes the largest unit (a plan) about 0.4 s: the bound allows 500 ms past the
  // deadline. The tunings below stopped 50-100 ms before it.
  const oneUnitMs = 500;
  for (const budgetMs of [full.elapsedMs / 4, full.elapsedMs / 2]) {
    const r = await tuneWorkgroups(ctx, s.model, s.batch, sample, { budgetMs });
    t.diagnostic(`untight ${full.elapsedMs.toFixed(0)} ms; budget ${budgetMs.toFixed(0)} ms: ${r.elapsedMs.toFixed(0)} ms, ${r.trials.length} candidates tried, ${r.skipped} skipped, cut: ${r.cut.join(', ') || 'nothing'}`);
    assert.ok(r.elapsedMs <= budgetMs + oneUnitMs, `a ${budgetMs.toFixed(0)} ms budget took ${r.elapsedMs.toFixed(0)} ms`);
    assert.equal(r.skipped > 0, r.cut.some((x) => x.includes('workgroup candidates')), 'skipped candidates are said');
  }
});
