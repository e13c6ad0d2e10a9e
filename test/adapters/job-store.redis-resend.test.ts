/**
 * A reply lost on the way back (the connection cut after Redis ran the command): ioredis
 * reconnects and sends the command again. An add, update or removal resent that way finds its own
 * write done, and must answer what it did ("added", "updated", the removed job), not "already
 * exists", "version conflict" or "no such job". Through a proxy in front of the shared Redis
 * that drops one script reply and cuts that connection.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { ConflictError } from '../../src/core/errors.ts';
import { makeJob } from '../contract/job-store.contract.ts';
import { REDIS_URL, redisAvailability, uniquePrefix } from '../support/services.ts';
import { dropPrefix } from './redis-harness.ts';

const redis = await redisAvailability();

/** Forwards both ways; once armed, the first reply to a script call is dropped and its connection cut. */
class ReplyDroppingProxy {
  dropped = 0;
  private armed = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly target: URL;
  port = 0;

  constructor(target: URL) {
    this.target = target;
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** The next script call (EVALSHA or EVAL) runs in Redis, but its caller never hears the answer. */
  dropNextScriptReply(): void {
    this.armed = true;
  }

  private accept(client: Socket): void {
    const server = tcpConnect(Number(this.target.port || 6379), this.target.hostname);
    this.sockets.add(client).add(server);
    let awaitingScriptReply = false;
    client.on('data', (chunk: Buffer) => {
      if (this.armed && /evalsha|eval/i.test(chunk.toString('latin1'))) {
        this.armed = false;
        awaitingScriptReply = true;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (!awaitingScriptReply) return void client.write(chunk);
      this.dropped++;
      client.destroy();
      server.destroy();
    });
    for (const socket of [client, server]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        server.destroy();
      });
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.skipIf(!redis.available)('redis JobStore: a command resent after a lost reply', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A store whose connection goes through a proxy that can drop a script reply. */
  async function throughProxy() {
    const proxy = new ReplyDroppingProxy(new URL(REDIS_URL));
    await proxy.start();
    const prefix = uniquePrefix('job-store-resend');
    const direct = new Redis(REDIS_URL);
    // The service's settings: one resend per command, reconnects every 200 ms.
    const client = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
    });
    const store = createRedisJobStore({ redis: client, prefix });
    cleanups.push(async () => {
      await proxy.close();
      await dropPrefix(direct, prefix);
      direct.disconnect();
    });
    cleanups.push(async () => {
      await store.close();
      client.disconnect();
    });
    await store.add(makeJob('warm-up'));
    return { proxy, store };
  }

  it('an add resent by the client is the job it added, not a conflict', async () => {
    const { proxy, store } = await throughProxy();
    proxy.dropNextScriptReply();
    await store.add(makeJob('a', { name: 'first' }));
    expect(proxy.dropped).toBe(1);
    expect(await store.get('a')).toMatchObject({ id: 'a', name: 'first' });
    expect(await store.count()).toBe(2);
    // Another definition under the same id is still refused, and changes nothing.
    await expect(store.add(makeJob('a', { name: 'second' }))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get('a'))?.name).toBe('first');
  });

  it('an update resent by the client is its own update, not a version conflict', async () => {
    const { proxy, store } = await throughProxy();
    const stored = await store.get('warm-up');
    if (!stored) throw new Error('warm-up job missing');
    proxy.dropNextScriptReply();
    const next = { ...stored, name: 'renamed', version: stored.version + 1, updatedAt: stored.updatedAt + 1 };
    await store.update(next, stored.version, 'keep');
    expect(proxy.dropped).toBe(1);
    expect(await store.get('warm-up')).toMatchObject({ name: 'renamed', version: stored.version + 1 });
    // A stale writer is still refused, and changes nothing.
    const stale = { ...stored, name: 'stale', version: stored.version + 1, updatedAt: stored.updatedAt + 2 };
    await expect(store.update(stale, stored.version, 'keep')).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get('warm-up'))?.name).toBe('renamed');
  });

  it('a removal resent by the client answers the job it removed, not "no such job"', async () => {
    const { proxy, store } = await throughProxy();
    await store.add(makeJob('b', { name: 'to remove' }));
    proxy.dropNextScriptReply();
    expect(await store.remove('b')).toMatchObject({ id: 'b', name: 'to remove' });
    expect(proxy.dropped).toBe(1);
    expect(await store.get('b')).toBeNull();
    // Another removal of the same id is a call of its own: nothing is there any more.
    expect(await store.remove('b')).toBeNull();
  });
});
