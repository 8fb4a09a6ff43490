// The text task of `npm run train`: a character-level language model of a text file (or the default
// corpus), its vocabulary, windows, samples and the bits-per-character figures the CLI prints.
import { readFile } from 'node:fs/promises';
import { defaultCorpusName, loadDefaultCorpus } from '../data/corpus.ts';
import type { TokenSet } from '../data/dataset.ts';
import type { Task } from '../data/tasks.ts';
import { type Vocabulary, decodeSymbols, encodeText, textWindows } from '../data/text.ts';
import type { GpuContext } from '../gpu/device.ts';
import { bitsPerChar } from '../reference/lstm-lm.ts';
import { type ModelConfig, languageModel } from '../train/model.ts';
import { type Sampler, createSampler } from '../train/sampler.ts';
import type { Trainer } from '../train/trainer.ts';
import { UserError } from '../user-error.ts';

export interface TextData {
  model: ModelConfig;
  train: TokenSet;
  validation: TokenSet;
  task: Task & { vocabulary: Vocabulary };
  /** For the "Data:" line. */
  source: string;
  characters: number;
}

/**
 * The text (--text FILE or the default corpus) as training and validation windows of `steps` symbols. A
 * resumed run keeps its checkpoint's vocabulary (a character outside it is refused); a new one builds it.
 */
export async function loadTextData(file: string | undefined, steps: number, layers: number[], saved?: Vocabulary, resumed?: string): Promise<TextData> {
  let bytes: Uint8Array;
  if (file === undefined) {
    bytes = await loadDefaultCorpus();
  } else {
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`--text ${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message}). Give a UTF-8 text file.`);
    }
  }
  const name = file === undefined ? defaultCorpusName : `--text ${file}`;
  const { vocabulary, tokens, train, validation } = textWindows(bytes, name, steps, saved, `resume ${resumed ?? ''} with the --text it learned`.replace('  ', ' '));
  return {
    model: languageModel(steps, vocabulary.length, layers),
    train, validation,
    task: { name: 'text', vocabulary, ...(file !== undefined ? { source: file } : {}) },
    source: file === undefined ? defaultCorpusName : file,
    characters: tokens.length,
  };
}

/** Training steps in one pass over the training windows: shuffled batches, or a stateful run's track length. */
export const textStepsPerEpoch = (train: TokenSet, batch: number, stateful: boolean): number =>
  stateful ? Math.floor(train.count / batch) : Math.ceil(train.count / batch);

/** Refuses a stateful batch larger than the text's windows. */
export function checkStatefulBatch(train: TokenSet, batch: number, steps: number): void {
  if (train.count < batch) {
    throw new UserError(
      `--stateful with --batch ${batch} needs at least ${batch} training windows of ${steps} characters (one track per batch row), ` +
        `but the text has ${train.count}: use a smaller --batch or --seq, or a longer text.`,
    );
  }
}

export const bits = (loss: number): string => `${bitsPerChar(loss).toFixed(4)} bits/char`;

/** Where samples start: a newline when the vocabulary has one, else its first character. */
export function defaultPrime(vocabulary: Vocabulary): string {
  return vocabulary.includes('\n') ? '\n' : vocabulary[0];
}

/** Samples of a training run's current weights, on the trainer's device (a sampler made once per device). */
export function createRunSampler(model: ModelConfig, vocabulary: Vocabulary): (ctx: GpuContext, trainer: Trainer, length: number, seed: number) => Promise<string> {
  let held: { ctx: GpuContext; sampler: Sampler } | undefined;
  const prime = encodeText(defaultPrime(vocabulary), vocabulary, 'the prime');
  return async (ctx, trainer, length, seed) => {
    if (held?.ctx !== ctx) held = { ctx, sampler: await createSampler(ctx, model, await trainer.readParams()) };
    else held.sampler.writeParams(await trainer.readParams());
    const [symbols] = await held.sampler.sample({ prime, length, temperature: 0.8, seed });
    return decodeSymbols(symbols.subarray(prime.length), vocabulary);
  };
}
