// A text as a language model's data: its symbols (Unicode code points, at most 256 distinct), the text as
// a stream of symbol numbers, and the last part held out for validation. Browser-safe (the page reads a
// dropped file the same way).
import { UserError } from '../user-error.ts';
import type { TokenSet } from './dataset.ts';

/** A token input holds symbols below 256 (they travel as bytes). */
export const maxSymbols = 256;
/** The share of the text held out for validation, from its end. */
export const validationShare = 0.1;

/** The vocabulary: symbol n is the code point vocabulary[n]; sorted by code point. */
export type Vocabulary = string[];

/** The text of a file's bytes: UTF-8, not empty, no NUL bytes. */
export function decodeText(bytes: Uint8Array, name: string): string {
  if (bytes.length === 0) throw new UserError(`${name} is empty: give a text file to learn from (UTF-8, a few hundred kilobytes or more is best)`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new UserError(`${name} holds a NUL byte at offset ${nul}: it looks binary, not text. Give a UTF-8 text file.`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new UserError(`${name} is not valid UTF-8 (the bytes at offset ${at} are not a UTF-8 character): convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8).`);
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix (cut at a character boundary, a prefix stays valid): bisect its length.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    let ok = true;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      decoder.decode();
    } catch {
      ok = false;
    }
    if (ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The text's distinct code points, sorted; more than 256 refused with the count. */
export function buildVocabulary(text: string, name: string): Vocabulary {
  const symbols = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (symbols.length > maxSymbols) {
    throw new UserError(
      `${name} has ${symbols.length} distinct characters, over the ${maxSymbols} a model's vocabulary holds: ` +
        'use a text in fewer scripts, or map rare characters to common ones first.',
    );
  }
  return symbols;
}

/** The text as symbol numbers of a vocabulary; a character outside it is refused, named with where it is. */
export function encodeText(text: string, vocabulary: Vocabulary, what: string): Uint8Array {
  const index = new Map(vocabulary.map((s, i) => [s, i]));
  const chars = [...text];
  const out = new Uint8Array(chars.length);
  chars.forEach((ch, i) => {
    const n = index.get(ch);
    if (n === undefined) {
      throw new UserError(`${what}: the character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${i} is not in the model's vocabulary (the ${vocabulary.length} characters of the text it learned): use only those`);
    }
    out[i] = n;
  });
  return out;
}

export function decodeSymbols(symbols: ArrayLike<number>, vocabulary: Vocabulary): string {
  let s = '';
  for (let i = 0; i < symbols.length; i++) s += vocabulary[symbols[i]] ?? '\uFFFD';
  return s;
}

/** A stream cut into windows of `steps` symbols (each with the symbol after it as the last target). */
export function tokenSet(tokens: Uint8Array, steps: number): TokenSet {
  return { kind: 'tokens', count: Math.floor((tokens.length - 1) / steps), rows: steps, tokens };
}

/**
 * The text's first 90% for training, the last 10% for validation, each cut into windows of `steps`; a text
 * too short for one window in each part is refused with the length it needs.
 */
export function splitText(tokens: Uint8Array, steps: number, name: string): { train: TokenSet; validation: TokenSet } {
  const held = Math.floor(tokens.length * validationShare);
  const need = Math.ceil((steps + 1) / validationShare);
  if (held < steps + 1 || tokens.length - held < steps + 1) {
    throw new UserError(
      `${name} has ${tokens.length} characters, too short for windows of ${steps} (--seq) with 10% held out for validation: ` +
        `it needs at least ${need}. Use a longer text or a smaller --seq.`,
    );
  }
  return { train: tokenSet(tokens.subarray(0, tokens.length - held), steps), validation: tokenSet(tokens.subarray(tokens.length - held), steps) };
}

/**
 * A text (its file's bytes) as a language model's windows of `steps`: the vocabulary (`saved`, a model's or
 * checkpoint's, or built from the text), the symbols, and the training and validation split. A text with a
 * character outside a saved vocabulary is refused as another text, `fix` saying what to do.
 */
export function textWindows(
  bytes: Uint8Array, name: string, steps: number, saved?: Vocabulary, fix = 'use the text it learned',
): { vocabulary: Vocabulary; tokens: Uint8Array; train: TokenSet; validation: TokenSet } {
  const text = decodeText(bytes, name);
  const vocabulary = saved ?? buildVocabulary(text, name);
  let tokens: Uint8Array;
  try {
    tokens = encodeText(text, vocabulary, name);
  } catch (e) {
    if (!(e instanceof UserError) || !saved) throw e;
    throw new UserError(`${name} is not the text this model learned (${e.message.slice(name.length + 2).replace(/: use only those$/, '')}): ${fix}`);
  }
  return { vocabulary, tokens, ...splitText(tokens, steps, name) };
}
