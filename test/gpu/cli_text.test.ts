// The text task as a user runs it: `npm run train -- --task text` on a small text, stateful, killed with
// SIGKILL after a checkpoint and resumed with --resume alone gives the same loss at every step (through an
// epoch boundary, where the carried state resets) and bit-identical final weights; the validation loss in
// bits per character falls; `npm run sample` writes from the saved model, the same text for the same seed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { createRng } from '../../src/train/rng.ts';
import { stepLosses, trainCli } from '../support/train-cli.ts';
import { gpuOrSkip } from './harness.ts';

/** A few thousand characters of sentences from a small grammar: easy to learn something of. */
function smallText(): string {
  const rng = createRng(7);
  const pick = <T>(a: T[]): T => a[rng.int(a.length)];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    lines.push(`${pick(['The', 'A'])} ${pick(['whale', 'ship', 'sailor', 'captain'])} ${pick(['saw', 'sought', 'left'])} the ${pick(['sea', 'harbour', 'white whale'])}.`);
  }
  return `${lines.join('\n')}\n`;
}

test('text task: stateful, killed and resumed exactly across an epoch boundary; sampled from the saved model', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'text-resume-'));
  const text = join(dir, 'sea.txt');
  writeFileSync(text, smallText());
  const args = ['--task', 'text', '--text', text, '--seq', '12', '--layers', '16,12', '--batch', '8', '--stateful', '--lr', '0.01',
    '--log-every', '1', '--sample-every', '0', '--sample-length', '40', '--json', '--no-tune'];
  const whole = await trainCli([...args, '--steps', '70', '--out', join(dir, 'whole.safetensors')]);
  assert.equal(whole.status, 0, whole.stderr);
  const done = whole.events.at(-1)!;
  assert.equal(done.event, 'done');
  const first = whole.events.find((e) => e.event === 'step')!;
  assert.ok(done.validationBitsPerChar < first.bitsPerChar - 1, `the loss falls: ${first.bitsPerChar} -> validation ${done.validationBitsPerChar} bits/char`);
  // 2 layers, token input, stateful: 5L + 4 + 1 + L.
  assert.equal(done.dispatchesPerStep, 17, 'dispatches per step');

  const ckpt = join(dir, 'run.ckpt');
  const killed = await trainCli([...args, '--steps', '70', '--checkpoint', ckpt, '--checkpoint-every', '20'], (e, child) => {
    if (e.event === 'checkpoint' && e.step === 20) child.kill('SIGKILL');
  });
  assert.equal(killed.signal, 'SIGKILL', `killed (status ${killed.status}, ${killed.stderr})`);
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
  assert.ok(saved.options.stateful && saved.carried?.length === 2, 'a stateful checkpoint carries each layer\'s state');
  assert.equal(saved.options.task?.name, 'text');
  // An epoch of a stateful run: the training windows (the text less its last 10%) over 8 tracks.
  const length = smallText().length;
  const epoch = Math.floor(Math.floor((length - Math.floor(length * 0.1) - 1) / 12) / 8);
  assert.ok(saved.step < epoch && epoch < 70, `the resumed part (steps ${saved.step + 1} to 70) crosses the epoch boundary after step ${epoch}`);

  const resumed = await trainCli(['--resume', ckpt, '--steps', '70', '--log-every', '1', '--json', '--sample-every', '0', '--out', join(dir, 'resumed.safetensors')]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const [a, b] = [stepLosses(whole), stepLosses(resumed)];
  assert.ok(b.size >= 20, `the resumed run logs its steps (${b.size})`);
  for (const [step, loss] of b) assert.equal(loss, a.get(step), `step ${step}: the resumed loss equals the uninterrupted one`);
  const wa = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'whole.safetensors'))), 'whole').params;
  const wb = loadModelBytes(new Uint8Array(readFileSync(join(dir, 'resumed.safetensors'))), 'resumed').params;
  for (const name of Object.keys(wa)) assert.deepEqual(wb[name], wa[name], `final ${name} bit-identical`);

  const sample = (...extra: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/sample.ts', '--model', join(dir, 'whole.safetensors'), '--json', ...extra], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { text: string };
  };
  // npm run eval reads the text the model names and gives the validation loss training reported.
  const evaluated = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/eval.ts', '--model', join(dir, 'whole.safetensors'), '--batch', '8', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!);
  assert.equal(report.validationBitsPerChar, done.validationBitsPerChar, 'eval gives the validation loss training reported');

  const s1 = sample('--prime', 'The ', '--length', '80', '--seed', '3');
  assert.ok(s1.text.startsWith('The ') && [...s1.text].length === 84, `the prime, then 80 characters: ${JSON.stringify(s1.text)}`);
  assert.equal(sample('--prime', 'The ', '--length', '80', '--seed', '3').text, s1.text, 'the same seed writes the same text');
  assert.notEqual(sample('--prime', 'The ', '--length', '80', '--seed', '4').text, s1.text, 'another seed another');
  t.diagnostic(`validation ${done.validationBitsPerChar.toFixed(3)} bits/char; sample: ${JSON.stringify(s1.text)}`);
});
