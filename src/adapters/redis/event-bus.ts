/**
 * EventBus over Redis pub/sub. A Lua script numbers each event and publishes it in one step, so
 * sequences are gap-free and every replica sees them in order; local listeners hear events only
 * through the subscription (their own included), so all replicas see the same stream.
 */
import type { Redis } from 'ioredis';
import type { EventBus, SequencedEvent } from '../../core/ports.ts';
import { toStoreError } from './errors.ts';
import { eventBusKeys } from './keys.ts';
import { runScript } from './run-script.ts';
import { publishEventScript } from './scripts/publish-event.ts';

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

type Listener = (event: SequencedEvent) => void;

export function createRedisEventBus(options: RedisEventBusOptions): RedisEventBus {
  const { redis } = options;
  const keys = eventBusKeys(options.prefix ?? 'kairos');
  const onError = options.onError ?? ((error: unknown) => console.error('event bus error', error));
  const listeners = new Set<Listener>();
  let closed = false;
  /** Per stream, the highest sequence published or heard here (see publishEventScript). */
  const seen = new Map<string, number>();
  const note = (stream: string, sequence: number) => {
    if (sequence > (seen.get(stream) ?? 0)) seen.set(stream, sequence);
  };

  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // ioredis reconnects and resubscribes by itself
  subscriber.on('message', (_channel: string, message: string) => {
    const space = message.indexOf(' ');
    let event: SequencedEvent;
    try {
      event = { ...JSON.parse(message.slice(space + 1)), sequence: Number(message.slice(0, space)) };
    } catch (error) {
      onError(error);
      return;
    }
    note(event.stream, event.sequence);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  });
  const subscribed = subscriber.subscribe(keys.events).then(
    () => undefined,
    (error: unknown) => {
      throw toStoreError(error);
    },
  );
  subscribed.catch(() => {}); // reported through ready(); not an unhandled rejection meanwhile

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
      const stream = event.stream;
      runScript(
        redis,
        publishEventScript,
        [keys.sequence(stream)],
        [keys.events, json, String(seen.get(stream) ?? 0)],
      ).then(
        (sequence) => note(stream, Number(sequence)),
        (error: unknown) => onError(toStoreError(error)),
      );
    },
    subscribe(listener) {
      const entry: Listener = (event) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    ready() {
      return subscribed;
    },
    async close() {
      closed = true;
      listeners.clear();
      // disconnect, not quit: quit waits for a reply that may never come when Redis is down.
      subscriber.disconnect();
    },
  };
}
