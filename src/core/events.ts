/**
 * Everything that happens inside a scheduler, as a typed map. Listeners are called synchronously
 * through safeEmit: a listener that throws is reported to `listenerError` and never reaches the loop.
 */
import type { ExecutionEvent, JobEvent } from './ports.ts';

export interface SchedulerEventMap {
  execution: ExecutionEvent;
  job: JobEvent;
  /** One claim round: how many jobs were claimed, how many fires started, how long it took. */
  tick: { claimed: number; started: number; at: number; durationMs: number };
  /** A fire that lost the unique-key race (another replica, or a retaken claim, already recorded it). */
  duplicate: { jobId: string; scheduledFor: number; attempt: number };
  /** A claim whose commit did not go through (see CommitOutcome). */
  commit: { jobId: string; outcome: string };
  /** Work the loop survived: a store down, a batch that failed. The loop retries. */
  error: { error: unknown; during: string };
  listenerError: { error: unknown; event: string };
  /** A run started later than `lateStartMs` after its due time: this replica cannot keep up. */
  lateStart: { jobId: string; executionId: string; lateMs: number; thresholdMs: number };
  started: { instance: string };
  stopped: { instance: string; abandoned: number };
}

export type SchedulerEventName = keyof SchedulerEventMap;
type Listener<K extends SchedulerEventName> = (payload: SchedulerEventMap[K]) => void;

export class SchedulerEvents {
  private readonly listeners = new Map<SchedulerEventName, Set<Listener<never>>>();

  on<K extends SchedulerEventName>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Emit to every listener; never throws. */
  emit<K extends SchedulerEventName>(event: K, payload: SchedulerEventMap[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(payload);
      } catch (error) {
        if (event !== 'listenerError') this.emit('listenerError', { error, event });
      }
    }
  }
}
