// The autotuner's choices, kept per adapter and shape in .cache/tuning.json (git-ignored): npm run train
// tunes at first use on an adapter and shape (or with --tune) and later runs use its workgroup sizes.
// The cache is only ever a shortcut: a missing, damaged or unwritable one costs a tuning, never a run.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic-file.ts';
import { type TuneResult, type TuningRecord, isTuningRecord, tuningRecord } from '../train/tuner.ts';

export const tuningFile = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'tuning.json');

/** Every entry of the file; {} (and a warning) when it cannot be read or is not a JSON object. */
function readAll(file: string, warn: (m: string) => void): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`cannot read the tuning cache ${file} (${(e as Error).message}): ignoring it`);
    return {};
  }
  try {
    const data: unknown = JSON.parse(text);
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    // reported below
  }
  warn(`the tuning cache ${file} is damaged (not a JSON object): ignoring it; the next tuning rewrites it`);
  return {};
}

/** The cached choice for `key`, or undefined (no entry, or one that is damaged: `warn` says which). Never throws. */
export function loadTuning(key: string, file = tuningFile, warn: (m: string) => void = () => undefined): TuningRecord | undefined {
  const all = readAll(file, warn);
  if (!Object.hasOwn(all, key)) return undefined;
  const entry = all[key];
  if (isTuningRecord(entry)) return entry;
  warn(`the tuning cache ${file} has a damaged entry for this adapter and shape: ignoring it`);
  return undefined;
}

/** Adds or replaces `result.key`'s entry, atomically; throws an error naming the path when it cannot write. */
export async function saveTuning(result: TuneResult, file = tuningFile): Promise<void> {
  const all = readAll(file, () => undefined); // a damaged file is replaced
  all[result.key] = tuningRecord(result);
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the folder ${dirname(file)}: ${(e as Error).message}`);
  }
  await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(all, null, 2) + '\n'));
}
