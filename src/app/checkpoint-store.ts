// The latest training checkpoint in IndexedDB (one record; usable from the page and from the worker).
// The raw API behind three promises: a wrapper library would be bigger than what it saves here.
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
}

const dbName = 'webgpu-lstm';
const storeName = 'checkpoints';
const key = 'latest';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB: cannot open ${dbName}: ${request.error?.message}`));
    request.onblocked = () => reject(new Error(`IndexedDB: ${dbName} is blocked by another tab`));
  });
}

async function transact<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const request = act(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`));
      tx.onabort = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction aborted (out of storage space?)'}`));
    });
  } finally {
    db.close();
  }
}

export const saveCheckpoint = (c: Checkpoint): Promise<void> => transact('readwrite', (s) => s.put(c, key));

/** The saved checkpoint; one written by another version of the page counts as none. */
export async function loadCheckpoint(): Promise<Checkpoint | undefined> {
  const c = await transact<Checkpoint | undefined>('readonly', (s) => s.get(key));
  return c?.format === recordFormat ? c : undefined;
}

export const deleteCheckpoint = (): Promise<void> => transact('readwrite', (s) => s.delete(key));
