/**
 * Results on their way to the history. A result is written once, in a batch with the results of
 * the same moment, and retried until the log answers: a store outage delays rows, never loses them
 * while the process lives (a crash leaves them `running`, for the reconciliation sweep). A failed
 * attempt's retry row is inserted before the result, so a crash in between leaves a retry, never a
 * failure without one. Bounded: when full, the claim loop stops claiming (back-pressure). While a
 * herd of runs is in flight the results wait for it to thin out, up to a bound (herd-hold.ts).
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { Execution } from '../execution.ts';
import type { ExecutionLog } from '../ports.ts';
import { toFinish } from './execution-rows.ts';
import type { HerdHold } from './herd-hold.ts';

export interface OutboxItem {
  /** The row in its final state. */
  row: Execution;
  /** The pending row of the next attempt, when the fire is retried. */
  retry: Execution | null;
}

export interface OutboxOptions {
  log: ExecutionLog;
  clock: Clock;
  /** Called once per batch after it is stored. */
  onWritten: (items: OutboxItem[]) => void;
  onError: (error: unknown) => void;
  capacity?: number;
  maxBatch?: number;
  /** Holds writes while a herd is in flight. */
  hold?: HerdHold;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

export class Outbox {
  private readonly options: OutboxOptions;
  private queue: OutboxItem[] = [];
  private readonly ids = new Set<string>();
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private backoff = 0;
  private timer: TimerHandle | undefined;
  private idle: (() => void)[] = [];
  readonly capacity: number;

  constructor(options: OutboxOptions) {
    this.options = options;
    this.capacity = options.capacity ?? 10_000;
  }

  get size(): number {
    return this.queue.length;
  }

  get full(): boolean {
    return this.queue.length >= this.capacity;
  }

  has(executionId: string): boolean {
    return this.ids.has(executionId);
  }

  push(item: OutboxItem): void {
    this.queue.push(item);
    this.ids.add(item.row.id);
    if (this.scheduled || this.writing || this.timer !== undefined) return;
    if (this.options.hold?.holds(() => this.drain())) return;
    this.scheduled = true;
    // After the current microtask turn, so the results of one moment become one batch.
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /** Resolves when everything pushed so far is stored, or false once `deadlineMs` passed first. */
  flush(deadlineMs: number): Promise<boolean> {
    if (this.queue.length === 0 && !this.writing) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = this.options.clock.setTimeout(() => resolve(false), deadlineMs);
      this.idle.push(() => {
        this.options.clock.clearTimeout(timer);
        resolve(true);
      });
      // A write waiting out its back-off, or held for a herd, goes now: the caller is waiting for it.
      if (this.timer !== undefined) {
        this.options.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.drain();
      } else if (this.options.hold?.holding) {
        this.options.hold.cancel();
        this.drain();
      }
    });
  }

  private drain(): void {
    if (this.writing || this.queue.length === 0) {
      if (this.queue.length === 0 && !this.writing) this.notifyIdle();
      return;
    }
    const batch = this.queue.slice(0, this.options.maxBatch ?? 2_000);
    this.writing = this.write(batch).then(
      () => {
        this.backoff = 0;
        this.queue.splice(0, batch.length);
        for (const item of batch) this.ids.delete(item.row.id);
        this.writing = null;
        try {
          this.options.onWritten(batch);
        } finally {
          if (this.queue.length === 0 || !this.options.hold?.holds(() => this.drain())) this.drain();
        }
      },
      (error: unknown) => {
        this.writing = null;
        this.options.onError(error);
        this.backoff = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoff * 2));
        this.timer = this.options.clock.setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, this.backoff);
      },
    );
  }

  private async write(batch: OutboxItem[]): Promise<void> {
    const retries = batch.flatMap((item) => (item.retry ? [item.retry] : []));
    // Insert is idempotent per id, so a batch whose reply was lost is safely written again.
    if (retries.length > 0) await this.options.log.insert(retries);
    await this.options.log.finish(batch.map((item) => toFinish(item.row)));
  }

  private notifyIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}
