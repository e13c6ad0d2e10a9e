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
  /** Rows the fire pipeline is recording or keeps to write again: this replica's, not orphans. */
  recording: (executionId: string) => boolean;
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
  private active = false;
  private readonly timers = new Set<TimerHandle>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: SlotKeeperOptions) {
    this.o = options;
  }

  /**
   * Two loops, so that a store that hangs in one cannot stop the other: the pulse (heartbeat and
   * slot renewals: the job store only, every second) and housekeeping (settling the dead, reaping,
   * sweeping: the history too, every reap interval).
   */
  start(): void {
    this.active = true;
    const pulseEvery = Math.min(Math.floor(this.o.slotLeaseMs / 3), Math.floor(this.o.liveness.ttlMs / 3));
    this.loop(() => this.pulse(), pulseEvery);
    this.loop(() => this.housekeeping(), this.o.reapIntervalMs);
  }

  /** Stops after the rounds in flight, and ends this replica's life in the store. */
  async stop(): Promise<void> {
    this.active = false;
    for (const timer of this.timers) this.o.clock.local.clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.inFlight);
    await this.o.liveness
      .leave()
      .catch((error: unknown) => this.o.events.emit('error', { error, during: 'leave' }));
  }

  private loop(round: () => Promise<void>, everyMs: number): void {
    const current = round().finally(() => {
      this.inFlight.delete(current);
      if (!this.active) return;
      const timer = this.o.clock.local.setTimeout(() => {
        this.timers.delete(timer);
        this.loop(round, everyMs);
      }, everyMs);
      this.timers.add(timer);
    });
    this.inFlight.add(current);
  }

  private async pulse(): Promise<void> {
    try {
      await this.o.clock.sync(1);
      await this.o.liveness.beat();
    } catch (error) {
      this.o.events.emit('error', { error, during: 'heartbeat' });
    }
    try {
      const held = this.o.runner.heldSlots();
      // The renewal also reports the runs a cancel_other fire marked, on whichever replica it ran.
      if (held.length > 0)
        this.o.runner.cancelMarked(await this.o.store.renewSlots(held, this.o.slotLeaseMs));
    } catch (error) {
      this.o.events.emit('error', { error, during: 'renew slots' });
    }
  }

  private async housekeeping(): Promise<void> {
    try {
      await this.o.liveness.settleDead();
      await this.reap();
      await this.sweep();
    } catch (error) {
      this.o.events.emit('error', { error, during: 'housekeeping' });
    }
  }

  private isLocal(id: string): boolean {
    return this.o.runner.has(id) || this.o.outbox.has(id) || this.o.recording(id);
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
