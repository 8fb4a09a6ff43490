// Text as a language model's data (src/data/text.ts) and the stateful track order (data-order.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildVocabulary, decodeSymbols, decodeText, encodeText, splitText, tokenSet } from '../../src/data/text.ts';
import { restoreTrackOrder, trackOrderStart } from '../../src/train/data-order.ts';
import { UserError } from '../../src/user-error.ts';

test('code points, not UTF-16 units or bytes, are the symbols; sorted by code point; round trip', () => {
  const text = decodeText(new TextEncoder().encode('bé a😀b'), 'x');
  const vocabulary = buildVocabulary(text, 'x');
  assert.deepEqual(vocabulary, [' ', 'a', 'b', 'é', '😀']);
  const tokens = encodeText(text, vocabulary, 'x');
  assert.deepEqual([...tokens], [2, 3, 0, 1, 4, 2]);
  assert.equal(decodeSymbols(tokens, vocabulary), text);
});

test('a byte-order mark is dropped; 256 distinct characters are allowed, 257 refused with the count', () => {
  assert.equal(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]), 'bom'), 'hi');
  const chars = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x100 + i)).join('');
  assert.equal(buildVocabulary(chars(256), 'ok').length, 256);
  assert.throws(() => buildVocabulary(chars(257), 'wide'), (e: unknown) => e instanceof UserError && /has 257 distinct characters, over the 256/.test(e.message));
});

test('windows: window n reads n*T.. and predicts one on; the last 10% held out; the shortest text that splits', () => {
  const tokens = Uint8Array.from({ length: 1000 }, (_, i) => i % 7);
  const { train, validation } = splitText(tokens, 10, 'x');
  assert.deepEqual([train.tokens.length, validation.tokens.length], [900, 100]);
  assert.deepEqual([train.count, validation.count], [89, 9], 'floor((length - 1) / T) windows each');
  assert.equal(validation.tokens[0], tokens[900], 'validation is the end of the text');
  assert.deepEqual(tokenSet(Uint8Array.of(1, 2, 3), 2), { kind: 'tokens', count: 1, rows: 2, tokens: Uint8Array.of(1, 2, 3) });
  assert.doesNotThrow(() => splitText(new Uint8Array(110), 10, 'x'), '110 characters: 11 held out, one window each');
  assert.throws(() => splitText(new Uint8Array(109), 10, 'x'), /109 characters, too short for windows of 10 .*at least 110/);
});

test('track order: row b reads window b*W + w at step w of an epoch; an epoch is W steps; restores mid-epoch', () => {
  const order = restoreTrackOrder(11, 3, trackOrderStart); // W = 3 windows per track, window 9 and 10 unused
  const batch = new Uint32Array(3);
  const seen: [boolean, number[]][] = [];
  for (let s = 0; s < 7; s++) seen.push([order.fill(batch), [...batch]]);
  assert.deepEqual(seen, [
    [true, [0, 3, 6]], [false, [1, 4, 7]], [false, [2, 5, 8]],
    [true, [0, 3, 6]], [false, [1, 4, 7]], [false, [2, 5, 8]],
    [true, [0, 3, 6]],
  ]);
  assert.deepEqual(order.state(), { rng: [], epoch: 2, position: 1 });
  const again = restoreTrackOrder(11, 3, { rng: [], epoch: 1, position: 2 });
  assert.equal(again.fill(batch), false);
  assert.deepEqual([...batch], [2, 5, 8]);
  assert.equal(again.fill(batch), true, 'the next epoch starts: the state resets');
  assert.throws(() => restoreTrackOrder(2, 3, trackOrderStart), /2 windows make no track of one window for each of 3 batch rows/);
});
