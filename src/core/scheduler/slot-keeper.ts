/**
 * Housekeeping of what runs: renews the slots this replica holds (its heartbeat while executions
 * run), reaps slots whose holder stopped renewing them, and sweeps `running` rows that no live run
 * holds (graphile-worker's stale-lock reset): a crash, a lost write, a replica that died between
 * recording a fire and starting it. Both settle those rows as ABANDONED. It runs once at start too,
 * which settles what a crash of the embedded store left behind.
 */
import type { TimerHandle } from '../clock.ts';
import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
import type { ExecutionEventType, ExecutionLog, JobStore } from '../ports.ts';
import type { Liveness } from './liveness.ts';
import type { Outbox } from './outbox.ts';
import type { Runner } from './runner.ts';
import type { StoreClock } from './store-clock.ts';

export interface SlotKeeperOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  runner: Runner;
  outbox: Outbox;
  liveness: Liveness;
  slotLeaseMs: number;
  reapIntervalMs: number;
  /** A running row this much past its due time with no held slot is settled as abandoned. */
  staleRunningMs: number;
  events: SchedulerEvents;
  publishExecution: (type: ExecutionEventType, execution: Execution) => void;
}

const BATCH = 500;

export class SlotKeeper {
  private readonly o: SlotKeeperOptions;
  private timer: TimerHandle | undefined;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private active = false;
  private current: Promise<void> | null = null;

  constructor(options: SlotKeeperOptions) {
    this.o = options;
  }

  start(): void {
    this.active = true;
    this.run();
  }

  /** Stops after the round in flight, and ends this replica's life in the store. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer !== undefined) this.o.clock.local.clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
    await this.o.liveness
      .leave()
      .catch((error: unknown) => this.o.events.emit('error', { error, during: 'leave' }));
  }

  private async renew(): Promise<void> {
    const held = this.o.runner.heldSlots();
    if (held.length > 0) await this.o.store.renewSlots(held, this.o.slotLeaseMs);
  }

  private run(): void {
    this.current = this.round().finally(() => {
      this.current = null;
      if (!this.active) return;
      const every = Math.min(
        Math.floor(this.o.slotLeaseMs / 3),
        Math.floor(this.o.liveness.ttlMs / 3),
        this.o.reapIntervalMs,
      );
      this.timer = this.o.clock.local.setTimeout(() => this.run(), every);
    });
  }

  private async round(): Promise<void> {
    try {
      await this.o.clock.sync(1);
      // First, and on its own: a failing sweep must not stop this replica's heartbeat.
      await this.o.liveness.beat();
    } catch (error) {
      this.o.events.emit('error', { error, during: 'heartbeat' });
    }
    try {
      await this.renew();
      const now = this.o.clock.local.now();
      if (now - this.lastSweep < this.o.reapIntervalMs) return;
      this.lastSweep = now;
      await this.reap();
      await this.sweep();
    } catch (error) {
      this.o.events.emit('error', { error, during: 'housekeeping' });
    }
  }

  private isLocal(id: string): boolean {
    return this.o.runner.has(id) || this.o.outbox.has(id);
  }

  private async reap(): Promise<void> {
    const expired = (await this.o.store.reapExpiredSlots(BATCH)).filter((s) => !this.isLocal(s.executionId));
    if (expired.length === 0) return;
    await this.settle(
      expired.map((slot) => slot.executionId),
      'abandoned: its replica stopped renewing its slot (it died or lost the job store)',
    );
  }

  private async sweep(): Promise<void> {
    const now = this.o.clock.now();
    const rows = (await this.o.log.listRunning(now - this.o.staleRunningMs, BATCH)).filter(
      (row) => !this.isLocal(row.id),
    );
    if (rows.length === 0) return;
    const held = await this.o.store.heldSlots(rows.map((row) => ({ jobId: row.jobId, executionId: row.id })));
    const orphans = rows.filter((_, i) => !held[i]).map((row) => row.id);
    if (orphans.length === 0) return;
    await this.settle(
      orphans,
      'abandoned: no live run holds it (its replica stopped or crashed before recording a result)',
    );
  }

  private async settle(ids: string[], reason: string): Promise<void> {
    const changed = await this.o.log.abandon(ids, this.o.clock.now(), reason);
    for (const row of changed) this.o.publishExecution('abandoned', row);
  }
}
