/**
 * Every root field against every kind of caller: each scope, no token, a wrong token. Allowed calls
 * succeed; denied ones get UNAUTHENTICATED or FORBIDDEN and change nothing (store, history, bus).
 */
import { execute, parse } from 'graphql';
import { describe, expect, test } from 'vitest';
import type { GraphQLContext } from '../../src/graphql/context.ts';
import { scopeOf } from '../../src/graphql/operation-auth.ts';
import { schema } from '../../src/graphql/schema.ts';
import {
  createTestApp,
  firstError,
  type GraphQLResponse,
  type TestApp,
  TOKENS,
  WRONG_TOKEN,
  YEARLY,
} from './harness.ts';

type Needed = 'read' | 'operate' | 'admin';

/** What each root field needs, as the issue states it (independent of the code under test). */
const FIELDS: {
  field: string;
  kind: 'query' | 'mutation' | 'subscription';
  needs: Needed;
  operation: string;
}[] = [
  { field: 'job', kind: 'query', needs: 'read', operation: '{ job(id: "k") { id } }' },
  { field: 'jobs', kind: 'query', needs: 'read', operation: '{ jobs { totalCount } }' },
  {
    field: 'execution',
    kind: 'query',
    needs: 'read',
    operation: '{ execution(id: "01a00000-0000-7000-8000-000000000000") { id } }',
  },
  { field: 'executions', kind: 'query', needs: 'read', operation: '{ executions { edges { cursor } } }' },
  { field: 'tasks', kind: 'query', needs: 'read', operation: '{ tasks { name } }' },
  {
    field: 'previewTrigger',
    kind: 'query',
    needs: 'read',
    operation: '{ previewTrigger(trigger: { cron: { expression: "@daily" } }) }',
  },
  {
    field: 'previewTriggerRuns',
    kind: 'query',
    needs: 'read',
    operation: '{ previewTriggerRuns(trigger: { cron: { expression: "@daily" } }) { at } }',
  },
  { field: 'scheduler', kind: 'query', needs: 'read', operation: '{ scheduler { instance } }' },
  { field: 'replicas', kind: 'query', needs: 'read', operation: '{ replicas { id } }' },
  { field: 'viewer', kind: 'query', needs: 'read', operation: '{ viewer { scope } }' },
  { field: 'auditLog', kind: 'query', needs: 'read', operation: '{ auditLog { edges { cursor } } }' },
  {
    field: 'createSubscriptionToken',
    kind: 'mutation',
    needs: 'read',
    operation: 'mutation { createSubscriptionToken { expiresAt } }',
  },
  {
    field: 'pauseJob',
    kind: 'mutation',
    needs: 'operate',
    operation: 'mutation { pauseJob(id: "k") { id } }',
  },
  {
    field: 'resumeJob',
    kind: 'mutation',
    needs: 'operate',
    operation: 'mutation { resumeJob(id: "paused") { id } }',
  },
  {
    field: 'runJobNow',
    kind: 'mutation',
    needs: 'operate',
    operation: 'mutation { runJobNow(id: "k") { id } }',
  },
  {
    field: 'backfillJob',
    kind: 'mutation',
    needs: 'operate',
    operation:
      'mutation { backfillJob(id: "k", from: "2020-01-01T00:00:00Z", to: "2020-12-31T00:00:00Z") { scheduledCount } }',
  },
  {
    field: 'addJob',
    kind: 'mutation',
    needs: 'admin',
    operation:
      'mutation { addJob(input: { id: "new", task: "test", trigger: { cron: { expression: "@daily" } } }) { id } }',
  },
  {
    field: 'updateJob',
    kind: 'mutation',
    needs: 'admin',
    operation: 'mutation { updateJob(id: "k", input: { name: "renamed" }) { id } }',
  },
  {
    field: 'rescheduleJob',
    kind: 'mutation',
    needs: 'admin',
    operation: 'mutation { rescheduleJob(id: "k", trigger: { interval: { minutes: 7 } }) { id } }',
  },
  {
    field: 'removeJob',
    kind: 'mutation',
    needs: 'admin',
    operation: 'mutation { removeJob(id: "k") { id } }',
  },
  {
    field: 'executionEvents',
    kind: 'subscription',
    needs: 'read',
    operation: 'subscription { executionEvents { sequence } }',
  },
  {
    field: 'jobEvents',
    kind: 'subscription',
    needs: 'read',
    operation: 'subscription { jobEvents { sequence } }',
  },
];

const RANK: Record<Needed, number> = { read: 1, operate: 2, admin: 3 };
const CALLERS: { name: string; token: string | null; scope: Needed | null }[] = [
  { name: 'read token', token: TOKENS.read, scope: 'read' },
  { name: 'operate token', token: TOKENS.operate, scope: 'operate' },
  { name: 'admin token', token: TOKENS.admin, scope: 'admin' },
  { name: 'no token', token: null, scope: null },
  { name: 'wrong token', token: WRONG_TOKEN, scope: null },
];

async function seeded(): Promise<TestApp> {
  const app = createTestApp();
  await app.service.addJob({ id: 'k', task: 'test', trigger: YEARLY });
  await app.service.addJob({ id: 'paused', task: 'test', trigger: YEARLY, paused: true });
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the ADDED events reach the bus log
  return app;
}

async function snapshot(app: TestApp): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  const jobs = (await app.store.list({ first: 100 })).items;
  const executions = (await app.log.list({ first: 100 })).items;
  return JSON.stringify({ jobs, executions, events: app.busEvents.length });
}

/**
 * Runs an operation as the caller. A subscription goes over SSE: it is allowed once the hub holds
 * it, denied when it is answered with a 4xx and a JSON error before any stream starts.
 */
async function call(
  app: TestApp,
  kind: string,
  operation: string,
  token: string | null,
): Promise<GraphQLResponse> {
  if (kind !== 'subscription') return app.request(operation, {}, token);
  const stream = await app.sse(operation, {}, token);
  if (stream.response.status !== 200) return { status: stream.response.status, ...(await stream.json()) };
  try {
    let message: Awaited<ReturnType<typeof stream.next>> | undefined;
    const reading = (async () => {
      do message = await stream.next();
      while (message?.event === 'keep-alive');
    })();
    reading.catch(() => {});
    const deadline = Date.now() + 5_000;
    while (message === undefined && app.yoga.subscriptions.size === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 2));
    if (message === undefined && app.yoga.subscriptions.size === 1)
      return { status: stream.response.status, data: {} };
    return { status: stream.response.status, ...(message?.data ?? {}) };
  } finally {
    stream.close();
  }
}

test('the table names every root field of the schema, with the scope the code enforces', () => {
  const rootFields = (type: { getFields(): Record<string, unknown> } | null | undefined) =>
    Object.keys(type?.getFields() ?? {});
  const inSchema = [
    ...rootFields(schema.getQueryType()),
    ...rootFields(schema.getMutationType()),
    ...rootFields(schema.getSubscriptionType()),
  ].sort();
  expect(FIELDS.map((f) => f.field).sort()).toEqual(inSchema);
  for (const { kind, field, needs } of FIELDS) expect(scopeOf(schema, kind, field)).toBe(needs);
});

describe.each(FIELDS)('$field needs $needs', ({ kind, operation, needs }) => {
  test.each(CALLERS)('$name', async ({ token, scope }) => {
    await using app = await seeded();
    const before = await snapshot(app);
    const result = await call(app, kind, operation, token);
    if (scope !== null && RANK[scope] >= RANK[needs]) {
      expect(result.errors).toBeUndefined();
      return;
    }
    expect(firstError(result).code).toBe(scope === null ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    // Over SSE a refusal is an HTTP status before the stream, so EventSource stops instead of retrying.
    if (kind === 'subscription') expect(result.status).toBe(scope === null ? 401 : 403);
    expect(await snapshot(app)).toBe(before);
  });
});

describe('whole operations', () => {
  test('one forbidden field rejects the whole operation before anything runs', async () => {
    await using app = await seeded();
    const before = await snapshot(app);
    const result = await app.request(
      'mutation { pauseJob(id: "k") { id } ...Remove } fragment Remove on Mutation { removeJob(id: "k") { id } }',
      {},
      TOKENS.operate,
    );
    expect(result.data).toBeNull();
    expect(firstError(result).code).toBe('FORBIDDEN');
    expect(await snapshot(app)).toBe(before);
  });

  test('each field is guarded by scope-auth on its own, without the operation check', async () => {
    await using app = await seeded();
    // execute() straight on the schema: no Yoga plugins, so no operation check before it.
    const run = (source: string, scope: Needed | null) =>
      execute({
        schema,
        document: parse(source),
        contextValue: {
          service: app.service,
          auth: { scope, via: scope ? 'token' : 'anonymous' },
        } as GraphQLContext,
      });
    const partial = await run('mutation { pauseJob(id: "k") { id } removeJob(id: "k") { id } }', 'operate');
    expect(partial.data).toBeNull(); // removeJob is non-null: its error nulls the whole result
    expect(partial.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'admin' });
    expect((await run('{ tasks { name } }', null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Only pauseJob ran: what the operation check exists to prevent over HTTP and WebSocket.
    expect((await app.store.get('k'))?.paused).toBe(true);
  });

  test('introspection and __typename need no token', async () => {
    await using app = await seeded();
    const result = await app.request('{ __typename __schema { queryType { name } } }', {}, null);
    expect(result.data).toEqual({ __typename: 'Query', __schema: { queryType: { name: 'Query' } } });
  });
});

describe('anonymous access', () => {
  test('an anonymous scope applies without a token, never with a wrong one', async () => {
    await using app = createTestApp({ anonymousScope: 'read' });
    expect((await app.request('{ tasks { name } }', {}, null)).errors).toBeUndefined();
    expect(firstError(await app.request('mutation { removeJob(id: "x") { id } }', {}, null))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(firstError(await app.request('{ tasks { name } }', {}, WRONG_TOKEN))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  test('the bearer scheme is case-insensitive; other schemes are unknown credentials', async () => {
    await using app = createTestApp();
    const post = async (authorization: string) => {
      const response = await app.yoga.fetch('http://kairos.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ tasks { name } }' }),
      });
      return (await response.json()) as GraphQLResponse;
    };
    expect((await post(`bearer ${TOKENS.read}`)).errors).toBeUndefined();
    expect(firstError(await post(`Basic ${TOKENS.read}`)).code).toBe('UNAUTHENTICATED');
  });
});
