// The CLIs refuse bad input with a clear message and a non-zero exit, before touching a GPU, and
// never print a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

function run(script: 'train' | 'eval', args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertCleanFailure(r: ReturnType<typeof run>, mentions: RegExp): void {
  assert.equal(r.status, 2, `exit status 2 expected, got ${r.status}; stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: /m, 'an error line');
  assert.match(r.stderr, mentions, 'the message names the problem');
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

test('train --help prints usage and exits 0', () => {
  const r = run('train', ['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: npm run train/);
  assert.match(r.stdout, /--steps N/);
});

test('train refuses bad flags with the flag, the value and the fix', () => {
  assertCleanFailure(run('train', ['--batch', '0']), /--batch.*"0"/);
  assertCleanFailure(run('train', ['--hidden', '-3']), /--hidden/);
  assertCleanFailure(run('train', ['--lr', 'abc']), /--lr.*"abc"/);
  assertCleanFailure(run('train', ['--bogus']), /--bogus/);
  assertCleanFailure(run('train', ['--steps', '5', '--epochs', '1']), /--steps.*--epochs|--epochs.*--steps/);
  assertCleanFailure(run('train', ['--tune', '--no-tune']), /--tune and --no-tune both given/);
});

test('train refuses a data directory without MNIST files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'no-mnist-'));
  assertCleanFailure(run('train', ['--data', dir]), /train-images-idx3-ubyte/);
});

test('eval needs --model and refuses files that are not models', () => {
  assertCleanFailure(run('eval', []), /--model/);
  assertCleanFailure(run('eval', ['--model', '/nonexistent/model.safetensors']), /cannot read/);
  const file = join(mkdtempSync(join(tmpdir(), 'bad-model-')), 'junk.safetensors');
  writeFileSync(file, 'this is not a safetensors file at all');
  assertCleanFailure(run('eval', ['--model', file]), /junk\.safetensors/);
});
