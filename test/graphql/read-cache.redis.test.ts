/**
 * The read cache over the Redis job store with two replicas on one Redis: a write through one
 * replica shows in the other's very next read (its cached page is not served at a count that
 * moved), and a repeated page is served from the cache.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { connect, dropPrefix } from '../adapters/redis-harness.ts';
import { redisAvailability, uniquePrefix } from '../support/services.ts';
import { createTestApp, TOKENS, YEARLY } from './harness.ts';

const redis = await redisAvailability();

const PAGE = `{ jobs(first: 10) { totalCount edges { node { id name paused version } } } }`;

interface Page {
  jobs: { totalCount: number; edges: { node: { id: string; name: string; paused: boolean } }[] };
}

describe.skipIf(!redis.available)('read cache on Redis, two replicas', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function replicas() {
    const prefix = uniquePrefix('read-cache');
    return [0, 1].map(() => {
      const client = connect();
      const store = createRedisJobStore({ redis: client, prefix });
      const app = createTestApp({ wrapStore: () => store, start: false });
      cleanups.push(async () => {
        await app[Symbol.asyncDispose]();
        await store.close();
        await dropPrefix(client, prefix);
        client.disconnect();
      });
      return { app, store };
    });
  }

  test("a write on one replica is in the other's next read", async () => {
    const [a, b] = replicas() as [ReturnType<typeof replicas>[0], ReturnType<typeof replicas>[0]];
    await b.app.service.addJob({ id: 'x', task: 'test', trigger: YEARLY });
    const first = await a.app.data<Page>(PAGE, {}, TOKENS.read);
    expect(first.jobs.edges.map((e) => e.node)).toMatchObject([{ id: 'x', paused: false }]);
    // Served from A's cache: the same count, so list() is not asked again.
    let listed = 0;
    const list = a.store.list.bind(a.store);
    a.store.list = (query) => {
      listed++;
      return list(query);
    };
    expect(await a.app.data<Page>(PAGE, {}, TOKENS.read)).toEqual(first);
    expect(listed).toBe(0);

    await b.app.service.pauseJob('x');
    expect((await a.app.data<Page>(PAGE, {}, TOKENS.read)).jobs.edges[0]?.node.paused).toBe(true);
    await b.app.service.addJob({ id: 'y', task: 'test', trigger: YEARLY });
    expect((await a.app.data<Page>(PAGE, {}, TOKENS.read)).jobs.totalCount).toBe(2);
    await b.app.service.removeJob('x');
    const last = await a.app.data<Page>(PAGE, {}, TOKENS.read);
    expect(last.jobs.edges.map((e) => e.node.id)).toEqual(['y']);
    expect(listed).toBe(3);
  });

  test('requests asking the same at once share one execution', async () => {
    const [a] = replicas() as [ReturnType<typeof replicas>[0]];
    for (const id of ['x', 'y']) await a.app.service.addJob({ id, task: 'test', trigger: YEARLY });
    let listed = 0;
    const list = a.store.list.bind(a.store);
    a.store.list = (query) => {
      listed++;
      return list(query);
    };
    const pages = await Promise.all(Array.from({ length: 20 }, () => a.app.request(PAGE, {}, TOKENS.read)));
    expect(new Set(pages.map((p) => JSON.stringify(p))).size).toBe(1);
    expect(pages[0]?.data).toMatchObject({ jobs: { totalCount: 2 } });
    expect(listed).toBe(1);
    // One that may not see the page waits for nobody and is refused on its own.
    const refused = Promise.all([a.app.request(PAGE, {}, 'wrong'), a.app.request(PAGE, {}, TOKENS.read)]);
    expect((await refused)[0].errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('a miss that fails shares nothing: the others execute on their own', async () => {
    const [a] = replicas() as [ReturnType<typeof replicas>[0]];
    await a.app.service.addJob({ id: 'x', task: 'test', trigger: YEARLY });
    const list = a.store.list.bind(a.store);
    let calls = 0;
    a.store.list = (query) => (++calls === 1 ? Promise.reject(new Error('boom')) : list(query));
    const pages = await Promise.all(Array.from({ length: 5 }, () => a.app.request(PAGE, {}, TOKENS.read)));
    expect(pages[0]?.errors).toHaveLength(1);
    expect(pages.slice(1).every((p) => p.errors === undefined && p.data !== undefined)).toBe(true);
    // The others executed again after the failure: each on its own when they had joined the failed
    // one (5 calls), or some sharing a later success when they came after it (a loaded machine).
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  test('only queries that read jobs ask the count; one the store cannot give runs uncached', async () => {
    const [a] = replicas() as [ReturnType<typeof replicas>[0]];
    await a.app.service.addJob({ id: 'x', task: 'test', trigger: YEARLY });
    const count = a.store.changeCount?.bind(a.store) as () => Promise<number>;
    let asked = 0;
    a.store.changeCount = () => {
      asked++;
      return count();
    };
    await a.app.data('mutation { pauseJob(id: "x") { id } }', {}, TOKENS.admin);
    await a.app.data('{ executions(first: 1) { edges { node { id } } } }', {}, TOKENS.read);
    await a.app.request('{ jobs(first: 1) { edges { node { id } }', {}, TOKENS.read); // a syntax error
    expect(asked).toBe(0);
    expect((await a.app.data<Page>(PAGE, {}, TOKENS.read)).jobs.totalCount).toBe(1);
    expect(asked).toBe(1);
    // Redis away for the count alone: the page is still answered, from the store.
    a.store.changeCount = () => Promise.reject(new Error('Redis away'));
    await a.app.service.resumeJob('x');
    const page = await a.app.data<Page>(PAGE, {}, TOKENS.read);
    expect(page.jobs.edges[0]?.node.paused).toBe(false);
  });
});
