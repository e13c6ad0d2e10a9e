/**
 * The claim loop: sleeps until the earliest due time (capped at maxSleepMs, woken early by schedule
 * changes), claims due jobs and due retries, and hands each batch to the fire pipeline.
 *
 * Bookkeeping (claim, insert, commit) for 1,000 fires takes tens of milliseconds, so fires are
 * claimed a little ahead of their due time (an adaptive lookahead, twice the recent bookkeeping
 * time) and started by the runner's timers at their due time. A full batch means more is waiting:
 * the next claim goes out while the previous batch is still being recorded (up to
 * MAX_ROUNDS_IN_FLIGHT), so a burst drains at the rate of the stores, not of one round trip after
 * another. A failed round backs off exponentially; its fires were handed back by the pipeline.
 * With peers, a tick takes its share of the herd it finds (see ClaimBatch.remaining), leaves the
 * rest to them for a moment, then takes whatever they left.
 */
import type { TimerHandle } from '../clock.ts';
import { ReplicaExpiredError } from '../errors.ts';
import type { SchedulerEvents } from '../events.ts';
import type { ClaimBatch, JobStore } from '../ports.ts';
import type { Logger } from '../task.ts';
import type { ExtraRuns } from './extra-runs.ts';
import type { FirePipeline } from './fire-pipeline.ts';
import type { Outbox } from './outbox.ts';
import type { StoreClock } from './store-clock.ts';

export interface ClaimLoopOptions {
  store: JobStore;
  clock: StoreClock;
  pipeline: FirePipeline;
  extra: ExtraRuns;
  outbox: Outbox;
  events: SchedulerEvents;
  logger: Logger;
  /** The replica life claims are taken under (see Liveness). */
  owner: () => string | undefined;
  /** Heart-beat now: revives the life, or starts a new one (see Liveness.beat). */
  rejoin: () => Promise<void>;
  /** How many replicas are live (this one included), as last seen: a round claims its share. */
  peers: () => number;
  claimBatchSize: number;
  claimLeaseMs: number;
  maxSleepMs: number;
  maxLookaheadMs: number;
}

const MIN_LOOKAHEAD_MS = 5;
/** The smallest claim of a round, however many peers. */
const MIN_SHARE = 50;
const MAX_ROUNDS_IN_FLIGHT = 4;
/** While the outbox is full (or commits wait for a retry), look again this often. */
const BACKPRESSURE_MS = 100;
const SLEEP_ERROR_MS = 250;

export class ClaimLoop {
  private readonly o: ClaimLoopOptions;
  private active = false;
  private timer: TimerHandle | undefined;
  private target = 0;
  private armSeq = 0;
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  private failures = 0;
  private lastClaimEmpty = false;
  /** After taking its share of a herd, leave the rest to the peers until then (local ms). */
  private leaveUntil = 0;
  /** The last tick left fires to peers: this one takes what is still there. */
  private leftToPeers = false;
  /** Recent bookkeeping time of a claim round (decaying maximum), ms. */
  private bookkeepingMs = 100;

  constructor(options: ClaimLoopOptions) {
    this.o = options;
  }

  start(): void {
    this.active = true;
    this.wake();
  }

  /** Claim nothing more; resolves when the rounds in flight are done. */
  async stop(): Promise<void> {
    this.active = false;
    this.clearTimer();
    await this.ticking;
  }

  /** Re-examine the schedule now (a job was added or rescheduled). */
  wake(): void {
    if (!this.active) return;
    this.clearTimer();
    void this.tick();
  }

  lookaheadMs(): number {
    const own = Math.min(
      this.o.maxLookaheadMs,
      Math.max(MIN_LOOKAHEAD_MS, Math.ceil(2 * this.bookkeepingMs)),
    );
    // With peers, every replica looks the same way ahead, so a herd wakes them all at once and
    // their rounds interleave. Each replica's own (adaptive) lookahead made the busiest one (the
    // slowest rounds) wake first and take the herd's larger part, which made it busier still.
    if (this.o.peers() > 1) return Math.max(own, Math.ceil(this.o.maxLookaheadMs / 2));
    return own;
  }

  private clearTimer(): void {
    this.armSeq++;
    if (this.timer !== undefined) this.o.clock.local.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = this.rounds().finally(() => {
      this.ticking = null;
      void this.arm();
    });
    return this.ticking;
  }

  private async rounds(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    let rejoined = false;
    // With peers, this tick's share of the herd it finds (claimed + still due) / live replicas,
    // unless the last tick already left fires to them: whatever they did not take is ours now.
    let share = Number.POSITIVE_INFINITY;
    let taken = 0;
    const capped = !this.leftToPeers;
    this.leftToPeers = false;
    do {
      this.tickAgain = false;
      if (!this.active || failed || this.o.outbox.full) break;
      const began = this.o.clock.local.now();
      const lookahead = this.lookaheadMs();
      // With peers, a round claims a share of the batch and the next round waits a turn of the
      // loop, so replicas woken by the same herd interleave their claims: each takes what it
      // gets to, and a saturated replica (slower rounds) takes less.
      const peers = Math.max(1, this.o.peers());
      const limit = Math.min(share - taken, Math.max(MIN_SHARE, Math.ceil(this.o.claimBatchSize / peers)));
      if (limit <= 0) break; // woken after our share was taken: the peers' turn stands
      let batch: ClaimBatch;
      try {
        await this.o.pipeline.retryCommits(this.o.clock.now());
        batch = await this.o.store.claimDue(limit, this.o.claimLeaseMs, lookahead, this.o.owner());
      } catch (error) {
        if (error instanceof ReplicaExpiredError && !rejoined) {
          // Our life ran out (Redis was away, or we were frozen): heart-beat now rather than at
          // the next pulse, and claim again at once under the life it leaves us with.
          rejoined = true;
          if (
            await this.o.rejoin().then(
              () => true,
              () => false,
            )
          ) {
            this.tickAgain = true;
            continue;
          }
        }
        this.failed(error, 'claim');
        break;
      }
      const claimed = batch.claims.length + batch.poisoned.length;
      this.lastClaimEmpty = claimed === 0;
      if (capped && peers > 1 && batch.remaining !== undefined && share === Number.POSITIVE_INFINITY)
        share = Math.max(MIN_SHARE, Math.ceil((claimed + batch.remaining) / peers));
      taken += claimed;
      const round = this.o.pipeline.process(batch, batch.now + lookahead).then(
        (started) => {
          if (claimed > 0) {
            this.bookkeepingMs = Math.max(this.o.clock.local.now() - began, this.bookkeepingMs * 0.8);
          }
          this.failures = 0;
          this.o.events.emit('tick', {
            claimed,
            started,
            at: batch.now,
            durationMs: this.o.clock.local.now() - began,
          });
        },
        (error: unknown) => {
          failed = true;
          this.failed(error, 'fire round');
        },
      );
      inFlight.add(round);
      void round.finally(() => inFlight.delete(round));
      try {
        await this.o.extra.claimDue(batch.now, batch.now + lookahead);
      } catch (error) {
        // Pending retries stay stored; the next round looks again.
        this.o.events.emit('error', { error, during: 'claim retries' });
      }
      if (taken >= share && (batch.remaining ?? 0) > 0) {
        // Our share is taken: the peers get a quarter of the lookahead to take theirs, then the
        // next tick takes what is left (a peer that died or cannot keep up), still before due.
        this.leftToPeers = true;
        this.leaveUntil = this.o.clock.local.now() + Math.ceil(lookahead / 4);
        await round;
      } else if (claimed >= limit) {
        this.tickAgain = true;
        if (inFlight.size >= MAX_ROUNDS_IN_FLIGHT) await Promise.race(inFlight);
        else if (peers > 1) await new Promise<void>((resolve) => this.o.clock.local.setTimeout(resolve, 0));
      } else {
        await round;
      }
    } while (this.tickAgain);
    await Promise.all(inFlight);
  }

  private failed(error: unknown, during: string): void {
    this.failures++;
    this.o.events.emit('error', { error, during });
  }

  /** Sleep until the earliest due time (capped); a timer that wakes early re-arms for the rest. */
  private async arm(): Promise<void> {
    if (!this.active) return;
    this.clearTimer();
    const seq = this.armSeq;
    let delay = this.o.maxSleepMs;
    if (this.failures > 0) {
      // Capped at the normal sleep: firing must resume within a second or two of a store's return.
      delay = Math.min(this.o.maxSleepMs, 50 * 2 ** Math.min(this.failures, 10));
    } else if (this.o.outbox.full || this.o.pipeline.pendingCommits > 0) {
      delay = BACKPRESSURE_MS;
    } else {
      try {
        const wake = await this.o.store.nextWakeAt();
        const earliest = Math.min(wake ?? Number.POSITIVE_INFINITY, this.o.extra.wakeAt());
        if (earliest !== Number.POSITIVE_INFINITY)
          delay = Math.min(
            this.o.maxSleepMs,
            Math.max(0, earliest - this.lookaheadMs() - this.o.clock.now()),
          );
      } catch (error) {
        // Not knowing when the next fire is due is no reason to sleep long: look again soon.
        delay = Math.min(this.o.maxSleepMs, SLEEP_ERROR_MS);
        this.o.events.emit('error', { error, during: 'sleep' });
      }
    }
    if (seq !== this.armSeq || !this.active) return; // woken meanwhile
    if (this.leftToPeers) delay = Math.max(delay, this.leaveUntil - this.o.clock.local.now());
    // Nothing was claimable yet something is "due": our skew estimate is off by a hair; don't spin.
    if (delay === 0 && this.lastClaimEmpty) delay = 1;
    this.target = this.o.clock.local.now() + delay;
    this.timer = this.o.clock.local.setTimeout(() => this.onTimer(seq), delay);
  }

  private onTimer(seq: number): void {
    if (seq !== this.armSeq) return;
    this.timer = undefined;
    const early = this.target - this.o.clock.local.now();
    if (early > 0) {
      // Timers may fire a little early; firing now would claim nothing and re-arm from the wrong slot.
      this.timer = this.o.clock.local.setTimeout(() => this.onTimer(seq), early);
      return;
    }
    void this.tick();
  }
}
