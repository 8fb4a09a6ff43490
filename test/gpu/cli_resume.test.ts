// Exact resume as a user meets it: a run killed with SIGKILL after a checkpoint and resumed with
// --resume gives the same loss at every step and the same final weights as a run that was never
// stopped, whatever workgroup sizes each run used (the autotuner's or the defaults); Ctrl-C (SIGINT)
// saves a checkpoint and exits cleanly. The uninterrupted run is also the autotuner's first use as a user
// meets it: it tunes (over a damaged cache, with a warning) and caches the choice the resumed run uses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { type CliRun, stepLosses, trainCli } from '../support/train-cli.ts';
import { gpuOrSkip } from './harness.ts';

const small = ['--hidden', '8', '--batch', '20', '--log-every', '1', '--json', '--lr', '0.01'];
const tuningEvents = (r: Run): Record<string, any>[] => r.events.filter((e) => e.event === 'tuning');

type Run = CliRun;
const train = trainCli;
const losses = stepLosses;

test('killed with SIGKILL after a checkpoint, then resumed: identical losses at every step and identical final weights', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'resume-'));
  const cache = join(dir, 'tuning.json');
  writeFileSync(cache, '{ damaged');
  const whole = await train([...small, '--steps', '9', '--out', join(dir, 'whole.safetensors'), '--tuning-cache', cache]);
  assert.equal(whole.status, 0, whole.stderr);
  assert.match(whole.stderr, /warning: the tuning cache .* is damaged/, 'a damaged cache is a warning, not an error');
  const [tuned] = tuningEvents(whole);
  assert.ok(tuned?.source === 'tuned' && tuned.tried > 0 && tuned.defaultMs > 0, `the first run on this adapter and shape tunes: ${JSON.stringify(tuned)}`);
  assert.deepEqual(Object.values(JSON.parse(readFileSync(cache, 'utf8'))).map((e: any) => e.overrides), [tuned.overrides], 'and caches its choice');

  const ckpt = join(dir, 'run.ckpt');
  const killed = await train([...small, '--steps', '9', '--checkpoint', ckpt, '--checkpoint-every', '3', '--no-tune'], (e, child) => {
    if (e.event === 'checkpoint' && e.step === 3) child.kill('SIGKILL');
  });
  assert.equal(killed.signal, 'SIGKILL', `the first run was killed (status ${killed.status}, ${killed.stderr})`);
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
  assert.ok(saved.step >= 3 && saved.step < 9, `a checkpoint from before the kill (step ${saved.step})`);
  assert.deepEqual(tuningEvents(killed), [], '--no-tune: the default workgroup sizes');

  const resumed = await train(['--resume', ckpt, '--steps', '9', '--log-every', '1', '--json', '--out', join(dir, 'resumed.safetensors'), '--tuning-cache', cache]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(tuningEvents(resumed).map((e) => [e.source, e.overrides]), [['cache', tuned.overrides]], 'the next run uses the cached choice');
  const [a, b] = [losses(whole), losses(resumed)];
  assert.ok(b.size >= 1 && !b.has(saved.step), `the resumed run logs steps after ${saved.step}`);
  for (const [step, loss] of b) assert.equal(loss, a.get(step), `step ${step}: the resumed loss equals the uninterrupted one`);
  assert.equal(resumed.events.at(-1)!.testAccuracy, whole.events.at(-1)!.testAccuracy, 'same test accuracy');
  const wa = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'whole.safetensors'))), 'whole').params;
  const wb = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'resumed.safetensors'))), 'resumed').params;
  for (const name of Object.keys(wa) as (keyof typeof wa)[]) assert.deepEqual(wb[name], wa[name], `final ${name} bit-identical`);
});

test('Ctrl-C (SIGINT) saves a checkpoint of the step reached and exits cleanly', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const ckpt = join(mkdtempSync(join(tmpdir(), 'sigint-')), 'run.ckpt');
  let sent = false;
  const run = await train([...small, '--steps', '100000', '--checkpoint', ckpt, '--checkpoint-every', '1000', '--no-tune'], (e, child) => {
    if (e.event === 'step' && e.step === 3 && !sent) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.equal(run.status, 130, `exit status 130 after Ctrl-C (stderr: ${run.stderr})`);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  const stop = run.events.find((e) => e.event === 'interrupted');
  assert.ok(stop, 'an interrupted event');
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
  assert.equal(saved.step, stop.step, 'the checkpoint holds the step training stopped at');
  assert.ok(saved.step >= 3, `stopped after step 3 (at ${saved.step})`);
});

test('a stacked model (--layers 8,6): killed and resumed exactly, saved, read back by eval; a contradicting --layers is refused', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'stack-resume-'));
  const stacked = ['--layers', '8,6', '--batch', '20', '--log-every', '1', '--json', '--lr', '0.01', '--no-tune'];
  const whole = await train([...stacked, '--steps', '6', '--out', join(dir, 'whole.safetensors')]);
  assert.equal(whole.status, 0, whole.stderr);
  const ckpt = join(dir, 'run.ckpt');
  const killed = await train([...stacked, '--steps', '6', '--checkpoint', ckpt, '--checkpoint-every', '2'], (e, child) => {
    if (e.event === 'checkpoint' && e.step === 2) child.kill('SIGKILL');
  });
  assert.equal(killed.signal, 'SIGKILL', `the first run was killed (status ${killed.status}, ${killed.stderr})`);
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
  assert.deepEqual(saved.config.layers, [8, 6], 'the checkpoint holds the stack');

  const refused = await train(['--resume', ckpt, '--layers', '8', '--steps', '6', '--json', '--no-tune']);
  assert.equal(refused.status, 2, 'a contradicting --layers is refused (a usage error: exit 2)');
  assert.match(refused.stderr, /--layers 8 contradicts .*run\.ckpt \(layers 8,6\); drop the flag or pass 8,6/);

  const resumed = await train(['--resume', ckpt, '--steps', '6', '--log-every', '1', '--json', '--no-tune', '--out', join(dir, 'resumed.safetensors')]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const [a, b] = [losses(whole), losses(resumed)];
  assert.ok(b.size >= 1 && !b.has(saved.step), `the resumed run logs steps after ${saved.step}`);
  for (const [step, loss] of b) assert.equal(loss, a.get(step), `step ${step}: the resumed loss equals the uninterrupted one`);
  const wa = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'whole.safetensors'))), 'whole');
  const wb = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'resumed.safetensors'))), 'resumed');
  assert.deepEqual(wa.config.layers, [8, 6]);
  assert.deepEqual(Object.keys(wa.params), ['lstm_0/kernel', 'lstm_0/bias', 'lstm_1/kernel', 'lstm_1/bias', 'output/kernel', 'output/bias']);
  for (const name of Object.keys(wa.params)) assert.deepEqual(wb.params[name], wa.params[name], `final ${name} bit-identical`);

  const evaluated = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/eval.ts', '--model', join(dir, 'resumed.safetensors'), '--json'], { encoding: 'utf8' });
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const result = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
  assert.equal(result.testAccuracy, resumed.events.at(-1)!.testAccuracy, 'eval reads the stacked file back to the accuracy training reported');
});
