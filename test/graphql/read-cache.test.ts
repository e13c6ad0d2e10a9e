/** The read cache (read-cache.ts): same answers as without it, fresh after every write, auth per request. */
import { describe, expect, test } from 'vitest';
import { createTestApp, TOKENS, WRONG_TOKEN, YEARLY } from './harness.ts';

const PAGE = `query Page($after: String) { jobs(first: 2, after: $after) {
  totalCount edges { cursor node { id name paused version nextRunTime trigger { __typename } } }
  pageInfo { hasNextPage endCursor } } }`;

describe('read cache', () => {
  test('a repeated page is the same bytes; a write shows in the next read', async () => {
    await using app = createTestApp();
    for (const id of ['a', 'b', 'c']) await app.service.addJob({ id, task: 'test', trigger: YEARLY });
    const first = await app.request(PAGE, {}, TOKENS.read);
    expect(await app.request(PAGE, {}, TOKENS.read)).toEqual(first);
    await app.service.pauseJob('a');
    const after = await app.data<{ jobs: { edges: { node: { id: string; paused: boolean } }[] } }>(
      PAGE,
      {},
      TOKENS.read,
    );
    expect(after.jobs.edges[0]?.node).toMatchObject({ id: 'a', paused: true });
    await app.service.removeJob('b');
    const removed = await app.data<{ jobs: { totalCount: number } }>(PAGE, {}, TOKENS.read);
    expect(removed.jobs.totalCount).toBe(2);
  });

  test('a cached page is not served to a request without a valid token', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'a', task: 'test', trigger: YEARLY });
    await app.data(PAGE, {}, TOKENS.read);
    await app.data(PAGE, {}, TOKENS.read);
    expect((await app.request(PAGE, {}, WRONG_TOKEN)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.request(PAGE, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('a document that reads executions is not cached', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'a', task: 'test', trigger: YEARLY });
    const query = '{ jobs { edges { node { id lastExecution { status } } } } }';
    const before = await app.data<{ jobs: { edges: { node: { lastExecution: unknown } }[] } }>(query);
    expect(before.jobs.edges[0]?.node.lastExecution).toBeNull();
    await app.runToEnd('a');
    const after = await app.data<{ jobs: { edges: { node: { lastExecution: unknown } }[] } }>(query);
    expect(after.jobs.edges[0]?.node.lastExecution).toEqual({ status: 'SUCCESS' });
  });
});
