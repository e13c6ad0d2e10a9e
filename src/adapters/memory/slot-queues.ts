/**
 * The wait queues of the memory job store (overlap policies; the Redis store's is
 * scripts/queued-slots.ts, with the same rules): per job, the executions waiting for a slot in
 * order, each place leased like a slot, and the holders a cancel_other fire marked.
 */
interface Place {
  order: number;
  expiry: number;
}

export class SlotQueues {
  private readonly queues = new Map<string, Map<string, Place>>();
  private readonly marks = new Set<string>();

  /** Drops the places whose lease ran out (their replica stopped asking). */
  purge(jobId: string, now: number): void {
    const queue = this.queues.get(jobId);
    if (!queue) return;
    for (const [execution, place] of queue) if (place.expiry <= now) queue.delete(execution);
    if (queue.size === 0) this.queues.delete(jobId);
  }

  /** Whether `execution` may take a free slot: nobody waits, or it is first in line. */
  mayTake(jobId: string, execution: string): boolean {
    const first = this.ordered(jobId)[0];
    return first === undefined || first === execution;
  }

  /** Keeps or takes a place (false when the queue holds `limit` others already). */
  offer(jobId: string, execution: string, order: number, limit: number, expiry: number): boolean {
    let queue = this.queues.get(jobId);
    if (!queue?.has(execution) && (queue?.size ?? 0) >= limit) return false;
    if (!queue) {
      queue = new Map();
      this.queues.set(jobId, queue);
    }
    queue.set(execution, { order, expiry });
    return true;
  }

  /** Marks the oldest unmarked holders until there is one marked holder per waiter; returns the new marks. */
  markOldest(jobId: string, holders: string[]): string[] {
    const sorted = [...holders].sort();
    const need = Math.min(this.queues.get(jobId)?.size ?? 0, sorted.length);
    let have = sorted.filter((holder) => this.marks.has(holder)).length;
    const marked: string[] = [];
    for (const holder of sorted) {
      if (have >= need) break;
      if (this.marks.has(holder)) continue;
      this.marks.add(holder);
      marked.push(holder);
      have++;
    }
    return marked;
  }

  isMarked(execution: string): boolean {
    return this.marks.has(execution);
  }

  /** The execution took its slot, or gave its place or slot back. */
  forget(jobId: string, execution: string): void {
    this.marks.delete(execution);
    const queue = this.queues.get(jobId);
    queue?.delete(execution);
    if (queue?.size === 0) this.queues.delete(jobId);
  }

  private ordered(jobId: string): string[] {
    const queue = this.queues.get(jobId);
    if (!queue) return [];
    return [...queue.entries()]
      .sort(([a, pa], [b, pb]) => pa.order - pb.order || (a < b ? -1 : a > b ? 1 : 0))
      .map(([execution]) => execution);
  }
}
