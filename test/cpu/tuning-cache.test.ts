// The tuning cache keeps one entry per adapter and shape, survives rewrites, and treats a damaged or
// unreadable file or entry as no tuning (the defaults), with a warning, rather than an error.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTuning, saveTuning } from '../../src/cli/tuning-cache.ts';
import { asRoot } from '../support/skip.ts';

const result = (key: string, wg: number) => ({
  key, defaultMs: 10, tunedMs: 8, trials: [], searchedUnder: 'sequence' as const, schedulerTrials: [], skipped: 0, cut: [], elapsedMs: 1, scheduler: 'sequence' as const,
  overrides: { lstm_sequence_forward: { WG_X: wg, WG_Y: 4 } },
});

test('entries round-trip by key and do not overwrite each other', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tuning-')), 'tuning.json');
  const warnings: string[] = [];
  assert.equal(loadTuning('a', file, (m) => warnings.push(m)), undefined, 'no file: no tuning');
  assert.deepEqual(warnings, [], 'and no warning');
  await saveTuning(result('a', 8), file);
  await saveTuning(result('b', 16), file);
  assert.deepEqual(loadTuning('a', file)?.overrides, { lstm_sequence_forward: { WG_X: 8, WG_Y: 4 } });
  assert.deepEqual(loadTuning('b', file)?.overrides, { lstm_sequence_forward: { WG_X: 16, WG_Y: 4 } });
  await saveTuning(result('a', 32), file);
  assert.equal(loadTuning('a', file)?.overrides.lstm_sequence_forward?.WG_X, 32, 'a retune replaces its entry');
  assert.equal(loadTuning('toString', file), undefined, 'a key is looked up in the file alone');
});

test('a damaged cache or entry means no tuning, with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuning-bad-'));
  const file = join(dir, 'tuning.json');
  const warnings: string[] = [];
  const load = (key: string) => loadTuning(key, file, (m) => warnings.push(m));
  for (const text of ['{ not json', '[1, 2]', 'null', '']) {
    writeFileSync(file, text);
    assert.equal(load('a'), undefined, `unusable file ${JSON.stringify(text)}`);
    assert.match(warnings.pop() ?? '', /tuning cache .* is damaged/, `a warning for ${JSON.stringify(text)}`);
  }
  writeFileSync(file, JSON.stringify({
    a: { overrides: { adam: { WG_X: -3 } }, defaultMs: 1, tunedMs: 1 },
    b: { overrides: 'x', defaultMs: 1, tunedMs: 1 },
    c: { overrides: {}, defaultMs: 'fast', tunedMs: 1 },
    d: 7,
    f: { overrides: {}, defaultMs: 1, tunedMs: 1 }, // no scheduler: not a v2 record
    g: { overrides: {}, scheduler: 'sequence', defaultMs: 1, tunedMs: 1, cut: 'all' },
    // the other scheduler's cell kernel: a plan would refuse it and stop the run
    h: { overrides: { lstm_cell_forward: { WG_X: 8, WG_Y: 4 } }, scheduler: 'sequence', defaultMs: 1, tunedMs: 1 },
  }));
  for (const key of ['a', 'b', 'c', 'd', 'f', 'g', 'h']) {
    assert.equal(load(key), undefined, `damaged entry ${key}`);
    assert.match(warnings.pop() ?? '', /damaged entry/, `a warning for entry ${key}`);
  }
  await saveTuning(result('e', 8), file);
  assert.equal(load('e')?.overrides.lstm_sequence_forward?.WG_X, 8, 'a save over a damaged file keeps the new entry');

  const asDir = join(dir, 'a-directory.json');
  mkdirSync(asDir);
  assert.equal(loadTuning('a', asDir, (m) => warnings.push(m)), undefined, 'an unreadable cache');
  assert.match(warnings.pop() ?? '', /cannot read the tuning cache/, 'is a warning too');
});

test('an unwritable cache fails the save with a message naming the file, and leaves the old file', { skip: process.getuid?.() === 0 && asRoot('root writes anywhere') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuning-ro-'));
  const file = join(dir, 'tuning.json');
  await saveTuning(result('a', 8), file);
  chmodSync(dir, 0o500);
  try {
    await assert.rejects(saveTuning(result('b', 16), file), (e: Error) => e.message.includes(file), 'the error names the file');
  } finally {
    chmodSync(dir, 0o700);
  }
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8'))), ['a'], 'the old cache is unchanged');
});

test('a cache path under a file fails the save with a message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuning-under-file-'));
  writeFileSync(join(dir, 'plain'), 'x');
  await assert.rejects(saveTuning(result('a', 8), join(dir, 'plain', 'tuning.json')), /plain/, 'the error names the path');
});
