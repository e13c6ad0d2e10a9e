import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisEventBus, type RedisEventBus } from '../../src/adapters/redis/event-bus.ts';
import { eventBusKeys } from '../../src/adapters/redis/keys.ts';
import { UnavailableError } from '../../src/core/errors.ts';
import { collector, eventBusContract, executionEvent, jobEvent } from '../contract/event-bus.contract.ts';
import { redisAvailability, uniquePrefix } from '../support/services.ts';
import { connect, dropPrefix, waitFor } from './redis-harness.ts';

const redis = await redisAvailability();

async function openPair(): Promise<{
  bus: RedisEventBus;
  other: RedisEventBus;
  errors: unknown[];
  prefix: string;
  close: () => Promise<void>;
}> {
  const prefix = uniquePrefix('event-bus');
  const errors: unknown[] = [];
  const a = connect();
  const b = connect();
  const bus = createRedisEventBus({ redis: a, prefix, onError: (error) => errors.push(error) });
  const other = createRedisEventBus({ redis: b, prefix, onError: (error) => errors.push(error) });
  return {
    bus,
    other,
    errors,
    prefix,
    close: async () => {
      await bus.close();
      await other.close();
      await dropPrefix(a, prefix);
      a.disconnect();
      b.disconnect();
    },
  };
}

eventBusContract(
  'redis',
  async () => {
    const pair = await openPair();
    return { ...pair, ready: async () => void (await Promise.all([pair.bus.ready(), pair.other.ready()])) };
  },
  { skip: !redis.available },
);

describe.skipIf(!redis.available)('redis EventBus', () => {
  it('concurrent publishers on two replicas get gap-free numbers seen in the same order everywhere', async () => {
    const pair = await openPair();
    try {
      const here = collector(pair.bus);
      const there = collector(pair.other);
      await Promise.all([pair.bus.ready(), pair.other.ready()]);
      for (let i = 0; i < 200; i++) {
        pair.bus.publish(jobEvent(`a${i}`));
        pair.other.publish(jobEvent(`b${i}`));
        if (i % 4 === 0) pair.other.publish(executionEvent(`e${i}`));
      }
      await here.until(450);
      await there.until(450);
      const view = (events: typeof here.events) => events.map((e) => `${e.stream}#${e.sequence}`);
      expect(view(here.events)).toEqual(view(there.events));
      const jobs = here.events.filter((e) => e.stream === 'job').map((e) => e.sequence);
      const executions = here.events.filter((e) => e.stream === 'execution').map((e) => e.sequence);
      expect(jobs).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      expect(executions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // Each replica's own events keep their publish order.
      const order = (p: string) =>
        here.events.flatMap((e) =>
          e.stream === 'job' && e.jobId.startsWith(p) ? [Number(e.jobId.slice(1))] : [],
        );
      expect(order('a')).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(order('b')).toEqual(Array.from({ length: 200 }, (_, i) => i));
    } finally {
      await pair.close();
    }
  });

  it('sequences never go back when Redis loses its counters (emptied or flushed)', async () => {
    const pair = await openPair();
    const client = connect();
    try {
      const there = collector(pair.other);
      await Promise.all([pair.bus.ready(), pair.other.ready()]);
      for (let i = 0; i < 5; i++) pair.bus.publish(jobEvent(`before${i}`));
      await there.until(5);
      await dropPrefix(client, pair.prefix);
      // The other replica publishes first after the loss: it has heard 5, so it goes on from there.
      pair.other.publish(jobEvent('after0'));
      pair.bus.publish(jobEvent('after1'));
      await there.until(7);
      expect(there.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      client.disconnect();
      await pair.close();
    }
  });

  it('a turn of publishes goes out as a few batch messages, heard in order with gap-free numbers', async () => {
    const pair = await openPair();
    const raw = connect();
    try {
      const messages: string[] = [];
      raw.on('message', (_channel: string, message: string) => messages.push(message));
      await raw.subscribe(eventBusKeys(pair.prefix).events);
      const there = collector(pair.other);
      await Promise.all([pair.bus.ready(), pair.other.ready()]);
      // A herd: 1,000 started events and 100 job events in one synchronous stretch.
      for (let i = 0; i < 1_000; i++) {
        pair.bus.publish(executionEvent(`e${i}`));
        if (i % 10 === 0) pair.bus.publish(jobEvent(`j${i}`));
      }
      await there.until(1_100);
      const executions = there.events.filter((e) => e.stream === 'execution');
      expect(executions.map((e) => e.sequence)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
      expect(executions.map((e) => (e.stream === 'execution' ? e.execution.id : ''))).toEqual(
        Array.from({ length: 1_000 }, (_, i) => `e${i}`),
      );
      const jobs = there.events.filter((e) => e.stream === 'job');
      expect(jobs.map((e) => e.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // Publish order across streams is kept too.
      expect(there.events.slice(0, 3).map((e) => e.stream)).toEqual(['execution', 'job', 'execution']);
      await waitFor(() => messages.length >= 5);
      expect(messages).toHaveLength(5); // 1,100 events, at most 256 a message
    } finally {
      raw.disconnect();
      await pair.close();
    }
  });

  it('a replica of the previous version (one message per event) is heard in order with the batches, on the same numbers', async () => {
    const pair = await openPair();
    const old = connect();
    try {
      const keys = eventBusKeys(pair.prefix);
      // The previous version's publishEvent script, as it ran: numbered on the same counters.
      const publishOld = (event: object, stream: 'job' | 'execution') =>
        old.eval(
          `local sequence = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], string.format('%d', sequence) .. ' ' .. ARGV[2])
return sequence`,
          1,
          keys.sequence(stream),
          keys.singleEvents,
          JSON.stringify(event),
        );
      const there = collector(pair.other);
      await Promise.all([pair.bus.ready(), pair.other.ready()]);
      for (let i = 0; i < 20; i++) {
        pair.bus.publish(jobEvent(`new${i}`));
        await publishOld(jobEvent(`old${i}`), 'job');
        if (i % 5 === 0) await publishOld(executionEvent(`olde${i}`), 'execution');
      }
      await there.until(44);
      const jobs = there.events.filter((e) => e.stream === 'job');
      expect(jobs.map((e) => e.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(jobs.filter((e) => e.jobId.startsWith('old')).map((e) => e.jobId)).toEqual(
        Array.from({ length: 20 }, (_, i) => `old${i}`),
      );
      const executions = there.events.filter((e) => e.stream === 'execution');
      expect(executions.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
      // A malformed message on the old channel is reported, not delivered, and nothing crashes.
      await old.publish(keys.singleEvents, 'x {not json');
      await waitFor(() => pair.errors.length >= 2);
      expect(there.events).toHaveLength(44);
    } finally {
      old.disconnect();
      await pair.close();
    }
  });

  it('a replica with no listener still follows the numbering, so after a loss it resumes above it', async () => {
    const pair = await openPair();
    const client = connect();
    try {
      const here = collector(pair.bus);
      await Promise.all([pair.bus.ready(), pair.other.ready()]);
      for (let i = 0; i < 5; i++) pair.bus.publish(jobEvent(`before${i}`));
      await here.until(5);
      await dropPrefix(client, pair.prefix);
      // `other` has no listener: it heard only batch headers, and publishes first after the loss.
      pair.other.publish(jobEvent('after0'));
      await here.until(6);
      expect(here.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      client.disconnect();
      await pair.close();
    }
  });

  it('reports an unreachable Redis through ready() and onError, never from publish', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    const errors: unknown[] = [];
    const bus = createRedisEventBus({
      redis: client,
      prefix: uniquePrefix('down'),
      onError: (e) => errors.push(e),
    });
    await expect(bus.ready()).rejects.toBeInstanceOf(UnavailableError);
    expect(() => bus.publish(jobEvent('j1'))).not.toThrow();
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(UnavailableError);
    await bus.close();
    client.disconnect();
  });
});
