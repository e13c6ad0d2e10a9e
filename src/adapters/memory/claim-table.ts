/**
 * The claims of the memory job store (job-store.ts), as the Redis store keeps them: each claim's
 * token, job, lease and life, and per job its *current* claim, the one whose commit may move the
 * schedule (a schedule change made outside commit ends it, see dropCurrent).
 */
import { ScoreIndex } from './score-index.ts';

export class ClaimTable {
  /** Claim token -> lease expiry. */
  private readonly leases = new ScoreIndex();
  /** Claim token -> its job. */
  private readonly jobOf = new Map<string, string>();
  /** Job id -> token of the claim that holds its current fire. */
  private readonly current = new Map<string, string>();
  /** Claim token -> the life that holds it. */
  private readonly owners = new Map<string, string>();
  private fence = 0;

  /** A new claim, the job's current one; tokens are never reused. */
  issue(jobId: string, expiry: number, owner: string | undefined): string {
    const token = `m${++this.fence}`;
    this.jobOf.set(token, jobId);
    if (owner !== undefined) this.owners.set(token, owner);
    this.leases.set(token, expiry);
    this.current.set(jobId, token);
    return token;
  }

  /** Whether `token` is a claim of `jobId` that has not ended. */
  holds(token: string, jobId: string): boolean {
    return this.jobOf.get(token) === jobId;
  }

  isCurrent(jobId: string, token: string): boolean {
    return this.current.get(jobId) === token;
  }

  hasCurrent(jobId: string): boolean {
    return this.current.has(jobId);
  }

  /** The job's current fire is no longer held by a claim (its commit will be superseded). */
  dropCurrent(jobId: string): void {
    this.current.delete(jobId);
  }

  /** Ends the claim (the job's current claim stays so until dropCurrent). */
  end(token: string): void {
    this.jobOf.delete(token);
    this.leases.delete(token);
    this.owners.delete(token);
  }

  /** Ends and returns the earliest claim whose lease ran out by `now`, and whether it was current. */
  takeExpired(now: number): { jobId: string; current: boolean } | null {
    const top = this.leases.peek();
    if (!top || top.score > now) return null;
    const jobId = this.jobOf.get(top.key) as string;
    const current = this.isCurrent(jobId, top.key);
    this.end(top.key);
    return { jobId, current };
  }

  /** The life died: its claims expire now (any replica's next claimDue takes their fires back). Returns how many. */
  expireOwnedBy(lifeId: string, now: number): number {
    let count = 0;
    for (const [token, owner] of this.owners) {
      if (owner !== lifeId) continue;
      this.owners.delete(token);
      if (this.leases.has(token)) this.leases.set(token, now);
      count++;
    }
    return count;
  }

  /** The earliest lease expiry; undefined when there is no claim. */
  nextExpiry(): number | undefined {
    return this.leases.peek()?.score;
  }
}
