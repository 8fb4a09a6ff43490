// Dataset types shared by Node and the browser, and the tutorial's train/validation split.

import { UserError } from '../user-error.ts';

/**
 * A set of same-sized sequences and their class labels: 8-bit grey images read row by row (T = rows,
 * I = cols), or any float32 sequences (the library API's).
 */
export interface ImageSet {
  count: number;
  /** T: timesteps of each sequence (an image's rows). */
  rows: number;
  /** I: features per timestep (an image's columns). */
  cols: number;
  /** count*rows*cols values, sequence after sequence, row-major: bytes 0..255 (scaled to [0, 1] on the GPU
   *  by gather_batch) or float32 values used as given (gather_sequences). */
  pixels: Uint8Array | Float32Array;
  /** count labels. */
  labels: Uint8Array;
}

/**
 * A stream of symbols (each below 256) cut into `count` windows of `rows` steps: window n reads symbols
 * n*rows .. n*rows + rows - 1 and, at each step, predicts the symbol after it; so the stream holds at least
 * count*rows + 1 symbols. A language model's data (src/data/text.ts makes it from a text).
 */
export interface TokenSet {
  kind: 'tokens';
  /** Windows. */
  count: number;
  /** T: symbols per window. */
  rows: number;
  tokens: Uint8Array;
}

/** What a plan trains on or evaluates: sequences with a label each, or windows of a token stream. */
export type Dataset = ImageSet | TokenSet;

export const isTokenSet = (set: Dataset): set is TokenSet => 'kind' in set && set.kind === 'tokens';

export interface Mnist {
  train: ImageSet;
  test: ImageSet;
}

/** The first `count - validation` images for training, the last `validation` for validation (views, not copies). */
export function splitTrainValidation(set: ImageSet, validation = 5000): { train: ImageSet; validation: ImageSet } {
  if (!Number.isInteger(validation) || validation < 0 || validation >= set.count) {
    throw new UserError(
      `cannot hold out ${validation} validation images from a set of ${set.count}: ` +
        `choose a whole number from 0 to ${set.count - 1}.`,
    );
  }
  const n = set.count - validation;
  const size = set.rows * set.cols;
  const part = (from: number, to: number): ImageSet => ({
    count: to - from,
    rows: set.rows,
    cols: set.cols,
    pixels: set.pixels.subarray(from * size, to * size),
    labels: set.labels.subarray(from, to),
  });
  return { train: part(0, n), validation: part(n, set.count) };
}
