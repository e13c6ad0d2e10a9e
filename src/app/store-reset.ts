/**
 * What the app does when the Redis job store comes back empty or flushed (a StoreResetError from
 * a claim or commit: the epoch marker is gone): it says so loudly, declares the jobs file again,
 * and /readyz fails with the reason until that is done and for at least `holdMs`, so an operator
 * (or a load balancer) sees the incident rather than a replica that looks healthy with no jobs.
 */
import { StoreResetError } from '../adapters/redis/errors.ts';
import type { Scheduler } from '../core/scheduler/scheduler.ts';
import type { JsonLogger } from '../logger.ts';
import type { StoreCheck } from './readiness.ts';

export interface StoreResetOptions {
  scheduler: Scheduler;
  logger: JsonLogger;
  /** Declares the jobs file again; null when there is none. */
  redeclare: (() => Promise<void>) | null;
  now: () => number;
  holdMs?: number;
}

export interface StoreResetWatch {
  /** A failing readiness check while a reset is being handled, else null. */
  check(): StoreCheck | null;
}

export function watchStoreResets(options: StoreResetOptions): StoreResetWatch {
  const holdMs = options.holdMs ?? 10_000;
  let reset: { at: number; message: string; recovered: boolean } | null = null;
  options.scheduler.events.on('error', ({ error }) => {
    if (!(error instanceof StoreResetError)) return;
    const current = { at: options.now(), message: error.message, recovered: options.redeclare === null };
    reset = current;
    if (!options.redeclare) return;
    options.redeclare().then(
      () => {
        current.recovered = true;
        options.logger.warn('jobs file declared again after the job store was reset');
      },
      (cause: unknown) =>
        options.logger.error('declaring the jobs file again after the reset failed', { error: cause }),
    );
  });
  return {
    check() {
      if (!reset) return null;
      const holding = options.now() - reset.at < holdMs;
      if (reset.recovered && !holding) return null;
      const since = new Date(reset.at).toISOString();
      const state = reset.recovered
        ? 'jobs file declared again'
        : 'its data is lost until jobs are added again';
      return {
        name: 'storeReset',
        kind: 'redis',
        ok: false,
        error: `${reset.message} at ${since}; ${state}`,
      };
    },
  };
}
