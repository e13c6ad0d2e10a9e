import { describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/memory/event-bus.ts';
import { collector, eventBusContract, jobEvent } from '../contract/event-bus.contract.ts';

eventBusContract('memory', async () => {
  const errors: unknown[] = [];
  const bus = createMemoryEventBus({ onError: (error) => errors.push(error) });
  return { bus, other: bus, errors, ready: async () => {}, close: () => bus.close() };
});

describe('memory EventBus', () => {
  it('publish returns before any listener runs', async () => {
    const bus = createMemoryEventBus();
    const seen = collector(bus);
    bus.publish(jobEvent('j1'));
    expect(seen.events).toEqual([]);
    await seen.until(1);
    expect(seen.events[0]?.sequence).toBe(1);
  });

  it('a listener subscribed after a publish does not receive that event', async () => {
    const bus = createMemoryEventBus();
    const early = collector(bus);
    bus.publish(jobEvent('j1'));
    const late = collector(bus);
    bus.publish(jobEvent('j2'));
    await early.until(2);
    expect(late.events.map((e) => e.sequence)).toEqual([2]);
  });
});
