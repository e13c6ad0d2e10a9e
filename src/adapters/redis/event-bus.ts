/**
 * EventBus over Redis pub/sub. The events one replica publishes in one loop turn go out as one
 * batch: a Lua script numbers them and publishes them as one message in one step, so sequences are
 * gap-free and every replica sees them in order; local listeners hear events only through the
 * subscription (their own included), so all replicas see the same stream. A herd of 1,000 fires
 * publishes 2,000 events a second: one command and one message per event cost each replica a
 * socket write per event and a parse of every other replica's events; batches cost a few of each,
 * and a replica with no listener reads only a batch's header.
 */
import type { Redis } from 'ioredis';
import type { EventBus, SequencedEvent } from '../../core/ports.ts';
import { deliverEvent, type EventListener } from '../event-delivery.ts';
import { toStoreError } from './errors.ts';
import { eventBusKeys } from './keys.ts';
import { runScript } from './run-script.ts';
import { publishEventsScript } from './scripts/publish-event.ts';

export interface RedisEventBusOptions {
  /**
   * Client for publishing. The caller owns it: close() does not quit it. The bus creates (and
   * closes) one subscriber connection, a duplicate of this client.
   */
  redis: Redis;
  /** Key prefix; keys share the hash tag `{<prefix>}`. Default 'kairos'. */
  prefix?: string;
  /** A publish that failed (Redis unreachable) or a listener that threw. Default: console.error. */
  onError?: (error: unknown) => void;
}

export interface RedisEventBus extends EventBus {
  /** Resolves once Redis acknowledged the subscription: events published after that are heard. */
  ready(): Promise<void>;
}

type Stream = SequencedEvent['stream'];

/** Events per message at most: bounds a message (about 0.5 KB an event) and a subscriber's parse. */
const MAX_BATCH = 256;

export function createRedisEventBus(options: RedisEventBusOptions): RedisEventBus {
  const { redis } = options;
  const keys = eventBusKeys(options.prefix ?? 'kairos');
  const counterKeys = [keys.sequence('execution'), keys.sequence('job')];
  const onError = options.onError ?? ((error: unknown) => console.error('event bus error', error));
  const listeners = new Set<EventListener>();
  let closed = false;
  /** Per stream, the highest sequence published or heard here (see publishEventsScript). */
  const seen: Record<Stream, number> = { execution: 0, job: 0 };
  const note = (stream: Stream, sequence: number) => {
    if (sequence > seen[stream]) seen[stream] = sequence;
  };
  /** This turn's events, serialised at publish (a later mutation of the object changes nothing). */
  let pending: { stream: Stream; json: string }[] = [];
  let flushing = false;

  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // ioredis reconnects and resubscribes by itself
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === keys.singleEvents) return heardSingle(message);
    const header = message.split(' ', 4).map(Number) as [number, number, number, number];
    const [executionFirst, executionCount, jobFirst, jobCount] = header;
    if (!header.every(Number.isSafeInteger)) return onError(new Error(`bad event batch header`));
    note('execution', executionFirst + executionCount - 1);
    note('job', jobFirst + jobCount - 1);
    if (listeners.size === 0) return;
    let events: SequencedEvent[];
    try {
      const next: Record<Stream, number> = { execution: executionFirst, job: jobFirst };
      const start = message.indexOf('[');
      events = (JSON.parse(message.slice(start)) as SequencedEvent[]).map((event) => {
        event.sequence = next[event.stream]++;
        return event;
      });
    } catch (error) {
      onError(error);
      return;
    }
    const targets = [...listeners];
    for (const event of events) deliverEvent(event, targets, listeners, onError);
  });
  /** One event of a replica of the previous version (during a rolling upgrade). */
  const heardSingle = (message: string): void => {
    const space = message.indexOf(' ');
    let event: SequencedEvent;
    try {
      event = JSON.parse(message.slice(space + 1)) as SequencedEvent;
      event.sequence = Number(message.slice(0, space));
      if (!Number.isSafeInteger(event.sequence) || seen[event.stream] === undefined)
        throw new Error('bad single event message');
    } catch (error) {
      onError(error);
      return;
    }
    note(event.stream, event.sequence);
    if (listeners.size > 0) deliverEvent(event, [...listeners], listeners, onError);
  };
  // One connection for both channels: Redis sends its messages in the order they were published.
  const subscribed = subscriber.subscribe(keys.events, keys.singleEvents).then(
    () => undefined,
    (error: unknown) => {
      throw toStoreError(error);
    },
  );
  subscribed.catch(() => {}); // reported through ready(); not an unhandled rejection meanwhile

  const send = (batch: { stream: Stream; json: string }[]): void => {
    let executions = 0;
    for (const event of batch) if (event.stream === 'execution') executions++;
    const json = `[${batch.map((event) => event.json).join(',')}]`;
    runScript(redis, publishEventsScript, counterKeys, [
      keys.events,
      String(seen.execution),
      String(seen.job),
      String(executions),
      String(batch.length - executions),
      json,
    ]).then(
      (last) => {
        const [execution, job] = last as [number, number];
        note('execution', Number(execution));
        note('job', Number(job));
      },
      (error: unknown) => onError(toStoreError(error)),
    );
  };
  const flush = (): void => {
    flushing = false;
    const batch = pending;
    pending = [];
    if (closed) return;
    for (let from = 0; from < batch.length; from += MAX_BATCH) send(batch.slice(from, from + MAX_BATCH));
  };

  return {
    publish(event) {
      if (closed) return;
      let json: string;
      try {
        json = JSON.stringify(event);
      } catch (error) {
        onError(error);
        return;
      }
      pending.push({ stream: event.stream, json });
      if (!flushing) {
        flushing = true;
        setTimeout(flush, 0);
      }
    },
    subscribe(listener) {
      const entry: EventListener = (event) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    ready() {
      return subscribed;
    },
    async close() {
      // What was published before close still goes out (a stopping replica's last events).
      flush();
      closed = true;
      listeners.clear();
      // disconnect, not quit: quit waits for a reply that may never come when Redis is down.
      subscriber.disconnect();
    },
  };
}
