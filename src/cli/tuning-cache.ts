// The autotuner's choices, kept per adapter and shape in .cache/tuning.json (git-ignored), so tuning
// runs once (npm run train -- --tune) and later runs on the same adapter use its workgroup sizes.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic-file.ts';
import type { KernelOverrides } from '../train/plan.ts';
import type { TuneResult } from '../train/tuner.ts';

export const tuningFile = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'tuning.json');

interface Entry {
  overrides: KernelOverrides;
  defaultMs: number;
  tunedMs: number;
  date: string;
}

function readAll(file: string): Record<string, Entry> {
  if (!existsSync(file)) return {};
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return typeof data === 'object' && data !== null ? data : {};
  } catch {
    return {}; // a damaged cache is only a lost tuning: the defaults are used and the next --tune rewrites it
  }
}

function validOverrides(o: unknown): o is KernelOverrides {
  if (typeof o !== 'object' || o === null) return false;
  return Object.values(o).every((v) => typeof v === 'object' && v !== null &&
    Object.values(v).every((n) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1024));
}

export function loadTuning(key: string, file = tuningFile): Entry | undefined {
  const entry = readAll(file)[key];
  return entry && validOverrides(entry.overrides) ? entry : undefined;
}

export async function saveTuning(result: TuneResult, file = tuningFile): Promise<void> {
  const all = readAll(file);
  all[result.key] = { overrides: result.overrides, defaultMs: result.defaultMs, tunedMs: result.tunedMs, date: new Date().toISOString() };
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(all, null, 2) + '\n'));
}
