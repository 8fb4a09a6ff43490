// The tuning cache keeps one entry per adapter and shape, survives rewrites, and treats a damaged file
// or entry as no tuning (the defaults) rather than an error.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTuning, saveTuning } from '../../src/cli/tuning-cache.ts';

const result = (key: string, wg: number) => ({
  key, defaultMs: 10, tunedMs: 8, trials: [],
  overrides: { lstm_cell_forward: { WG_X: wg, WG_Y: 4 } },
});

test('entries round-trip by key and do not overwrite each other', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tuning-')), 'tuning.json');
  assert.equal(loadTuning('a', file), undefined, 'no file: no tuning');
  await saveTuning(result('a', 8), file);
  await saveTuning(result('b', 16), file);
  assert.deepEqual(loadTuning('a', file)?.overrides, { lstm_cell_forward: { WG_X: 8, WG_Y: 4 } });
  assert.deepEqual(loadTuning('b', file)?.overrides, { lstm_cell_forward: { WG_X: 16, WG_Y: 4 } });
  await saveTuning(result('a', 32), file);
  assert.equal(loadTuning('a', file)?.overrides.lstm_cell_forward?.WG_X, 32, 'a retune replaces its entry');
});

test('a damaged cache or entry means no tuning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuning-bad-'));
  const file = join(dir, 'tuning.json');
  writeFileSync(file, '{ not json');
  assert.equal(loadTuning('a', file), undefined, 'unparsable file');
  writeFileSync(file, JSON.stringify({ a: { overrides: { adam: { WG_X: -3 } } }, b: { overrides: 'x' } }));
  assert.equal(loadTuning('a', file), undefined, 'an out-of-range size');
  assert.equal(loadTuning('b', file), undefined, 'overrides of the wrong type');
});
