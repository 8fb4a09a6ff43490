// The autotuner's choices in this browser's IndexedDB, one record per tuningKey (adapter and shape), so the
// page tunes once per adapter and shape (src/train/tuner.ts) and later starts and loads use the choice.
// A cache only: a record that cannot be read or written costs a tuning, never a run.
import { type TuningRecord, isTuningRecord } from '../train/tuner.ts';
import { transact } from './idb.ts';

export async function loadTuning(key: string): Promise<TuningRecord | undefined> {
  const r = await transact<unknown>('tuning', 'readonly', (s) => s.get(key));
  return isTuningRecord(r) ? r : undefined;
}

export const saveTuning = (key: string, r: TuningRecord): Promise<void> => transact('tuning', 'readwrite', (s) => s.put(r, key));
