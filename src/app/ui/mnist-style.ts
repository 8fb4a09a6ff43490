// A drawing made to look like an MNIST digit, as the dataset's authors prepared theirs: the ink's bounding
// box scaled to fit a 20x20 box (aspect kept), then placed in 28x28 with its centre of mass at the centre.
// Pure functions on grey levels; the canvas work (the scaling itself) is in draw-pad.ts.

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The smallest box holding every pixel above `threshold`, or undefined for a blank image. */
export function inkBox(grey: ArrayLike<number>, width: number, height: number, threshold = 16): Box | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x] > threshold) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** Size of the box fitted into `fit` x `fit`, aspect kept, at least 1 pixel each way. */
export function fittedSize(box: Box, fit = 20): { w: number; h: number } {
  const scale = fit / Math.max(box.w, box.h);
  return { w: Math.max(1, Math.round(box.w * scale)), h: Math.max(1, Math.round(box.h * scale)) };
}

/** Places a w x h grey image in size x size with its centre of mass at the centre (as far as it fits). */
export function placeByCentreOfMass(grey: ArrayLike<number>, w: number, h: number, size = 28): Uint8Array {
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = grey[y * w + x];
      mass += v;
      cx += (x + 0.5) * v;
      cy += (y + 0.5) * v;
    }
  }
  const out = new Uint8Array(size * size);
  if (mass === 0) return out;
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), Math.max(hi, 0));
  const ox = clamp(Math.round(size / 2 - cx / mass), size - w);
  const oy = clamp(Math.round(size / 2 - cy / mass), size - h);
  for (let y = 0; y < h && oy + y < size; y++) {
    for (let x = 0; x < w && ox + x < size; x++) out[(oy + y) * size + ox + x] = Math.round(grey[y * w + x]);
  }
  return out;
}
