// The learning-rate schedules against values written out here, not computed with the module's formulas:
// the cosine through the identity 0.5 * (1 + cos x) = cos^2(x / 2) and at the points where it is exact
// (full rate, half, the limit 0), the step schedule and the warmup as tables. A constant schedule without
// warmup must hand Adam exactly the rate it had before schedules, so `npm run train` stays bit for bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, biasCorrectedRate } from '../../src/kernels/adam.ts';
import { constantSchedule, makeSchedule, scheduleProblem, scheduledLr, type LrSchedule } from '../../src/train/lr-schedule.ts';
import { referenceModel } from '../../src/train/model.ts';
import { dimsOf } from '../../src/train/plan.ts';
import { defaultAdam } from '../../src/train/trainer.ts';
import { UserError } from '../../src/user-error.ts';

/** |got - want| within a few float64 ulps of `scale` (default want). The cosine near its end needs the rate
 *  as scale: 1 + cos(x) for x near pi cancels, leaving about lr * 1e-16 absolute (measured 2.9e-19 at
 *  lr 0.002 on a value of 1.2e-10). */
function near(got: number, want: number, what: string, scale = want): void {
  assert.ok(Math.abs(got - want) <= 4e-16 * Math.abs(scale) + 1e-300, `${what}: ${got}, expected ${want}`);
}

describe('scheduledLr', () => {
  test('constant without warmup returns the rate itself at every step (the old per-step Adam values exactly)', () => {
    const dims = dimsOf(referenceModel, 100);
    assert.equal(referenceModel.forgetBias, 1);
    for (const lr of [0.001, 0.002, 1e-7, 0.3, 1]) {
      for (const step of [1, 2, 3, 10, 999, 1000, 1001, 123456, 1e9]) {
        assert.ok(Object.is(scheduledLr(lr, constantSchedule, step), lr), `lr ${lr} step ${step}`);
      }
    }
    // What the trainer packs into Adam's uniform, step by step over the reference run: identical.
    for (let step = 1; step <= 1000; step++) {
      const h = { ...defaultAdam, clipNorm: 0, step };
      const before = adam.params(dims, h);
      const now = adam.params(dims, { ...h, lr: scheduledLr(h.lr, constantSchedule, step) });
      assert.deepEqual(now, before, `step ${step}`);
      assert.ok(Object.is(now.lr_t, biasCorrectedRate(defaultAdam, step)));
    }
  });

  test('linear warmup: lr * n / W at step n <= W, then the schedule (constant)', () => {
    const s: LrSchedule = { kind: 'constant', warmup: 4 };
    const want = [0.25, 0.5, 0.75, 1, 1, 1, 1];
    want.forEach((f, i) => near(scheduledLr(0.004, s, i + 1), 0.004 * f, `step ${i + 1}`));
    near(scheduledLr(0.002, { kind: 'constant', warmup: 200 }, 1), 0.00001, 'step 1 of 200: lr/200');
    near(scheduledLr(0.002, { kind: 'constant', warmup: 200 }, 100), 0.001, 'step 100 of 200: half');
    near(scheduledLr(0.002, { kind: 'constant', warmup: 200 }, 200), 0.002, 'step 200 of 200: the full rate');
    near(scheduledLr(0.002, { kind: 'constant', warmup: 1 }, 1), 0.002, 'warmup 1: the full rate at once');
  });

  test('cosine after warmup: full rate first, half at the midpoint, toward 0 at the last step, 0 after', () => {
    const lr = 0.002;
    const s: LrSchedule = { kind: 'cosine', warmup: 200, steps: 6600 };
    near(scheduledLr(lr, s, 1), lr / 200, 'step 1 (warmup)');
    near(scheduledLr(lr, s, 200), lr, 'last warmup step');
    near(scheduledLr(lr, s, 201), lr, 'first cosine step: cos 0');
    near(scheduledLr(lr, s, 201 + 3200), lr / 2, 'midpoint of the 6400 cosine steps');
    // Step 6600 is the 6400th cosine step: 6399/6400 of the way; 0.5 * (1 + cos(pi - x)) = sin^2(x / 2).
    near(scheduledLr(lr, s, 6600), lr * Math.sin(Math.PI / 12800) ** 2, 'last step', lr);
    assert.ok(scheduledLr(lr, s, 6600) > 0 && scheduledLr(lr, s, 6600) < 1e-9, 'the last step still moves, barely');
    assert.equal(scheduledLr(lr, s, 6601), 0, 'past the run: 0');
    assert.equal(scheduledLr(lr, s, 10_000), 0, 'far past the run: 0, not rising again');
    // Every step of a small run, by cos^2(pi * d / (2 (N - W))): warmup 2 of 7 steps.
    const small: LrSchedule = { kind: 'cosine', warmup: 2, steps: 7 };
    const want = [0.5, 1, 1, Math.cos(Math.PI / 10) ** 2, Math.cos(Math.PI / 5) ** 2, Math.cos((3 * Math.PI) / 10) ** 2, Math.cos((2 * Math.PI) / 5) ** 2];
    want.forEach((f, i) => near(scheduledLr(0.01, small, i + 1), 0.01 * f, `small run step ${i + 1}`));
    // No warmup: step 1 is the full rate.
    near(scheduledLr(0.01, { kind: 'cosine', warmup: 0, steps: 4 }, 1), 0.01, 'no warmup, step 1');
    near(scheduledLr(0.01, { kind: 'cosine', warmup: 0, steps: 4 }, 3), 0.005, 'no warmup, step 3 of 4: half');
  });

  test('step: lr * gamma^floor(steps after warmup / every)', () => {
    const table = (s: LrSchedule, lr: number, n: number) => Array.from({ length: n }, (_, i) => scheduledLr(lr, s, i + 1));
    assert.deepEqual(table({ kind: 'step', warmup: 0, every: 3, gamma: 0.5 }, 0.1, 8), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
    const warm = table({ kind: 'step', warmup: 2, every: 3, gamma: 0.5 }, 0.1, 9);
    [0.05, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025].forEach((w, i) => near(warm[i], w, `warmup 2, step ${i + 1}`));
    near(scheduledLr(0.001, { kind: 'step', warmup: 0, every: 1000, gamma: 0.1 }, 2001), 0.00001, 'two drops by 0.1');
  });
});

describe('makeSchedule', () => {
  test('the run\'s steps: the cosine falls over them; step drops at each third by 0.1 unless told', () => {
    assert.deepEqual(makeSchedule('constant', 5, 100), { kind: 'constant', warmup: 5 });
    assert.deepEqual(makeSchedule('cosine', 200, 6600), { kind: 'cosine', warmup: 200, steps: 6600 });
    assert.deepEqual(makeSchedule('step', 10, 100), { kind: 'step', warmup: 10, every: 30, gamma: 0.1 });
    assert.deepEqual(makeSchedule('step', 0, 1000), { kind: 'step', warmup: 0, every: 334, gamma: 0.1 });
    assert.deepEqual(makeSchedule('step', 0, 1), { kind: 'step', warmup: 0, every: 1, gamma: 0.1 });
    assert.deepEqual(makeSchedule('step', 0, 100, { every: 7, gamma: 0.5 }), { kind: 'step', warmup: 0, every: 7, gamma: 0.5 });
  });

  test('a warmup that leaves no cosine steps is refused, naming both numbers', () => {
    for (const warmup of [100, 101]) {
      assert.throws(() => makeSchedule('cosine', warmup, 100), (e: unknown) => e instanceof UserError &&
        e.message === `--warmup ${warmup} leaves none of the run's 100 steps for the cosine schedule: make it shorter than 100 steps.`);
    }
    assert.deepEqual(makeSchedule('cosine', 99, 100), { kind: 'cosine', warmup: 99, steps: 100 });
  });
});

describe('scheduleProblem', () => {
  test('accepts what makeSchedule makes, refuses the rest with the field', () => {
    for (const s of [constantSchedule, makeSchedule('cosine', 3, 10), makeSchedule('step', 0, 10)]) assert.equal(scheduleProblem(s), undefined);
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [[], /not an object/],
      [{ kind: 'linear', warmup: 0 }, /\.kind is "linear", expected one of constant, cosine, step/],
      [{ kind: 'constant' }, /\.warmup is undefined/],
      [{ kind: 'constant', warmup: -1 }, /\.warmup is -1/],
      [{ kind: 'constant', warmup: 0.5 }, /\.warmup is 0\.5/],
      [{ kind: 'constant', warmup: 0, steps: 9 }, /has steps, which a constant schedule does not take/],
      [{ kind: 'cosine', warmup: 10, steps: 10 }, /\.steps is 10, expected a whole number above the warmup \(10\)/],
      [{ kind: 'cosine', warmup: 0 }, /\.steps is undefined/],
      [{ kind: 'step', warmup: 0, every: 0, gamma: 0.1 }, /\.every is 0/],
      [{ kind: 'step', warmup: 0, every: 5, gamma: 0 }, /\.gamma is 0/],
      [{ kind: 'step', warmup: 0, every: 5, gamma: 1.5 }, /\.gamma is 1\.5/],
      [{ kind: 'step', warmup: 0, every: 5 }, /\.gamma is undefined/],
    ];
    for (const [v, pattern] of bad) assert.match(scheduleProblem(v) ?? 'accepted', pattern, JSON.stringify(v));
  });
});
