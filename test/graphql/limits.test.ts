/** Request limits: query depth, aliases, tokens, cost, directives, body size, batching. */
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/graphql/limits.ts';
import { createTestApp, type GraphQLResponse, TOKENS } from './harness.ts';

async function post(
  app: ReturnType<typeof createTestApp>,
  body: string,
  headers: Record<string, string> = {},
) {
  const response = await app.yoga.fetch('http://kairos.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.admin}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

describe('document limits (graphql-armor)', () => {
  test('the deepest useful query passes at the default depth', async () => {
    await using app = createTestApp();
    const result = await app.request(
      '{ jobs { edges { node { executions { edges { node { job { lastExecution { error { message } } } } } } } } } }',
    );
    expect(result.errors).toBeUndefined();
  });

  test.each([
    [
      'depth',
      '{ jobs { edges { node { executions { edges { node { job { lastExecution { job { lastExecution { id } } } } } } } } } } }',
      /depth limit of 10/,
    ],
    [
      'aliases',
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: tasks { name }`).join(' ')} }`,
      /Aliases limit of 15/,
    ],
    ['tokens', `{ tasks { ${'name '.repeat(2_000)} } }`, /Token limit of 2000/],
    ['directives', `{ tasks { name ${'@include(if: true) '.repeat(21)} } }`, /Directives limit of 20/],
    [
      'cost',
      '{ jobs(first: 100) { edges { node { id executions(first: 50) { edges { node { id status } } } } } } }',
      /Query Cost limit of 150000/,
    ],
  ])('%s over the limit is refused before execution', async (_name, query, message) => {
    let reads = 0;
    await using app = createTestApp({
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, key) {
            if (key === 'list') reads++;
            const value = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const result = await app.request(query);
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions?.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
    expect(reads).toBe(0);
  });

  test('a full page of jobs with every field passes the cost limit', async () => {
    await using app = createTestApp();
    const result = await app.request(`{ jobs(first: 500) { totalCount pageInfo { endCursor hasNextPage }
      edges { cursor node { id name task args paused nextRunTime coalesce maxInstances misfireGraceTimeMs timeoutMs
        createdAt updatedAt version upcoming(count: 3) retry { attempts backoffMs factor maxBackoffMs jitter }
        trigger { ... on CronTrigger { expression timezone } ... on IntervalTrigger { seconds } ... on DateTrigger { runDate } }
        lastExecution { id status scheduledFor finishedAt durationMs error { message } } } } } }`);
    expect(result.errors).toBeUndefined();
  });

  test('introspection (as GraphiQL sends it) passes', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    await using app = createTestApp();
    const result = await app.request(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    );
    expect(result.errors).toBeUndefined();
  });

  test('the defaults are the documented ones', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxDepth: 10,
      maxAliases: 15,
      maxTokens: 2_000,
      maxDirectives: 20,
      maxCost: 150_000,
    });
  });
});

describe('HTTP limits', () => {
  test('a body larger than maxBodyBytes is refused with 413 before it is parsed', async () => {
    await using app = createTestApp({ maxBodyBytes: 1_000 });
    const big = JSON.stringify({
      query:
        'mutation($a: JSON) { addJob(input: { task: "test", args: $a, trigger: { cron: { expression: "@daily" } } }) { id } }',
      variables: { a: 'x'.repeat(2_000) },
    });
    const result = await post(app, big);
    expect(result.status).toBe(413);
    expect(await app.store.count()).toBe(0);
    // Without a Content-Length (streamed), the limit holds while reading.
    const chunked = await app.yoga.fetch('http://kairos.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.admin}` },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await app.store.count()).toBe(0);
    const small = await post(app, JSON.stringify({ query: '{ tasks { name } }' }));
    expect(small.status).toBe(200);
  });

  test('batched requests are refused', async () => {
    await using app = createTestApp();
    const result = await post(
      app,
      JSON.stringify([{ query: '{ tasks { name } }' }, { query: '{ tasks { name } }' }]),
    );
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
  });
});
