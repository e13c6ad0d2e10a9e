/**
 * A port whose adapter is still opening (the embedded history: PGlite takes most of a second to
 * start, and the service answers before it is done). Each call waits for the adapter, then goes
 * straight to it; once open, calls go to it directly. A failed open fails every call with its error.
 */

/** Every method of the port, listed: the compiler then refuses a wrapper that misses one. */
export type MethodNames<T> = { [K in keyof T]-?: true };

export function whenOpen<T extends object>(opening: Promise<T>, methods: MethodNames<T>): T {
  let target: T | null = null;
  opening.then(
    (opened) => {
      target = opened;
    },
    () => {}, // the caller of each method gets the failure; this only keeps it from going unhandled
  );
  const wrapper: Record<string, unknown> = {};
  for (const name of Object.keys(methods)) {
    const call = (adapter: T, args: unknown[]): unknown =>
      (adapter[name as keyof T] as (...a: unknown[]) => unknown).apply(adapter, args);
    wrapper[name] = (...args: unknown[]) =>
      target !== null ? call(target, args) : opening.then((adapter) => call(adapter, args));
  }
  return wrapper as T;
}
