/**
 * The store's clock as this replica best knows it: every replica judges "due" by the store's
 * clock (Redis TIME), so local timers aim at store time through an estimated skew.
 */
import type { Clock, TimerHandle } from '../clock.ts';

export type Cancel = () => void;

const KEPT_SAMPLES = 8;

export class StoreClock {
  readonly local: Clock;
  private readonly readStore: () => Promise<number>;
  /** Store clock minus local clock. */
  private skew = 0;
  private readonly samples: { rtt: number; skew: number }[] = [];

  constructor(local: Clock, readStore: () => Promise<number>) {
    this.local = local;
    this.readStore = readStore;
  }

  now(): number {
    return this.local.now() + this.skew;
  }

  /**
   * The store reads its clock somewhere inside the round trip, so the midpoint is off by at most
   * half of it: keep the sample with the shortest round trip among the recent ones (a loaded event
   * loop makes single samples noisy by tens of ms). Throws what the store threw.
   */
  async sync(samples: number): Promise<void> {
    for (let i = 0; i < samples; i++) {
      const before = this.local.now();
      const storeNow = await this.readStore();
      const after = this.local.now();
      this.samples.push({ rtt: after - before, skew: storeNow - (before + after) / 2 });
    }
    this.samples.splice(0, Math.max(0, this.samples.length - KEPT_SAMPLES));
    const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.skew = Math.round(best.skew);
  }

  /**
   * Run `fn` once the store clock reaches `storeTime`. Never calls `fn` synchronously, even when the
   * time has passed: a caller can always finish registering what `fn` will look at.
   * A timer that wakes early (Node timers may, by a millisecond) re-arms for the rest.
   */
  at(storeTime: number, fn: () => void): Cancel {
    let handle: TimerHandle | undefined;
    let cancelled = false;
    const check = () => {
      handle = undefined;
      if (cancelled) return;
      const remaining = storeTime - this.now();
      if (remaining > 0) handle = this.local.setTimeout(check, remaining);
      else fn();
    };
    handle = this.local.setTimeout(check, Math.max(0, storeTime - this.now()));
    return () => {
      cancelled = true;
      if (handle !== undefined) this.local.clearTimeout(handle);
    };
  }

  /** Local sleep that resolves after `ms`, or at once when cancelled. */
  sleep(ms: number): { done: Promise<void>; cancel: Cancel } {
    let handle: TimerHandle | undefined;
    let resolve: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
      handle = this.local.setTimeout(r, ms);
    });
    return {
      done,
      cancel: () => {
        if (handle !== undefined) this.local.clearTimeout(handle);
        resolve();
      },
    };
  }
}
