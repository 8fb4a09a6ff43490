// The autotuner's budget estimates a unit of work from the most its kind cost so far (falling back on a
// kind that bounds it), and answers whether work ends before the deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBudget } from '../../src/train/tuning-budget.ts';

test('estimates from the most measured, with fallbacks, and a deadline', async () => {
  let now = 0;
  const budget = createBudget(1000, () => now);
  assert.equal(budget.cost({ plan: 1 }), Infinity, 'nothing measured: nothing fits');
  assert.equal(budget.fits(budget.cost({ step: 1 })), false);
  budget.record('coldPlan', 300);
  assert.equal(budget.cost({ plan: 2 }), 600, 'a plan is estimated by the cold one until one is measured');
  budget.record('plan', 50);
  budget.record('plan', 80);
  budget.record('plan', 40);
  assert.equal(budget.cost({ plan: 1 }), 80, 'the most a plan cost');
  budget.record('coldWarmup', 70);
  assert.equal(budget.cost({ warmup: 1 }), 70, 'a warm-up is estimated by the cold one until one is measured');
  budget.record('warmup', 30);
  assert.equal(budget.cost({ step: 1, forward: 2 }), 90, 'a step falls back on the warm-up, a phase on the step');
  budget.record('step', 10);
  assert.equal(budget.cost({ step: 3, forward: 1, plan: 0 }), 40);
  now = 900;
  assert.equal(budget.fits(100), true, 'work ending at the deadline fits');
  assert.equal(budget.fits(101), false);
  assert.equal(budget.most(1, 5, (n) => 30 * n), 3, 'the most that fits');
  assert.equal(budget.most(4, 5, (n) => 30 * n), 0, 'none at the least');
  const ran = await budget.time('backward', async () => {
    now += 25;
    return 'done';
  });
  assert.deepEqual([ran, budget.cost({ backward: 1 }), budget.elapsedMs()], ['done', 25, 925], 'time() records what a unit cost');
  assert.equal(createBudget(undefined, () => now).fits(Infinity), true, 'no budget: everything fits');
});
