// npm run sample -- --model FILE [flags]: text written by a character-level language model saved by
// `npm run train -- --task text --out FILE`, drawn on the GPU (src/train/sampler.ts), to stdout.
import { decodeSymbols, encodeText } from '../data/text.ts';
import { createNodeGpu } from '../gpu/node-gpu.ts';
import { readModelFile } from './model-input.ts';
import { readsTokens } from '../train/model.ts';
import { createSampler } from '../train/sampler.ts';
import { UserError } from '../user-error.ts';
import { parseSampleArgs, sampleUsage } from './args.ts';
import { describeAdapterForUser, runMain } from './output.ts';
import { defaultPrime } from './text-task.ts';

runMain(async () => {
  const opts = parseSampleArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(sampleUsage);
    return;
  }
  const { config, params, task } = await readModelFile(opts.model, 'npm run train -- --task text --out FILE');
  if (task.name !== 'text' || !task.vocabulary || !readsTokens(config)) {
    throw new UserError(`--model ${opts.model} is a ${task.name} classifier, not a language model: sample from a model saved by \`npm run train -- --task text --out FILE\``);
  }
  const vocabulary = task.vocabulary;
  if (opts.topK > vocabulary.length) throw new UserError(`--top-k ${opts.topK} is over the model's ${vocabulary.length} characters: give 0 (all) to ${vocabulary.length}`);
  const primeText = opts.prime ?? defaultPrime(vocabulary);
  if (primeText.length === 0) throw new UserError('--prime is empty: give at least one character, or leave --prime out to start from a newline');
  const prime = encodeText(primeText, vocabulary, `--prime ${JSON.stringify(primeText.length > 40 ? `${primeText.slice(0, 40)}...` : primeText)}`);
  const ctx = await createNodeGpu({ adapter: opts.adapter, log: (m) => process.stderr.write(`${m}\n`) });
  // The text goes to stdout; what it is and where it ran, to stderr.
  describeAdapterForUser(ctx.adapter).forEach((l) => process.stderr.write(`${l}\n`));
  try {
    const sampler = await createSampler(ctx, config, params);
    const started = performance.now();
    const [symbols] = await sampler.sample({ prime, length: opts.length, temperature: opts.temperature, topK: opts.topK, seed: opts.seed });
    const seconds = (performance.now() - started) / 1000;
    const text = decodeSymbols(symbols, vocabulary);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ event: 'sample', text, prime: primeText, length: opts.length, temperature: opts.temperature, topK: opts.topK, seed: opts.seed, seconds, adapter: ctx.adapter, model: opts.model })}\n`);
    } else {
      process.stdout.write(`${text}\n`);
      process.stderr.write(`(${opts.length} characters in ${seconds.toFixed(1)} s, temperature ${opts.temperature}${opts.topK ? `, top-k ${opts.topK}` : ''}, seed ${opts.seed})\n`);
    }
    sampler.destroy();
  } finally {
    ctx.destroy();
  }
});
