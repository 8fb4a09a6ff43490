// The main job as a user runs it, shrunk: npm run train with --json and --out, then npm run eval on the
// saved model, on real MNIST and the default adapter, started as npm starts them (scripts/quiet-dawn.mjs):
// no line of Dawn's adapter-limit notice reaches the user.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gpuOrSkip } from './harness.ts';

function run(script: 'train' | 'eval', args: string[]): { status: number | null; lines: Record<string, any>[]; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/quiet-dawn.mjs', `src/cli/${script}.ts`, ...args], { encoding: 'utf8', timeout: 300_000 });
  const lines = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return { status: r.status, lines, stderr: r.stderr };
}

test('train --json --out, then eval --model, agree on the test accuracy', async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const model = join(mkdtempSync(join(tmpdir(), 'cli-')), 'tiny.safetensors');
  const train = run('train', ['--steps', '4', '--hidden', '8', '--batch', '50', '--log-every', '2', '--json', '--out', model, '--no-tune']);
  assert.equal(train.status, 0, `train failed: ${train.stderr}`);
  assert.doesNotMatch(train.stderr, /artificially reduced/, 'no Dawn limit notice in npm run train\'s output');
  const steps = train.lines.filter((l) => l.event === 'step');
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 4], 'step events at 1, every 2, and the last');
  for (const s of steps) assert.ok(Number.isFinite(s.loss) && s.accuracy >= 0 && s.accuracy <= 1, `step event ${JSON.stringify(s)}`);
  const done = train.lines.find((l) => l.event === 'done');
  assert.ok(done, 'a done event');
  assert.equal(done.steps, 4);
  assert.equal(done.dispatchesPerStep, 9, '--no-tune: the default scheduler, one dispatch per sequence forward and backward, plus seven');
  assert.equal(done.submitsPerStep, 1);
  assert.ok(done.testAccuracy > 0 && done.testAccuracy <= 1, `test accuracy ${done.testAccuracy}`);
  assert.ok(done.samplesPerSec > 0, 'samples/s');
  assert.ok(typeof done.adapter.description === 'string' && typeof done.adapter.software === 'boolean', 'adapter described');
  assert.ok(existsSync(model), 'model file written');

  const evaluated = run('eval', ['--model', model, '--batch', '50', '--json']);
  assert.equal(evaluated.status, 0, `eval failed: ${evaluated.stderr}`);
  assert.doesNotMatch(evaluated.stderr, /artificially reduced/, 'no Dawn limit notice in npm run eval\'s output');
  const result = evaluated.lines.find((l) => l.event === 'done');
  assert.ok(result, 'an eval done event');
  assert.equal(result.count, 10000);
  assert.equal(result.testAccuracy, done.testAccuracy, 'the saved model scores what training reported');
});
