// What the model makes of the drawing: the class probabilities as bars, the 28x28 input it read, and its
// hidden state h_t after each of the 28 rows as a heatmap (rows = steps, columns = units).
import { byId, el, percent } from './dom.ts';

export function showPrediction(probabilities: number[], hidden: Float32Array, steps: number, units: number): void {
  const top = probabilities.indexOf(Math.max(...probabilities));
  const list = byId('probabilities');
  list.replaceChildren(...probabilities.map((p, digit) => {
    const fill = el('div', { className: 'fill' });
    fill.style.width = `${100 * p}%`;
    const item = el('li', { className: digit === top ? 'top' : '' }, el('span', {}, String(digit)), el('div', { className: 'track' }, fill), el('span', { className: 'p' }, percent(p)));
    item.dataset.digit = String(digit);
    item.dataset.p = String(p);
    return item;
  }));
  const headline = byId('prediction-headline');
  headline.className = 'headline';
  headline.replaceChildren('The model reads ', el('strong', {}, String(top)), ` (${percent(probabilities[top])})`);
  headline.dataset.digit = String(top);
  drawHeatmap(hidden, steps, units);
}

/** Diverging colours: blue for -1, white for 0, red for +1 (h = tanh(c) * o lies in (-1, 1)). */
function colour(v: number): [number, number, number] {
  const a = Math.min(1, Math.abs(v));
  const fade = Math.round(255 * (1 - a));
  return v >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

function drawHeatmap(hidden: Float32Array, steps: number, units: number): void {
  const canvas = byId<HTMLCanvasElement>('hidden-heatmap');
  canvas.width = units;
  canvas.height = steps;
  const g = canvas.getContext('2d')!;
  const img = g.createImageData(units, steps);
  for (let i = 0; i < steps * units; i++) {
    const [r, gr, b] = colour(hidden[i]);
    img.data.set([r, gr, b, 255], 4 * i);
  }
  g.putImageData(img, 0, 0);
  byId('heatmap-caption').textContent = `Hidden state h_t after reading row t (28 rows, top to bottom) of ${units} units (columns); red positive, blue negative.`;
}

export function showInput(pixels: Uint8Array): void {
  const canvas = byId<HTMLCanvasElement>('input-preview');
  const g = canvas.getContext('2d')!;
  const img = g.createImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
  g.putImageData(img, 0, 0);
}

export function showPredictionMessage(message: string): void {
  const headline = byId('prediction-headline');
  headline.className = 'headline muted';
  headline.textContent = message;
  delete headline.dataset.digit;
}

export function clearPrediction(): void {
  byId('probabilities').replaceChildren();
  showPredictionMessage('Draw a digit to see what the model reads.');
  showInput(new Uint8Array(28 * 28));
  const heat = byId<HTMLCanvasElement>('hidden-heatmap');
  heat.getContext('2d')!.clearRect(0, 0, heat.width, heat.height);
}
