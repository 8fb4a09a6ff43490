// Dataset types shared by Node and the browser, and the tutorial's train/validation split.

import { UserError } from '../user-error.ts';

/** A set of same-sized 8-bit grey images and their class labels. */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, image after image, row-major. */
  pixels: Uint8Array;
  /** count labels. */
  labels: Uint8Array;
}

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
