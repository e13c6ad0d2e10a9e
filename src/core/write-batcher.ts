/**
 * Groups writes that arrive while a previous write is in flight into one call. When idle, a write
 * goes out at once (after the current microtask turn, so a loop of calls becomes one batch); under
 * load, batches grow by themselves. This is what lets the execution log keep up with thousands of
 * fires a second: one statement per batch instead of one per fire.
 */
export class WriteBatcher<T, R> {
  private queue: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private scheduled = false;

  private readonly write: (items: T[]) => Promise<R[]>;
  private readonly maxBatch: number;

  constructor(write: (items: T[]) => Promise<R[]>, maxBatch = 5_000) {
    this.write = write;
    this.maxBatch = maxBatch;
  }

  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything pushed so far is written. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else await Promise.resolve();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight = this.write(batch.map((entry) => entry.item)).then(
      (results) => {
        batch.forEach((entry, i) => {
          entry.resolve(results[i] as R);
        });
      },
      (error) => {
        for (const entry of batch) entry.reject(error);
      },
    );
    this.inFlight.finally(() => {
      this.inFlight = null;
      this.drain();
    });
  }
}
