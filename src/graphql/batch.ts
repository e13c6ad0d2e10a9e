/**
 * A tiny per-tick batcher: keys asked for in the same tick are loaded with one call. It keeps no
 * cache beyond the batch, so a subscription (whose context lives as long as the stream) never
 * serves an old value to a later event.
 */
export type Load<K, V> = (key: K) => Promise<V>;

interface Waiter<V> {
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

export function createBatch<K, V>(loadMany: (keys: K[]) => Promise<Map<K, V>>, missing: V): Load<K, V> {
  let batch: Map<K, Waiter<V>> | null = null;

  const flush = (keys: Map<K, Waiter<V>>) => {
    loadMany([...keys.keys()]).then(
      (found) => {
        for (const [key, waiter] of keys) waiter.resolve(found.has(key) ? (found.get(key) as V) : missing);
      },
      (error: unknown) => {
        for (const waiter of keys.values()) waiter.reject(error);
      },
    );
  };

  return (key) => {
    if (batch === null) {
      const current = new Map<K, Waiter<V>>();
      batch = current;
      // Resolvers of one list run synchronously one after another, so one microtask gathers them all.
      queueMicrotask(() => {
        batch = null;
        flush(current);
      });
    }
    const known = batch.get(key);
    if (known) return known.promise;
    let resolve!: (value: V) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<V>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    batch.set(key, { promise, resolve, reject });
    return promise;
  };
}
