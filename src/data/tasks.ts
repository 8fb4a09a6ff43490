// How a task reads an image as a sequence. 'mnist' (the reference workload) reads it row by row: T = rows
// steps of I = cols pixels. 'pixel-mnist' reads it pixel by pixel: T = rows*cols steps of I = 1 (the same
// bytes, viewed as rows*cols x 1); with `permute`, one fixed random permutation of the pixel positions,
// drawn from that seed, reorders every image's bytes once here on the CPU, before the single upload.
// Browser-safe: the CLI and the page read the same views; model files and checkpoints record the task in
// their metadata (taskMetadata / taskFromMetadata; no task there means 'mnist').
// 'text' is a character-level language model (src/data/text.ts): no images; its task carries the
// vocabulary, stored as the metadata key "vocabulary" (a JSON list of the symbols' characters).
import { createRng, permutation } from '../train/rng.ts';
import type { ImageSet } from './dataset.ts';

export const taskNames = ['mnist', 'pixel-mnist', 'text'] as const;
export type TaskName = (typeof taskNames)[number];

export interface Task {
  name: TaskName;
  /** pixel-mnist only: the seed of the pixel permutation; absent for pixels in row-major order. */
  permute?: number;
  /** text only: symbol n is the character vocabulary[n] (a code point), sorted by code point. */
  vocabulary?: string[];
  /** text only: the file it learned (`--text`), so that `--resume` alone reads it again; absent: the default corpus. */
  source?: string;
}

export const defaultTask: Task = { name: 'mnist' };

/** The positions 0..size-1 shuffled by Fisher-Yates from `seed` (rng.ts): step k of a permuted sequence
 *  reads the pixel at position perm[k]. The same seed gives the same permutation everywhere. */
export function pixelPermutation(size: number, seed: number): Uint32Array {
  return permutation(size, createRng(seed));
}

/** The set as the task reads it: 'mnist' the set itself; 'pixel-mnist' a view, or a permuted copy. */
export function taskView(set: ImageSet, task: Task): ImageSet {
  if (task.name === 'text') throw new Error('taskView: a text task reads no images');
  if (task.name === 'mnist') return set;
  const size = set.rows * set.cols;
  if (task.permute === undefined) return { ...set, rows: size, cols: 1 };
  const perm = pixelPermutation(size, task.permute);
  const pixels = new Uint8Array(set.pixels.length);
  for (let n = 0; n < set.count; n++) {
    const image = set.pixels.subarray(n * size, (n + 1) * size);
    const out = pixels.subarray(n * size, (n + 1) * size);
    for (let k = 0; k < size; k++) out[k] = image[perm[k]];
  }
  return { ...set, rows: size, cols: 1, pixels };
}

/** The task as the flags that ask for it: "--task pixel-mnist --permute 7". */
export function taskFlags(task: Task): string {
  return `--task ${task.name}${task.permute !== undefined ? ` --permute ${task.permute}` : ''}`;
}

export function sameTask(a: Task, b: Task): boolean {
  return a.name === b.name && a.permute === b.permute && JSON.stringify(a.vocabulary) === JSON.stringify(b.vocabulary);
}

/** Metadata keys of a model file or checkpoint: none for 'mnist' (files from before tasks read the same). */
export function taskMetadata(task: Task): Record<string, string> {
  if (task.name === 'mnist') return {};
  if (task.name === 'text') {
    return { task: 'text', vocabulary: JSON.stringify(task.vocabulary ?? []), ...(task.source !== undefined ? { text_source: task.source } : {}) };
  }
  return { task: task.name, ...(task.permute !== undefined ? { permute: String(task.permute) } : {}) };
}

/** The task recorded in a file's metadata, or a problem naming the bad key; no "task" key means 'mnist'. */
export function taskFromMetadata(metadata: Record<string, string>): Task | { problem: string } {
  const name = Object.hasOwn(metadata, 'task') ? metadata.task : undefined;
  const permute = Object.hasOwn(metadata, 'permute') ? metadata.permute : undefined;
  if (name === undefined) {
    return permute === undefined ? defaultTask : { problem: `metadata "permute" is ${JSON.stringify(permute)} without a "task"` };
  }
  if (!(taskNames as readonly string[]).includes(name)) {
    return { problem: `metadata "task" is ${JSON.stringify(name)}, expected one of ${taskNames.join(', ')}` };
  }
  if (name === 'text') {
    if (permute !== undefined) return { problem: 'metadata "permute" is given with task text, which has no pixels to permute' };
    const task = vocabularyFromMetadata(Object.hasOwn(metadata, 'vocabulary') ? metadata.vocabulary : undefined);
    const source = Object.hasOwn(metadata, 'text_source') ? metadata.text_source : undefined;
    return source !== undefined && 'vocabulary' in task ? { ...task, source } : task;
  }
  if (permute === undefined) return { name: name as TaskName };
  if (name !== 'pixel-mnist' || !/^(0|[1-9][0-9]*)$/.test(permute) || Number(permute) > 0xffffffff) {
    return { problem: `metadata "permute" is ${JSON.stringify(permute)}, expected a whole number from 0 to 4294967295 with task pixel-mnist` };
  }
  return { name: 'pixel-mnist', permute: Number(permute) };
}

/** A text task's vocabulary from its metadata: a JSON list of 1 to 256 distinct single characters. */
function vocabularyFromMetadata(json: string | undefined): Task | { problem: string } {
  const expected = 'expected a JSON list of 1 to 256 distinct characters (one code point each)';
  if (json === undefined) return { problem: `metadata "vocabulary" is missing (a text model needs its symbols), ${expected}` };
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { problem: `metadata "vocabulary" is not valid JSON, ${expected}` };
  }
  const ok = Array.isArray(v) && v.length >= 1 && v.length <= 256 && new Set(v).size === v.length &&
    v.every((s) => typeof s === 'string' && [...s].length === 1);
  if (!ok) return { problem: `metadata "vocabulary" is ${json.length > 80 ? `${json.slice(0, 80)}...` : json}, ${expected}` };
  return { name: 'text', vocabulary: v as string[] };
}
