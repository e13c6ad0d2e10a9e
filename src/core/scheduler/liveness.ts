/**
 * Replica liveness: this replica heart-beats its life in the job store, and settles the lives of
 * replicas whose heartbeat ran out (killed, frozen, cut off) the moment it does, instead of waiting
 * for every lease of theirs to run out (docs/design.md, section 11):
 * - their claims are released by the store, so their fires are claimed again at once;
 * - their runs that held a slot (started, or about to) are recorded ABANDONED;
 * - their rows that never started go back to `pending`, so a live replica runs them late (misfire
 *   grace judges them again at their start) instead of the fire being lost.
 *
 * A replica that finds its own life declared dead (it was frozen past its expiry) starts a new
 * life: nothing is started under the old one any more (the store fences its claims, commits and
 * slot requests), its runs not yet started are dropped (the cluster requeued them), and its runs
 * in flight are reported: their result is still written if the cluster has not settled them.
 */
import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
import { retryDelay } from '../job-factory.ts';
import type { DeadReplica, ExecutionEventType, ExecutionLog, JobStore, ReplicaLife } from '../ports.ts';
import type { Logger } from '../task.ts';
import { retryRow } from './execution-rows.ts';
import type { StoreClock } from './store-clock.ts';

export interface LivenessOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  instance: string;
  /** How long a heartbeat keeps a life live; the keeper beats several times within it. */
  ttlMs: number;
  logger: Logger;
  events: SchedulerEvents;
  publishExecution: (type: ExecutionEventType, execution: Execution) => void;
  /** The old life was declared dead: drop what waits under it. Returns the runs still in flight. */
  onLifeEnded: (oldLife: string) => number;
  /** Rows went back to pending, the earliest due at `dueAt`: look for them now. */
  onRequeued: (dueAt: number) => void;
}

const REAP_LIMIT = 16;
/** Heartbeats between two counts of the live replicas (for the claim share). */
const PEER_COUNT_EVERY = 5;
const ROWS_PER_PAGE = 500;

export class Liveness {
  private readonly o: LivenessOptions;
  private life: ReplicaLife;
  private registered = false;
  private peers = 1;
  private beats = 0;
  private beating: Promise<void> | null = null;
  get ttlMs(): number {
    return this.o.ttlMs;
  }

  /** Lives of this process declared dead so far (a frozen process comes back under a new one). */
  lostLives = 0;

  constructor(options: LivenessOptions) {
    this.o = options;
    this.life = this.newLife();
  }

  /**
   * The life this replica acts under now: owner of its claims, slots and running rows. Undefined
   * until the first heartbeat registered it (then nothing is tied to a life: leases alone apply).
   */
  get id(): string | undefined {
    return this.registered ? this.life.id : undefined;
  }

  /**
   * One heartbeat (the job store only). Throws what the store throws. Callers at the same time
   * (the pulse, a fenced claim or slot request) share one: a life is never replaced twice.
   */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = null;
    });
    return this.beating;
  }

  /** Live replicas (this one included) as of the last count, taken every few heartbeats. */
  get livePeers(): number {
    return this.peers;
  }

  private async beatOnce(): Promise<void> {
    const live = await this.o.store.heartbeat(this.life, this.o.ttlMs, !this.registered);
    if (live) {
      this.registered = true;
    } else {
      this.lifeEnded();
      await this.o.store.heartbeat(this.life, this.o.ttlMs, true);
      this.registered = true;
    }
    // A count that fails keeps the last one: it only tunes the claim share.
    if (this.beats++ % PEER_COUNT_EVERY === 0)
      this.peers = Math.max(1, (await this.o.store.replicas().catch(() => [])).length || this.peers);
  }

  /** A clean stop: the life ends now rather than at its expiry. */
  async leave(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    await this.o.store.leave(this.life.id);
  }

  private lifeEnded(): void {
    const old = this.life;
    this.life = this.newLife();
    this.lostLives++;
    const inFlight = this.o.onLifeEnded(old.id);
    this.o.logger.error(
      'this replica was declared dead (it stopped heart-beating: frozen, or cut off from the job store); ' +
        'the cluster released its claims and slots. It goes on under a new life',
      { oldLife: old.id, newLife: this.life.id, runsInFlight: inFlight },
    );
    this.o.events.emit('error', {
      error: new Error(`replica life ${old.id} was declared dead`),
      during: 'heartbeat',
    });
  }

  /** Takes over the work of the lives that ran out. */
  async settleDead(): Promise<void> {
    for (;;) {
      const dead = await this.o.store.reapDeadReplicas(REAP_LIMIT);
      for (const replica of dead) await this.settle(replica);
      if (dead.length < REAP_LIMIT) return;
    }
  }

  private async settle(replica: DeadReplica): Promise<void> {
    const started = new Set(replica.slots.map((slot) => slot.executionId));
    const at = this.o.clock.now();
    const reason = `abandoned: its replica ${replica.instance} died while it ran (its heartbeat ran out)`;
    const abandoned = [...(await this.o.log.abandon([...started], at, reason))];
    const recovered = await this.recover(abandoned, at);
    // A row that held no slot never started, or ran and gave its slot back before its result was
    // written (slots go back when the handler ends). Only a row due once the life had run out
    // surely never ran (the store refuses a dead life's slot requests): it is run by a live
    // replica. The others may have run, so they are settled, never run a second time.
    let requeued = 0;
    const unsure: Execution[] = [];
    for (;;) {
      const rows = await this.o.log.listRunningOf(replica.id, ROWS_PER_PAGE);
      const waiting = rows.filter((row) => !started.has(row.id));
      const later = waiting.filter((row) => (row.dueAt ?? row.scheduledFor) >= replica.expiredAt);
      const maybeRan = waiting.filter((row) => (row.dueAt ?? row.scheduledFor) < replica.expiredAt);
      if (later.length > 0) {
        const back = await this.o.log.requeue(later.map((row) => row.id));
        requeued += back.length;
        const earliest = back[0]?.dueAt;
        if (earliest != null) this.o.onRequeued(earliest);
      }
      if (maybeRan.length > 0) {
        const why = `abandoned: its replica ${replica.instance} died around its due time (it may have run; it is not run again)`;
        unsure.push(
          ...(await this.o.log.abandon(
            maybeRan.map((row) => row.id),
            at,
            why,
          )),
        );
      }
      if (rows.length < ROWS_PER_PAGE || waiting.length === 0) break;
    }
    abandoned.push(...unsure);
    for (const row of abandoned) this.o.publishExecution('abandoned', row);
    this.o.logger.warn('replica died: its work was taken over', {
      replica: replica.instance,
      life: replica.id,
      claimsReleased: replica.claims,
      runsAbandoned: abandoned.length,
      runsRetried: recovered,
      firesRequeued: requeued,
    });
  }

  /**
   * A run lost with its replica counts as a failed attempt: when the job's retry policy allows
   * another, it is stored as the next attempt (Quartz's requestsRecovery, as a policy the job
   * already has). With one attempt (the default) the record stays ABANDONED.
   */
  private async recover(abandoned: Execution[], at: number): Promise<number> {
    const retries: Execution[] = [];
    for (const row of abandoned) {
      const job = await this.o.store.get(row.jobId);
      if (!job || job.paused || row.attempt >= job.retry.attempts) continue;
      const dueAt = at + retryDelay(job.retry, row.attempt, Math.random);
      retries.push(retryRow(row, dueAt, { instance: this.o.instance, now: at }));
    }
    if (retries.length === 0) return 0;
    await this.o.log.insert(retries);
    for (const retry of retries) this.o.publishExecution('scheduled', retry);
    this.o.onRequeued(Math.min(...retries.map((r) => r.dueAt ?? at)));
    return retries.length;
  }

  private newLife(): ReplicaLife {
    return {
      id: `${this.o.instance}/${crypto.randomUUID().slice(0, 8)}`,
      instance: this.o.instance,
      startedAt: this.o.clock.local.now(),
    };
  }
}
