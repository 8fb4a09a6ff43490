// The text task's bad input, as a user meets it: each refused with one `error:` line saying what to do,
// exit status 2, no stack trace, before any GPU work (the train CLI and the sample CLI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveModelBytes } from '../../src/io/model-file.ts';
import { initParams } from '../../src/train/init.ts';
import { languageModel } from '../../src/train/model.ts';

function run(script: 'train' | 'sample' | 'eval', args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertCleanFailure(r: ReturnType<typeof run>, mentions: RegExp): void {
  assert.equal(r.status, 2, `exit status 2 expected, got ${r.status}; stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^error: /, 'an error line');
  assert.match(lines[0], mentions, 'the message names the problem');
}

const dir = mkdtempSync(join(tmpdir(), 'text-cli-'));
const file = (name: string, bytes: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const train = (...args: string[]) => run('train', ['--task', 'text', '--no-tune', ...args]);

test('train --task text refuses a missing, empty, binary, non-UTF-8, too short or too varied text', () => {
  assertCleanFailure(train('--text', join(dir, 'nope.txt')), /--text .*nope\.txt: cannot read the file \(no such file\)/);
  assertCleanFailure(train('--text', dir), /it is a directory/);
  assertCleanFailure(train('--text', file('empty.txt', '')), /is empty: give a text file/);
  assertCleanFailure(train('--text', file('nul.bin', new Uint8Array([104, 105, 0, 1, 2]))), /NUL byte at offset 2: it looks binary/);
  assertCleanFailure(train('--text', file('latin1.txt', new Uint8Array([104, 105, 0xe9, 32, 104]))), /not valid UTF-8 \(the bytes at offset 2 .*convert it to UTF-8/);
  assertCleanFailure(train('--text', file('short.txt', 'hello world, hello world'), '--seq', '100'), /24 characters, too short for windows of 100 .*at least 1010. Use a longer text or a smaller --seq/);
  const wide = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
  assertCleanFailure(train('--text', file('wide.txt', wide.repeat(5))), /has 300 distinct characters, over the 256 a model's vocabulary holds/);
  assertCleanFailure(train('--text', file('ok.txt', 'abcdefgh'.repeat(200)), '--seq', '10', '--batch', '400', '--stateful'), /--stateful with --batch 400 needs at least 400 training windows of 10 characters/);
});

test('text flags without --task text, and --data with it, are refused', () => {
  assertCleanFailure(run('train', ['--seq', '50']), /--seq applies only to --task text: add --task text/);
  assertCleanFailure(run('train', ['--stateful']), /--stateful applies only to --task text/);
  assertCleanFailure(run('train', ['--text', 'x.txt']), /--text applies only to --task text/);
  assertCleanFailure(train('--data', dir), /with --task text give the text as --text FILE/);
  assertCleanFailure(run('train', ['--task', 'poems']), /--task: expected mnist .*text/);
});

test('sample refuses a bad temperature, top-k, prime, and a model that is not a language model', () => {
  const model = languageModel(8, 4, [5]);
  const lm = file('lm.safetensors', saveModelBytes(model, initParams(model, 1), {}, { name: 'text', vocabulary: ['\n', ' ', 'a', 'b'] }));
  const sample = (...args: string[]) => run('sample', ['--model', lm, ...args]);
  assertCleanFailure(sample('--temperature', '0'), /--temperature: expected a number above 0 .*got "0"/);
  assertCleanFailure(sample('--temperature=-0.5'), /--temperature: expected a number above 0 .*got "-0.5"/);
  assertCleanFailure(sample('--top-k', '9'), /--top-k 9 is over the model's 4 characters/);
  assertCleanFailure(sample('--prime', 'abc'), /--prime "abc": the character "c" \(U\+0063\) at position 2 is not in the model's vocabulary/);
  assertCleanFailure(sample('--prime='), /--prime is empty/);
  assertCleanFailure(run('sample', []), /--model is required/);
  assertCleanFailure(run('sample', ['--model', join(dir, 'none.safetensors')]), /cannot read the file/);
  const classifier = languageModel(8, 4, [5]);
  const digits = file('digits.safetensors', saveModelBytes({ ...classifier, input: undefined, outputs: undefined }, initParams(classifier, 1), {}));
  assertCleanFailure(run('sample', ['--model', digits]), /is a mnist classifier, not a language model/);
  assertCleanFailure(run('eval', ['--model', digits, '--text', lm]), /--text is for a text model, and .* is a mnist classifier: drop --text/);
  assertCleanFailure(run('eval', ['--model', lm, '--text', join(dir, 'gone.txt')]), /--text .*gone\.txt: cannot read the file \(no such file\)/);
});
