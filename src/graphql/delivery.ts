/**
 * Event delivery in bounded slices, so that feeding subscribers can never starve queries and
 * mutations (issue 8: 250 SSE readers at ~1,900 events/s once pushed query latency to 19.7 s).
 *
 * Work that scales with the number of subscribers (an SSE client's socket write) is not done at
 * push time but queued here; a slice runs the queue for at most `budgetMs` and `maxTasks` tasks,
 * then gives the event loop back (setImmediate: after the I/O callbacks of this turn, so a request
 * that arrived is read and answered between two slices) and goes on in the next turn. Each client is queued once
 * however many events arrive meanwhile, so under load it gets fewer, larger writes: the busier
 * the process, the cheaper each event.
 *
 * One scheduler per process (`delivery`): there is one event loop to share.
 */

type Defer = (run: () => void) => void;

/**
 * setImmediate where there is one (Node, Bun, Deno 2), a zero timeout elsewhere; the slice itself
 * runs as a microtask of that turn. On Node that matters: a write into a Node stream queues its
 * read-more step with process.nextTick, which runs after the microtasks, so a pending pull that a
 * task settles (sse-stream.ts) has settled by then and the stream asks for more at once, as it does
 * when the write happens on a promise's continuation.
 */
const deferTurn: Defer =
  typeof globalThis.setImmediate === 'function'
    ? (run) => {
        globalThis.setImmediate(() => queueMicrotask(run));
      }
    : (run) => {
        setTimeout(() => queueMicrotask(run), 0);
      };

/** Milliseconds of delivery work per turn of the event loop. */
export const DELIVERY_BUDGET_MS = 4;

/**
 * Tasks per slice, whatever the clock says. An SSE write's socket work (node:http corks a write
 * and sends it on process.nextTick) happens after the task returns, so the budget does not see it;
 * with 200 clients it was most of the cost, and capping the writes per turn halved the latency of
 * a query sent meanwhile (test/service/subscriber-load.test.ts).
 */
export const DELIVERY_MAX_TASKS = 32;

export class DeliveryScheduler {
  private tasks: (() => void)[] = [];
  private head = 0;
  private pending = false;
  private readonly budgetMs: number;
  private readonly maxTasks: number;
  private readonly defer: Defer;

  constructor(budgetMs = DELIVERY_BUDGET_MS, maxTasks = DELIVERY_MAX_TASKS, defer: Defer = deferTurn) {
    this.budgetMs = budgetMs;
    this.maxTasks = maxTasks;
    this.defer = defer;
  }

  /** Tasks waiting for a slice. */
  get backlog(): number {
    return this.tasks.length - this.head;
  }

  /** Runs `task` in a coming slice, after the tasks queued before it. A task must not throw. */
  schedule(task: () => void): void {
    this.tasks.push(task);
    if (this.pending) return;
    this.pending = true;
    this.defer(this.run);
  }

  /** Resolves in a coming slice: a loop that does delivery work awaits it to give the loop back. */
  turn(): Promise<void> {
    return new Promise((resolve) => this.schedule(resolve));
  }

  private readonly run = (): void => {
    const deadline = performance.now() + this.budgetMs;
    let ran = 0;
    // Tasks queued while the slice runs go to the end of the line, as they should.
    while (this.head < this.tasks.length) {
      const task = this.tasks[this.head] as () => void;
      this.tasks[this.head++] = undefined as never;
      try {
        task();
      } catch {
        // A task reports its own failures; one that throws must not stop everyone else's delivery.
      }
      if (++ran >= this.maxTasks || performance.now() >= deadline) break;
    }
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
      this.pending = false;
      return;
    }
    if (this.head >= 1024) {
      this.tasks = this.tasks.slice(this.head);
      this.head = 0;
    }
    this.defer(this.run);
  };
}

export const delivery = new DeliveryScheduler();
