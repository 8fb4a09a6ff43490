// The 28x28 drawing: a large black canvas drawn on in white with the mouse, a pen or a finger; each stroke
// (throttled while it is drawn) is turned into an MNIST-like 28x28 image and handed to `onImage`.
import { fittedSize, inkBox, placeByCentreOfMass } from './mnist-style.ts';

export interface DrawPad {
  clear(): void;
  /** The current drawing as 28x28 grey bytes, row by row. */
  image(): Uint8Array;
}

const throttleMs = 120;

export function createDrawPad(canvas: HTMLCanvasElement, onImage: (pixels: Uint8Array) => void, onClear: () => void): DrawPad {
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('this browser cannot draw on a 2D canvas');
  const brush = canvas.width / 12;
  let drawing = false;
  let last = { x: 0, y: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;

  const clear = (): void => {
    g.fillStyle = '#000';
    g.fillRect(0, 0, canvas.width, canvas.height);
  };
  const point = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };
  const image = (): Uint8Array => {
    const { width, height } = canvas;
    const rgba = g.getImageData(0, 0, width, height).data;
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];
    const box = inkBox(grey, width, height);
    if (!box) return new Uint8Array(28 * 28);
    const { w, h } = fittedSize(box);
    const small = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true })!;
    small.imageSmoothingEnabled = true;
    small.imageSmoothingQuality = 'high';
    small.drawImage(canvas, box.x, box.y, box.w, box.h, 0, 0, w, h);
    const px = small.getImageData(0, 0, w, h).data;
    const fitted = new Uint8Array(w * h);
    for (let i = 0; i < fitted.length; i++) fitted[i] = px[4 * i];
    return placeByCentreOfMass(fitted, w, h);
  };
  const emit = (): void => {
    timer = undefined;
    onImage(image());
  };

  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    last = point(e);
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(last.x, last.y, brush / 2, 0, 2 * Math.PI);
    g.fill();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const p = point(e);
    g.strokeStyle = '#fff';
    g.lineWidth = brush;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(last.x, last.y);
    g.lineTo(p.x, p.y);
    g.stroke();
    last = p;
    timer ??= setTimeout(emit, throttleMs);
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    if (timer) clearTimeout(timer);
    emit();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear();
  return {
    clear() {
      clear();
      onClear();
    },
    image,
  };
}
