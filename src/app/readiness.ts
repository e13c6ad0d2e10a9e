/**
 * /readyz: the scheduler runs and both stores answer within a timeout. Each check is named, so a
 * 503 says which store is down and why.
 */
import type { Stores } from './stores.ts';

export interface StoreCheck {
  name: 'jobStore' | 'executionLog' | 'scheduler' | 'storeReset';
  /** What backs it: redis, memory, postgres, pglite. */
  kind: string;
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: StoreCheck[];
}

export interface ReadinessOptions {
  stores: Pick<Stores, 'store' | 'storeKind' | 'logKind' | 'ping'>;
  /** How long each store check waits. */
  timeoutMs: number;
  /** The app's lifecycle state, and whether the scheduler loop runs. */
  scheduler: () => { state: string; running: boolean };
  /** Checks that fail for a while after an incident (see store-reset.ts). */
  incidents?: () => (StoreCheck | null)[];
}

export function createReadiness({
  stores,
  timeoutMs,
  scheduler,
  incidents,
}: ReadinessOptions): () => Promise<Readiness> {
  const probe = async (
    name: StoreCheck['name'],
    kind: string,
    check: () => Promise<unknown>,
  ): Promise<StoreCheck> => {
    try {
      await withTimeout(check(), timeoutMs, `no answer within ${timeoutMs} ms`);
      return { name, kind, ok: true };
    } catch (error) {
      return { name, kind, ok: false, error: describeError(error) };
    }
  };
  return async () => {
    const checks = await Promise.all([
      probe('jobStore', stores.storeKind, () => stores.store.now()),
      probe('executionLog', stores.logKind, () => stores.ping()),
    ]);
    const { state, running } = scheduler();
    const ok = state === 'started' && running;
    checks.unshift({ name: 'scheduler', kind: state, ok, ...(ok ? {} : { error: `is ${state}` }) });
    for (const incident of incidents?.() ?? []) if (incident) checks.push(incident);
    return { ready: checks.every((c) => c.ok), checks };
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // UnavailableError says "Redis is unavailable"; the cause says why (ECONNREFUSED, timeout).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
