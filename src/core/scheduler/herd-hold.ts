/**
 * Bookkeeping that yields to a herd in flight. While many handlers of this process run at once (a
 * herd of webhooks waiting for their answers), writing each moment's results and slot returns as
 * they come makes the stores' CPU, and this process's, compete with the herd's own I/O: the last
 * requests of the herd went out later. Held, they go when the herd thins out (the first flush
 * asked for once `busy()` is false) or HERD_HOLD_MS after the first held one, whichever comes first.
 * Nothing held is lost meanwhile: its rows stay `running` (accounted) and its slots leased.
 */
import type { Clock, TimerHandle } from '../clock.ts';

/** Handlers in flight from which this process counts as busy with a herd. */
export const HERD_RUNS = 64;
/** The longest a result or a slot return waits for a herd to thin out. */
export const HERD_HOLD_MS = 200;

export interface HerdHoldOptions {
  clock: Clock;
  busy: () => boolean;
}

export class HerdHold {
  private readonly o: HerdHoldOptions;
  private timer: TimerHandle | undefined;

  constructor(options: HerdHoldOptions) {
    this.o = options;
  }

  /**
   * Whether a flush asked for now waits for the herd. When it does, `flush` runs at the latest
   * HERD_HOLD_MS after the first held ask; when it does not, what was held goes with this flush.
   */
  holds(flush: () => void): boolean {
    if (!this.o.busy()) {
      this.cancel();
      return false;
    }
    if (this.timer === undefined) {
      this.timer = this.o.clock.setTimeout(() => {
        this.timer = undefined;
        flush();
      }, HERD_HOLD_MS);
    }
    return true;
  }

  /** Whether a flush is held now. */
  get holding(): boolean {
    return this.timer !== undefined;
  }

  /** What is held is flushed now by the caller: the held flush is dropped. */
  cancel(): void {
    if (this.timer === undefined) return;
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
