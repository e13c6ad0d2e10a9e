/** Every Query field and the Job / JobExecution fields, over yoga.fetch. */
import { describe, expect, test } from 'vitest';
import type { ExecutionLog } from '../../src/core/ports.ts';
import { createTestApp, firstError, YEARLY } from './harness.ts';

const JOB_FIELDS = `id name task args paused nextRunTime coalesce maxInstances misfireGraceTimeMs timeoutMs
  createdAt updatedAt version retry { attempts backoffMs factor maxBackoffMs jitter }
  trigger {
    __typename
    ... on CronTrigger { expression timezone startDate endDate jitterMs }
    ... on IntervalTrigger { weeks days hours minutes seconds milliseconds startDate endDate jitterMs }
    ... on DateTrigger { runDate }
  }`;

describe('job and jobs', () => {
  test('job returns every field of each trigger kind; an unknown id is null', async () => {
    await using app = createTestApp();
    await app.service.addJob({
      id: 'cron',
      task: 'test',
      args: { n: 1 },
      trigger: { cron: { expression: '0 9 * * 1-5', timezone: 'Europe/Paris', jitterMs: 10 } },
      timeoutMs: 5_000,
      retry: { attempts: 3 },
    });
    await app.service.addJob({
      id: 'interval',
      task: 'test',
      trigger: { interval: { minutes: 5, startDate: '2030-01-01T00:00:00Z' } },
    });
    await app.service.addJob({
      id: 'date',
      task: 'test',
      trigger: { date: { runDate: '2031-05-06T07:08:09Z' } },
    });
    const data = await app.data<Record<string, Record<string, unknown> | null>>(
      `{ cron: job(id: "cron") { ${JOB_FIELDS} } interval: job(id: "interval") { ${JOB_FIELDS} }
         date: job(id: "date") { ${JOB_FIELDS} } missing: job(id: "nope") { id } }`,
    );
    expect(data.cron).toMatchObject({
      id: 'cron',
      name: 'cron',
      task: 'test',
      args: { n: 1 },
      paused: false,
      coalesce: true,
      maxInstances: 1,
      misfireGraceTimeMs: 60_000,
      timeoutMs: 5_000,
      version: 1,
      retry: { attempts: 3, backoffMs: 1_000, factor: 2, maxBackoffMs: 300_000, jitter: true },
      trigger: {
        __typename: 'CronTrigger',
        expression: '0 9 * * 1-5',
        timezone: 'Europe/Paris',
        startDate: null,
        endDate: null,
        jitterMs: 10,
      },
    });
    expect(data.cron?.nextRunTime).toMatch(/^\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/);
    expect(data.cron?.createdAt).toMatch(/Z$/);
    expect(data.interval).toMatchObject({
      trigger: {
        __typename: 'IntervalTrigger',
        weeks: 0,
        minutes: 5,
        startDate: '2030-01-01T00:00:00.000Z',
        endDate: null,
        jitterMs: 0,
      },
      nextRunTime: '2030-01-01T00:00:00.000Z',
    });
    expect(data.date).toMatchObject({
      trigger: { __typename: 'DateTrigger', runDate: '2031-05-06T07:08:09.000Z' },
      nextRunTime: '2031-05-06T07:08:09.000Z',
    });
    expect(data.missing).toBeNull();
  });

  test('upcoming lists the next fire times, starting with nextRunTime', async () => {
    await using app = createTestApp();
    await app.service.addJob({
      id: 'i',
      task: 'test',
      trigger: { interval: { hours: 1, startDate: '2030-01-01T00:00:00Z' } },
    });
    const data = await app.data<{ job: { upcoming: string[]; none: string[] } }>(
      '{ job(id: "i") { upcoming(count: 3) none: upcoming(count: 0) } }',
    );
    expect(data.job.upcoming).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T01:00:00.000Z',
      '2030-01-01T02:00:00.000Z',
    ]);
    expect(data.job.none).toEqual([]);
    expect(firstError(await app.request('{ job(id: "i") { upcoming(count: 101) } }'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'count',
    });
  });

  test('jobs pages by id with cursors, totalCount and filters', async () => {
    await using app = createTestApp();
    for (const id of ['j1', 'j2', 'j3', 'j4', 'j5'])
      await app.service.addJob({
        id,
        task: id === 'j5' ? 'log' : 'test',
        trigger: YEARLY,
        paused: id === 'j2',
      });
    type Page = {
      jobs: {
        totalCount: number | null;
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
      };
    };
    const query = `query($first: Int, $after: String, $filter: JobFilter) {
      jobs(first: $first, after: $after, filter: $filter) {
        totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const ids = (page: Page) => page.jobs.edges.map((e) => e.node.id);

    const one = await app.data<Page>(query, { first: 2 });
    expect(ids(one)).toEqual(['j1', 'j2']);
    expect(one.jobs.totalCount).toBe(5);
    expect(one.jobs.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(one.jobs.pageInfo.startCursor).toBe(one.jobs.edges[0]?.cursor);
    expect(one.jobs.pageInfo.endCursor).toBe(one.jobs.edges[1]?.cursor);

    const two = await app.data<Page>(query, { first: 2, after: one.jobs.pageInfo.endCursor });
    expect(ids(two)).toEqual(['j3', 'j4']);
    expect(two.jobs.pageInfo.hasPreviousPage).toBe(true);
    const three = await app.data<Page>(query, { first: 2, after: two.jobs.pageInfo.endCursor });
    expect(ids(three)).toEqual(['j5']);
    expect(three.jobs.pageInfo.hasNextPage).toBe(false);

    // A cursor from the middle of a page resumes right after its job, even after an insert before it.
    const middle = one.jobs.edges[0]!.cursor;
    expect(ids(await app.data<Page>(query, { first: 2, after: middle }))).toEqual(['j2', 'j3']);
    await app.service.addJob({ id: 'j0', task: 'test', trigger: YEARLY });
    await app.service.addJob({ id: 'j1a', task: 'test', trigger: YEARLY });
    expect(ids(await app.data<Page>(query, { first: 2, after: middle }))).toEqual(['j1a', 'j2']);

    const paused = await app.data<Page>(query, { filter: { paused: true } });
    expect(ids(paused)).toEqual(['j2']);
    expect(paused.jobs.totalCount).toBeNull();
    expect(ids(await app.data<Page>(query, { filter: { task: 'log' } }))).toEqual(['j5']);
    expect(ids(await app.data<Page>(query, { first: 0 }))).toEqual([]);
  });

  test('jobs rejects a bad cursor and a page size out of range', async () => {
    await using app = createTestApp();
    expect(firstError(await app.request('{ jobs(after: "garbage!") { totalCount } }'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    expect(firstError(await app.request('{ jobs(first: 501) { totalCount } }'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
    expect(firstError(await app.request('{ jobs(first: -1) { totalCount } }'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });

  test('lastExecution of a whole page is loaded with one latestByJob call', async () => {
    let calls = 0;
    const countLatest = (log: ExecutionLog): ExecutionLog => ({
      ...log,
      insert: (rows) => log.insert(rows),
      finish: (updates) => log.finish(updates),
      get: (id) => log.get(id),
      list: (query) => log.list(query),
      abandon: (ids, at, reason) => log.abandon(ids, at, reason),
      deleteFinishedBefore: (before) => log.deleteFinishedBefore(before),
      close: () => log.close(),
      latestByJob: (ids) => {
        calls++;
        return log.latestByJob(ids);
      },
    });
    await using app = createTestApp({ wrapLog: countLatest });
    for (const id of ['a', 'b', 'c', 'd']) await app.service.addJob({ id, task: 'test', trigger: YEARLY });
    const first = await app.runToEnd('a');
    await app.runToEnd('c');
    const second = await app.runToEnd('a');
    calls = 0;
    const data = await app.data<{
      jobs: { edges: { node: { id: string; lastExecution: { id: string } | null } }[] };
    }>('{ jobs(first: 10) { edges { node { id lastExecution { id status } } } } }');
    expect(calls).toBe(1);
    const last = Object.fromEntries(
      data.jobs.edges.map((e) => [e.node.id, e.node.lastExecution?.id ?? null]),
    );
    expect(last.a).toBe(second);
    expect(last.a).not.toBe(first);
    expect(last.b).toBeNull();
    expect(last.c).not.toBeNull();
    expect(last.d).toBeNull();
  });
});

describe('executions', () => {
  test('execution returns every field, its job (null once removed), and null for an unknown id', async () => {
    await using app = createTestApp({ handler: () => ({ answer: 42 }) });
    await app.service.addJob({ id: 'x', name: 'Job X', task: 'test', trigger: YEARLY });
    const id = await app.runToEnd('x');
    const query = `query($id: ID!) { execution(id: $id) { id jobId jobName task status triggerKind scheduledFor
      startedAt finishedAt durationMs attempt instance error { message stack } result job { id name } } }`;
    const { execution } = await app.data<{ execution: Record<string, unknown> }>(query, { id });
    expect(execution).toMatchObject({
      id,
      jobId: 'x',
      jobName: 'Job X',
      task: 'test',
      status: 'SUCCESS',
      triggerKind: 'MANUAL',
      attempt: 1,
      instance: 'gql-test',
      error: null,
      result: { answer: 42 },
      job: { id: 'x', name: 'Job X' },
    });
    expect(typeof execution.durationMs).toBe('number');
    expect(Date.parse(execution.finishedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(execution.startedAt as string),
    );
    await app.service.removeJob('x');
    const after = await app.data<{ execution: { job: unknown; jobId: string } }>(query, { id });
    expect(after.execution).toMatchObject({ jobId: 'x', job: null });
    const unknown = await app.data('{ execution(id: "01a00000-0000-7000-8000-000000000000") { id } }');
    expect(unknown).toEqual({ execution: null });
  });

  test('a failed execution carries its error', async () => {
    await using app = createTestApp({
      handler: () => {
        throw new Error('boom');
      },
    });
    await app.service.addJob({ id: 'f', task: 'test', trigger: YEARLY });
    const id = await app.runToEnd('f');
    const data = await app.data<{ execution: { status: string; error: { message: string; stack: string } } }>(
      `{ execution(id: "${id}") { status error { message stack } } }`,
    );
    expect(data.execution.status).toBe('FAILED');
    expect(data.execution.error.message).toBe('boom');
    expect(data.execution.error.stack).toContain('boom');
  });

  test('executions filters by job, status and time, newest first, with pages', async () => {
    let fail = false;
    await using app = createTestApp({
      handler: () => {
        if (fail) throw new Error('no');
        return null;
      },
    });
    await app.service.addJob({ id: 'a', task: 'test', trigger: YEARLY });
    await app.service.addJob({ id: 'b', task: 'test', trigger: YEARLY });
    const a1 = await app.runToEnd('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    fail = true;
    const a2 = await app.runToEnd('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    fail = false;
    const b1 = await app.runToEnd('b');
    type Page = {
      executions: {
        edges: { node: { id: string; scheduledFor: string } }[];
        pageInfo: { endCursor: string; hasNextPage: boolean };
      };
    };
    const query = `query($jobId: ID, $status: [ExecutionStatus!], $since: DateTime, $until: DateTime, $first: Int, $after: String) {
      executions(jobId: $jobId, status: $status, since: $since, until: $until, first: $first, after: $after) {
        edges { node { id scheduledFor } } pageInfo { endCursor hasNextPage } } }`;
    const ids = (page: Page) => page.executions.edges.map((e) => e.node.id);
    expect(ids(await app.data<Page>(query))).toEqual([b1, a2, a1]);
    expect(ids(await app.data<Page>(query, { jobId: 'a' }))).toEqual([a2, a1]);
    expect(ids(await app.data<Page>(query, { status: ['FAILED'] }))).toEqual([a2]);
    expect(ids(await app.data<Page>(query, { status: ['SUCCESS', 'FAILED'], jobId: 'b' }))).toEqual([b1]);
    const all = await app.data<Page>(query);
    const a2At = all.executions.edges[1]!.node.scheduledFor;
    expect(ids(await app.data<Page>(query, { since: a2At }))).toEqual([b1, a2]);
    expect(ids(await app.data<Page>(query, { until: a2At }))).toEqual([a1]);
    const page1 = await app.data<Page>(query, { first: 2 });
    expect(ids(page1)).toEqual([b1, a2]);
    expect(page1.executions.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.data<Page>(query, { first: 2, after: page1.executions.pageInfo.endCursor });
    expect(ids(page2)).toEqual([a1]);
    expect(page2.executions.pageInfo.hasNextPage).toBe(false);

    const nested = await app.data<{ job: { executions: Page['executions'] } }>(
      '{ job(id: "a") { executions(status: [SUCCESS], first: 5) { edges { node { id scheduledFor } } pageInfo { endCursor hasNextPage } } } }',
    );
    expect(nested.job.executions.edges.map((e) => e.node.id)).toEqual([a1]);
  });
});

describe('tasks, previewTrigger, scheduler', () => {
  test('tasks lists the registered tasks by name', async () => {
    await using app = createTestApp();
    const data = await app.data<{ tasks: { name: string; description: string }[] }>(
      '{ tasks { name description } }',
    );
    expect(data.tasks.map((t) => t.name)).toEqual(['http', 'log', 'test']);
    expect(data.tasks.find((t) => t.name === 'test')?.description).toBe('a test task');
  });

  test('previewTrigger lists fire times strictly after `after` and creates nothing', async () => {
    await using app = createTestApp();
    const query =
      'query($t: TriggerInput!, $after: DateTime, $count: Int) { previewTrigger(trigger: $t, after: $after, count: $count) }';
    const cron = await app.data<{ previewTrigger: string[] }>(query, {
      t: { cron: { expression: '0 9 * * *', timezone: 'Europe/Paris' } },
      after: '2026-07-01T07:00:00Z',
      count: 3,
    });
    expect(cron.previewTrigger).toEqual([
      '2026-07-02T07:00:00.000Z',
      '2026-07-03T07:00:00.000Z',
      '2026-07-04T07:00:00.000Z',
    ]);
    const interval = await app.data<{ previewTrigger: string[] }>(query, {
      t: { interval: { minutes: 30, startDate: '2030-01-01T00:00:00Z' } },
      after: '2030-01-01T00:00:00Z',
      count: 2,
    });
    expect(interval.previewTrigger).toEqual(['2030-01-01T00:30:00.000Z', '2030-01-01T01:00:00.000Z']);
    const date = await app.data<{ previewTrigger: string[] }>(query, {
      t: { date: { runDate: '2099-01-01T00:00:00+01:00' } },
    });
    expect(date.previewTrigger).toEqual(['2098-12-31T23:00:00.000Z']);
    const defaults = await app.data<{ previewTrigger: string[] }>(query, {
      t: { cron: { expression: '@hourly' } },
    });
    expect(defaults.previewTrigger).toHaveLength(5);
    expect(Date.parse(defaults.previewTrigger[0]!)).toBeGreaterThan(Date.now());
    expect(await app.store.count()).toBe(0);
    expect(
      firstError(await app.request(query, { t: { cron: { expression: '@hourly' } }, count: 0 })),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'count',
    });
  });

  test('scheduler describes this replica', async () => {
    await using app = createTestApp();
    const data = await app.data(
      '{ scheduler { instance running timezone version stores { jobStore executionLog eventBus } } }',
    );
    expect(data).toEqual({
      scheduler: {
        instance: 'gql-test',
        running: true,
        timezone: 'UTC',
        version: '9.9.9',
        stores: { jobStore: 'memory', executionLog: 'memory', eventBus: 'memory' },
      },
    });
  });
});
