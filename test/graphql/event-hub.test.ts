/** The EventHub alone: fan-out, filtering by job, bounded queues, cut-off of slow subscribers, close. */
import { describe, expect, test } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/memory/event-bus.ts';
import type { Job } from '../../src/core/job.ts';
import type { BusEvent, EventBus } from '../../src/core/ports.ts';
import { EventHub, isOverflow } from '../../src/graphql/event-hub.ts';

function jobEvent(jobId: string, n: number): BusEvent {
  return { stream: 'job', type: 'updated', at: n, jobId, job: { id: jobId } as Job };
}

/** Publishes and lets the memory bus deliver (it delivers on a microtask). */
async function publish(bus: EventBus, events: BusEvent[]): Promise<void> {
  for (const event of events) bus.publish(event);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('EventHub', () => {
  test('a slow subscriber is cut off at its queue limit while a fast one receives everything', async () => {
    const bus = createMemoryEventBus();
    const hub = new EventHub(bus, { queueLimit: 100 });
    const fast = hub.subscribe('job', null);
    const slow = hub.subscribe('job', null);
    const received: number[] = [];
    const reading = (async () => {
      for await (const item of fast) {
        if (isOverflow(item)) throw new Error('the fast subscriber was cut off');
        received.push(item.sequence);
        if (received.length === 1_000) return;
      }
    })();
    // 1,000 events in bursts of 50: the fast reader keeps up, the slow one never reads.
    for (let burst = 0; burst < 20; burst++) {
      await publish(
        bus,
        Array.from({ length: 50 }, (_, i) => jobEvent('j', burst * 50 + i)),
      );
      // The slow one is detached as soon as it overflows (after 100 unread); the fast one stays.
      if (burst === 2) expect(hub.size).toBe(1);
    }
    await reading;
    expect(received).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));

    // The slow one's queue was dropped when it overflowed: it gets one overflow marker, then the end.
    const slowItems = [];
    for await (const item of slow) slowItems.push(item);
    expect(slowItems).toEqual([{ overflow: true, limit: 100 }]);
    expect(hub.size).toBe(0); // the fast reader's loop returned after 1,000
  });

  test('filters by job at the hub and keeps streams apart', async () => {
    const bus = createMemoryEventBus();
    const hub = new EventHub(bus);
    const onlyA = hub.subscribe('job', 'a');
    const executions = hub.subscribe('execution', null);
    await publish(bus, [jobEvent('b', 1), jobEvent('a', 2), jobEvent('b', 3), jobEvent('a', 4)]);
    const first = await onlyA.next();
    const second = await onlyA.next();
    expect([first.value, second.value].map((e) => (e && !isOverflow(e) ? e.at : null))).toEqual([2, 4]);
    hub.close();
    expect(await onlyA.next()).toEqual({ value: undefined, done: true });
    expect(await executions.next()).toEqual({ value: undefined, done: true });
  });

  test('a waiting reader gets the next event at once; close ends it; later subscribers end at once', async () => {
    const bus = createMemoryEventBus();
    const hub = new EventHub(bus);
    const sub = hub.subscribe('job', null);
    const pending = sub.next();
    await publish(bus, [jobEvent('x', 7)]);
    const got = await pending;
    expect(got.done).toBe(false);
    expect(!isOverflow(got.value) && got.value?.at).toBe(7);
    const waiting = sub.next();
    hub.close();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const late = hub.subscribe('job', null);
    expect(await late.next()).toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(1); // the first one until its consumer returns
    await sub.return?.();
    expect(hub.size).toBe(0);
  });

  test('return() detaches a subscriber and drops what it had queued', async () => {
    const bus = createMemoryEventBus();
    const hub = new EventHub(bus);
    const sub = hub.subscribe('job', 'a');
    await publish(bus, [jobEvent('a', 1)]);
    expect(hub.size).toBe(1);
    await sub.return?.();
    expect(hub.size).toBe(0);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
    await publish(bus, [jobEvent('a', 2)]);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
  });
  test('listens to the bus only while it has a subscription', async () => {
    const bus = createMemoryEventBus();
    let listening = 0;
    const counting = {
      ...bus,
      subscribe(listener: Parameters<typeof bus.subscribe>[0]) {
        listening++;
        const off = bus.subscribe(listener);
        return () => {
          listening--;
          off();
        };
      },
    };
    const hub = new EventHub(counting);
    expect(listening).toBe(0);
    const first = hub.subscribe('job', null);
    const second = hub.subscribe('execution', 'a');
    expect(listening).toBe(1);
    await publish(bus, [jobEvent('x', 1)]);
    expect((await first.next()).done).toBe(false);
    await first.return?.();
    expect(listening).toBe(1);
    await second.return?.();
    expect(listening).toBe(0);
    const again = hub.subscribe('job', null);
    expect(listening).toBe(1);
    await publish(bus, [jobEvent('y', 2)]);
    const got = await again.next();
    expect(!got.done && !isOverflow(got.value) && got.value.at).toBe(2);
    hub.close();
    expect(listening).toBe(0);
  });
});
