import { type KernelSpec, bytesOf, f32Bytes } from './dims.ts';

/** What a sampling run sets beside the dims (sampler.ts checks each). */
export interface SampleSettings {
  /** N: symbols per sample, the prime included. */
  length: number;
  primeLength: number;
  /** 0: every symbol. */
  topK: number;
  seed: number;
  temperature: number;
}

/** The next symbol of each of B samples (one workgroup each): the head's logits, temperature, top-k, a seeded draw. */
export const sampleNext: KernelSpec<SampleSettings> = {
  name: 'sample_next',
  overrides: { WG_X: 64 },
  bindingBytes: (d) => ({
    xh: bytesOf.xh(d), // T = 1: rows h_0, h_1
    w_out: bytesOf.outputBlock(d),
    out: 4, // B*N symbols, sized by the sampler for its longest sample
    current: bytesOf.perRow(d),
    cursor: bytesOf.perRow(d),
    logits: d.batch * d.classes * f32Bytes,
  }),
  params: (d, s) => ({
    batch: d.batch, input: d.input, hidden: d.hidden, classes: d.classes,
    length: s.length, prime_length: s.primeLength, top_k: s.topK, seed: s.seed >>> 0, temperature: s.temperature,
  }),
  workgroups: (d) => [d.batch, 1, 1],
};
