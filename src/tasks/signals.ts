/** Combining abort signals without leaking listeners on long-lived ones. */

export interface CombinedSignal {
  signal: AbortSignal;
  /** Drop the listeners the combination added (no-op with AbortSignal.any). */
  dispose(): void;
}

type AnyFn = (signals: AbortSignal[]) => AbortSignal;

/** A signal aborted as soon as any of `signals` is, with that signal's reason. */
export function combineSignals(signals: AbortSignal[]): CombinedSignal {
  if (signals.length === 1 && signals[0]) return { signal: signals[0], dispose() {} };
  const any = (AbortSignal as { any?: AnyFn }).any;
  if (typeof any === 'function') return { signal: any.call(AbortSignal, signals), dispose() {} };
  return combineManually(signals);
}

/** The fallback for runtimes without AbortSignal.any; exported so it is tested on every runtime. */
export function combineManually(signals: AbortSignal[]): CombinedSignal {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  const dispose = (): void => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  for (const source of signals) {
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = (): void => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => source.removeEventListener('abort', onAbort));
  }
  if (controller.signal.aborted) dispose();
  return { signal: controller.signal, dispose };
}
