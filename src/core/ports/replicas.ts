/** Replica lives, as the JobStore port keeps them (job-store.ts). */
import type { Slot } from './slots.ts';

/**
 * One process's membership of the cluster. `id` is unique per life of a process: a replica that
 * was declared dead (it stopped heart-beating: killed, frozen, cut off) never comes back under it.
 * Claims, slots and running rows are held by a life, so the cluster can settle them when it ends.
 */
export interface ReplicaLife {
  id: string;
  /** The configured instance name (rows carry it as `instance`). */
  instance: string;
  startedAt: number;
}

export interface ReplicaStatus extends ReplicaLife {
  /** When its heartbeat runs out (store clock). */
  expiresAt: number;
}

/** A life whose heartbeat ran out, removed with everything it held (see reapDeadReplicas). */
export interface DeadReplica extends ReplicaLife {
  /** When its heartbeat ran out: from then on it could start nothing (the store fenced it). */
  expiredAt: number;
  /** The slots its runs held (those runs started, or were about to), now released. */
  slots: Slot[];
  /** How many of its claims were released (their fires are claimable again at once). */
  claims: number;
}
