// The page's IndexedDB database (usable from the page and from the worker): one object store per kind
// of record. The raw API behind two promises: a wrapper library would be bigger than what it saves here.

const dbName = 'webgpu-lstm';
/** Version 2 added the autotuner's store; an upgrade creates whichever stores are missing. */
const dbVersion = 2;
export type StoreName = 'checkpoints' | 'tuning';
const storeNames: StoreName[] = ['checkpoints', 'tuning'];

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, dbVersion);
    request.onupgradeneeded = () => {
      for (const name of storeNames) if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB: cannot open ${dbName}: ${request.error?.message}`));
    request.onblocked = () => reject(new Error(`IndexedDB: ${dbName} is blocked by another tab`));
  });
}

export async function transact<T>(storeName: StoreName, mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
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
