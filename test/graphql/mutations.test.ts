/** Every Mutation field, over yoga.fetch, and what each leaves in the store and on the bus. */
import { describe, expect, test } from 'vitest';
import { createTestApp, firstError, YEARLY } from './harness.ts';

const ADD = `mutation($input: AddJobInput!) { addJob(input: $input) {
  id name task args paused pausedAt pauseReason nextRunTime coalesce maxInstances misfireGraceTimeMs timeoutMs
  retry { attempts backoffMs factor maxBackoffMs jitter } trigger { __typename } } }`;

describe('addJob', () => {
  test('adds a job with every input field and publishes ADDED', async () => {
    await using app = createTestApp();
    const data = await app.data<{ addJob: Record<string, unknown> }>(ADD, {
      input: {
        id: 'report',
        name: 'Daily report',
        task: 'test',
        args: { to: ['a@example.com'], n: 2 },
        trigger: { cron: { expression: '30 6 * * *', timezone: 'America/New_York' } },
        paused: true,
        coalesce: false,
        maxInstances: 3,
        misfireGraceTimeMs: null,
        timeoutMs: 10_000,
        retry: { attempts: 4, backoffMs: 500, factor: 3, maxBackoffMs: 60_000, jitter: false },
      },
    });
    expect(data.addJob).toEqual({
      id: 'report',
      name: 'Daily report',
      task: 'test',
      args: { to: ['a@example.com'], n: 2 },
      paused: true,
      pausedAt: expect.stringMatching(/Z$/),
      pauseReason: null,
      // The schema promises null while paused; the store keeps the schedule for the resume.
      nextRunTime: null,
      coalesce: false,
      maxInstances: 3,
      misfireGraceTimeMs: null,
      timeoutMs: 10_000,
      retry: { attempts: 4, backoffMs: 500, factor: 3, maxBackoffMs: 60_000, jitter: false },
      trigger: { __typename: 'CronTrigger' },
    });
    const stored = await app.store.get('report');
    expect(stored).toMatchObject({ name: 'Daily report', paused: true, misfireGraceTimeMs: null });
    expect(stored?.nextRunTime).toEqual(expect.any(Number));
    expect(stored?.pausedAt).toBe(Date.parse(data.addJob.pausedAt as string));
    await app.busEvent((e) => e.stream === 'job' && e.type === 'added' && e.jobId === 'report');
  });

  test("defaults: a generated id, APScheduler's usual job defaults, args {}", async () => {
    await using app = createTestApp();
    const data = await app.data<{ addJob: Record<string, unknown> }>(ADD, {
      input: { task: 'test', trigger: { interval: { seconds: 90 } } },
    });
    expect(data.addJob).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      args: {},
      paused: false,
      coalesce: true,
      maxInstances: 1,
      misfireGraceTimeMs: 60_000,
      timeoutMs: null,
      retry: { attempts: 1 },
      trigger: { __typename: 'IntervalTrigger' },
    });
    expect(data.addJob.name).toBe(data.addJob.id);
  });

  test('JSON args can be written inline as a literal', async () => {
    await using app = createTestApp();
    const data = await app.data<{ addJob: { args: unknown } }>(
      `mutation { addJob(input: { id: "lit", task: "test", args: { list: [1, 2.5, "x", true, null], nested: { k: "v" } },
        trigger: { date: { runDate: "2099-01-01T00:00:00Z" } } }) { args } }`,
    );
    expect(data.addJob.args).toEqual({ list: [1, 2.5, 'x', true, null], nested: { k: 'v' } });
  });
});

describe('the other mutations', () => {
  test('updateJob changes what is given, keeps the rest, clears with null', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'u', task: 'test', trigger: YEARLY, timeoutMs: 1_000, args: { a: 1 } });
    const before = await app.store.get('u');
    const data = await app.data<{ updateJob: Record<string, unknown> }>(
      `mutation($input: UpdateJobInput!) { updateJob(id: "u", input: $input) {
        name args timeoutMs maxInstances version nextRunTime retry { attempts backoffMs } } }`,
      {
        input: { name: 'Renamed', timeoutMs: null, maxInstances: 2, retry: { attempts: 2, backoffMs: null } },
      },
    );
    expect(data.updateJob).toMatchObject({
      name: 'Renamed',
      args: { a: 1 },
      timeoutMs: null,
      maxInstances: 2,
      version: 2,
      retry: { attempts: 2, backoffMs: 1_000 },
      nextRunTime: new Date(before!.nextRunTime!).toISOString(),
    });
    const moved = await app.data<{ updateJob: { nextRunTime: string; trigger: { __typename: string } } }>(
      'mutation { updateJob(id: "u", input: { trigger: { interval: { hours: 2 } } }) { nextRunTime trigger { __typename } } }',
    );
    expect(moved.updateJob.trigger.__typename).toBe('IntervalTrigger');
    await app.busEvent((e) => e.stream === 'job' && e.type === 'updated' && e.jobId === 'u');
  });

  test('pauseJob and resumeJob', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'p', task: 'test', trigger: { interval: { minutes: 1 } } });
    const paused = await app.data<{
      pauseJob: { paused: boolean; pausedAt: string | null; nextRunTime: string | null };
    }>('mutation { pauseJob(id: "p") { paused pausedAt nextRunTime } }');
    expect(paused.pauseJob).toEqual({
      paused: true,
      pausedAt: expect.stringMatching(/Z$/),
      nextRunTime: null,
    });
    expect((await app.store.get('p'))?.paused).toBe(true);
    const again = await app.data<{ pauseJob: { paused: boolean } }>(
      'mutation { pauseJob(id: "p") { paused } }',
    );
    expect(again.pauseJob.paused).toBe(true);
    const resumed = await app.data<{
      resumeJob: {
        paused: boolean;
        pausedAt: string | null;
        pauseReason: string | null;
        nextRunTime: string;
      };
    }>('mutation { resumeJob(id: "p") { paused pausedAt pauseReason nextRunTime } }');
    expect(resumed.resumeJob).toMatchObject({ paused: false, pausedAt: null, pauseReason: null });
    expect(Date.parse(resumed.resumeJob.nextRunTime)).toBeGreaterThan(Date.now());
    await app.busEvent((e) => e.stream === 'job' && e.type === 'paused');
    await app.busEvent((e) => e.stream === 'job' && e.type === 'resumed');
  });

  test('runJobNow returns the execution it started', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'r', task: 'test', trigger: YEARLY });
    const data = await app.data<{ runJobNow: Record<string, unknown> }>(
      'mutation { runJobNow(id: "r") { id jobId status triggerKind attempt startedAt job { id } } }',
    );
    expect(data.runJobNow).toMatchObject({
      jobId: 'r',
      status: 'RUNNING',
      triggerKind: 'MANUAL',
      attempt: 1,
      job: { id: 'r' },
    });
    const done = await app.busEvent(
      (e) => e.stream === 'execution' && e.execution.id === data.runJobNow.id && e.type === 'succeeded',
    );
    expect(done.stream === 'execution' && done.execution.result).toEqual({ ok: true });
  });

  test('rescheduleJob replaces the trigger', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 's', task: 'test', trigger: YEARLY });
    const data = await app.data<{ rescheduleJob: Record<string, unknown> }>(
      `mutation { rescheduleJob(id: "s", trigger: { date: { runDate: "2098-02-03T04:05:06Z" } }) {
        nextRunTime trigger { ... on DateTrigger { runDate } } } }`,
    );
    expect(data.rescheduleJob).toEqual({
      nextRunTime: '2098-02-03T04:05:06.000Z',
      trigger: { runDate: '2098-02-03T04:05:06.000Z' },
    });
    await app.busEvent((e) => e.stream === 'job' && e.type === 'rescheduled');
  });

  test('removeJob returns the removed job; a second remove is NOT_FOUND', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'gone', name: 'Gone', task: 'test', trigger: YEARLY });
    const data = await app.data('mutation { removeJob(id: "gone") { id name } }');
    expect(data).toEqual({ removeJob: { id: 'gone', name: 'Gone' } });
    expect(await app.store.get('gone')).toBeNull();
    expect(firstError(await app.request('mutation { removeJob(id: "gone") { id } }'))).toMatchObject({
      code: 'NOT_FOUND',
    });
    await app.busEvent((e) => e.stream === 'job' && e.type === 'removed');
  });
});
