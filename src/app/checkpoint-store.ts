// The latest training checkpoint in IndexedDB (one record; usable from the page and from the worker).
import { transact } from './idb.ts';
import type { CheckpointSummary, History } from './protocol.ts';

/** Version of the record below (the checkpoint inside has its own format, checked when it is decoded). */
export const recordFormat = 'webgpu-lstm-page-checkpoint/1';

export interface Checkpoint extends CheckpointSummary {
  format: typeof recordFormat;
  /** Training time so far, for the elapsed-time display. */
  trainMs: number;
  /** The page's step minus the checkpoint's (a run started from a loaded model counts from the model's steps). */
  stepOffset: number;
  history: History;
  /**
   * The CLI's checkpoint file (src/io/checkpoint.ts: parameters, Adam's moments, step, data order, config and
   * options, CRC-checked): the run continues exactly where it was, here or with `npm run train -- --resume`.
   */
  bytes: Uint8Array;
  /** A text run's text: its name, and its bytes unless it is the default corpus (absent: a digits run). */
  text?: { name: string; bytes?: Uint8Array };
}

const key = 'latest';

export const saveCheckpoint = (c: Checkpoint): Promise<void> => transact('checkpoints', 'readwrite', (s) => s.put(c, key));

/** The saved checkpoint; one written by another version of the page counts as none. */
export async function loadCheckpoint(): Promise<Checkpoint | undefined> {
  const c = await transact<Checkpoint | undefined>('checkpoints', 'readonly', (s) => s.get(key));
  return c?.format === recordFormat ? c : undefined;
}
