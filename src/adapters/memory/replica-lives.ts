/** The replica lives of the memory job store (job-store.ts): each life's heartbeat expiry. */
import type { ReplicaLife, ReplicaStatus } from '../../core/ports.ts';
import { ScoreIndex } from './score-index.ts';

export class ReplicaLives {
  /** Life id -> heartbeat expiry. */
  private readonly expiries = new ScoreIndex();
  private readonly info = new Map<string, ReplicaLife>();

  /** See JobStore.heartbeat: false when the life was reaped (a life that ran out unreaped is revived). */
  heartbeat(life: ReplicaLife, expiry: number, first: boolean): boolean {
    if (!first && !this.expiries.has(life.id)) return false;
    this.expiries.set(life.id, expiry);
    this.info.set(life.id, { id: life.id, instance: life.instance, startedAt: life.startedAt });
    return true;
  }

  leave(lifeId: string): void {
    this.expiries.delete(lifeId);
    this.info.delete(lifeId);
  }

  isLive(lifeId: string, now: number): boolean {
    return (this.expiries.score(lifeId) ?? Number.NEGATIVE_INFINITY) > now;
  }

  /** Removes and returns the earliest life whose heartbeat ran out by `now`, with when it did. */
  takeExpired(now: number): { life: ReplicaLife; expiredAt: number } | null {
    const top = this.expiries.peek();
    if (!top || top.score > now) return null;
    const life = this.info.get(top.key) as ReplicaLife;
    this.leave(top.key);
    return { life, expiredAt: top.score };
  }

  /** The live ones, oldest first. */
  live(now: number): ReplicaStatus[] {
    return [...this.info.values()]
      .map((life) => ({ ...life, expiresAt: this.expiries.score(life.id) ?? 0 }))
      .filter((life) => life.expiresAt > now)
      .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  }
}
