/**
 * Every error code on the wire, with the field for bad input, and that a rejected request changes
 * nothing: no job stored or changed, no event published.
 */
import { describe, expect, test } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { createTestApp, firstError, type TestApp, YEARLY } from './harness.ts';

const ADD = 'mutation($input: AddJobInput!) { addJob(input: $input) { id } }';

/** Runs `act` and checks it changed neither the store nor the bus. */
async function unchanged(app: TestApp, act: () => Promise<void>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  const before = JSON.stringify((await app.store.list({ first: 1_000 })).items);
  const events = app.busEvents.length;
  await act();
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(JSON.stringify((await app.store.list({ first: 1_000 })).items)).toBe(before);
  expect(app.busEvents.length).toBe(events);
}

describe('BAD_USER_INPUT names the field and changes nothing', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'invalid cron',
      { task: 'test', trigger: { cron: { expression: '61 * * * *' } } },
      'trigger.cron.expression',
    ],
    [
      'invalid timezone',
      { task: 'test', trigger: { cron: { expression: '@daily', timezone: 'Mars/Olympus' } } },
      'trigger.cron.timezone',
    ],
    ['empty interval', { task: 'test', trigger: { interval: { seconds: 0 } } }, 'trigger.interval.seconds'],
    [
      'negative interval',
      { task: 'test', trigger: { interval: { minutes: -1 } } },
      'trigger.interval.minutes',
    ],
    ['unknown task', { task: 'nope', trigger: YEARLY }, 'task'],
    [
      'never-firing date',
      { task: 'test', trigger: { date: { runDate: '2001-01-01T00:00:00Z' } } },
      'trigger.date.runDate',
    ],
    [
      'never-firing window',
      { task: 'test', trigger: { cron: { expression: '@daily', endDate: '2001-01-01T00:00:00Z' } } },
      'trigger.cron.endDate',
    ],
    ['two trigger kinds', { task: 'test', trigger: { ...YEARLY, interval: { minutes: 1 } } }, 'trigger'],
    ['no trigger kind', { task: 'test', trigger: {} }, 'trigger'],
    ['bad id', { id: 'has space', task: 'test', trigger: YEARLY }, 'id'],
    ['maxInstances 0', { task: 'test', trigger: YEARLY, maxInstances: 0 }, 'maxInstances'],
    ['retry attempts 0', { task: 'test', trigger: YEARLY, retry: { attempts: 0 } }, 'retry.attempts'],
    ['args too large', { task: 'test', trigger: YEARLY, args: { blob: 'x'.repeat(70_000) } }, 'args'],
  ];
  test.each(cases)('addJob: %s', async (_name, input, field) => {
    await using app = createTestApp();
    await unchanged(app, async () => {
      const result = await app.request(ADD, { input });
      expect(result.data).toBeNull();
      expect(firstError(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });
  });

  test('updateJob and rescheduleJob with bad input leave the job as it was', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'k', task: 'test', trigger: YEARLY });
    await unchanged(app, async () => {
      const update = await app.request('mutation { updateJob(id: "k", input: { task: "nope" }) { id } }');
      expect(firstError(update)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'task' });
      const reschedule = await app.request(
        'mutation { rescheduleJob(id: "k", trigger: { cron: { expression: "* * *" } }) { id } }',
      );
      expect(firstError(reschedule)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'trigger.cron.expression',
      });
    });
  });

  test('a DateTime without an offset, as a variable or a literal', async () => {
    await using app = createTestApp();
    const variable = await app.request(ADD, {
      input: { task: 'test', trigger: { date: { runDate: '2099-01-01T00:00:00' } } },
    });
    expect(firstError(variable).code).toBe('BAD_USER_INPUT');
    expect(variable.status).toBe(400);
    const literal = await app.request(
      'mutation { addJob(input: { task: "test", trigger: { date: { runDate: "tomorrow" } } }) { id } }',
    );
    expect(firstError(literal).code).toBe('BAD_USER_INPUT');
    expect(await app.store.count()).toBe(0);
  });

  test('a variable of the wrong type', async () => {
    await using app = createTestApp();
    const result = await app.request(ADD, { input: { task: 'test', trigger: 3 } });
    expect(firstError(result).code).toBe('BAD_USER_INPUT');
    expect(await app.store.count()).toBe(0);
  });
});

describe('NOT_FOUND and CONFLICT', () => {
  test.each([
    ['updateJob', 'mutation { updateJob(id: "ghost", input: { name: "x" }) { id } }'],
    ['pauseJob', 'mutation { pauseJob(id: "ghost") { id } }'],
    ['resumeJob', 'mutation { resumeJob(id: "ghost") { id } }'],
    ['runJobNow', 'mutation { runJobNow(id: "ghost") { id } }'],
    [
      'rescheduleJob',
      'mutation { rescheduleJob(id: "ghost", trigger: { cron: { expression: "@daily" } }) { id } }',
    ],
    ['removeJob', 'mutation { removeJob(id: "ghost") { id } }'],
  ])('%s of an unknown id is NOT_FOUND', async (_name, query) => {
    await using app = createTestApp();
    await unchanged(app, async () => {
      const result = await app.request(query);
      expect(firstError(result)).toMatchObject({ code: 'NOT_FOUND', message: 'job "ghost" does not exist' });
    });
  });

  test('a duplicate id is CONFLICT and keeps the first job', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'dup', name: 'first', task: 'test', trigger: YEARLY });
    await unchanged(app, async () => {
      const result = await app.request(ADD, {
        input: { id: 'dup', name: 'second', task: 'test', trigger: YEARLY },
      });
      expect(firstError(result)).toMatchObject({ code: 'CONFLICT' });
    });
    expect((await app.store.get('dup'))?.name).toBe('first');
  });
});

describe('UNAUTHENTICATED and FORBIDDEN', () => {
  test('no token, a wrong token, and a scope too low', async () => {
    await using app = createTestApp();
    expect(firstError(await app.request('{ tasks { name } }', {}, null))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(firstError(await app.request('{ tasks { name } }', {}, 'wrong'))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'the bearer token is not valid',
    });
    const forbidden = await app.request(ADD, { input: { task: 'test', trigger: YEARLY } }, 'operate-token-1');
    expect(firstError(forbidden)).toMatchObject({ code: 'FORBIDDEN' });
    expect(forbidden.errors?.[0]?.extensions?.requiredScope).toBe('admin');
  });
});

function failingStore(store: JobStore, error: () => Error): JobStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (['get', 'list', 'count', 'add', 'update', 'remove'].includes(String(key))) {
        return () => Promise.reject(error());
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('UNAVAILABLE and masked errors', () => {
  test('a store that is down is UNAVAILABLE', async () => {
    const warnings: unknown[] = [];
    await using app = createTestApp({
      wrapStore: (store) =>
        failingStore(store, () => new UnavailableError('Redis', new Error('ECONNREFUSED'))),
      logger: { debug() {}, info() {}, warn: (...args) => warnings.push(args), error() {} },
    });
    const read = await app.request('{ jobs { totalCount } }');
    expect(firstError(read)).toMatchObject({ code: 'UNAVAILABLE', message: 'Redis is unavailable' });
    const write = await app.request(ADD, { input: { task: 'test', trigger: YEARLY } });
    expect(firstError(write)).toMatchObject({ code: 'UNAVAILABLE' });
    expect(warnings.length).toBeGreaterThan(0);
  });

  test('runJobNow while the scheduler is not running is UNAVAILABLE', async () => {
    await using app = createTestApp({ start: false });
    await app.service.addJob({ id: 'idle', task: 'test', trigger: YEARLY });
    expect(firstError(await app.request('mutation { runJobNow(id: "idle") { id } }'))).toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  test('anything else is masked for the client and logged', async () => {
    const logged: unknown[] = [];
    await using app = createTestApp({
      wrapStore: (store) => failingStore(store, () => new Error('secret: postgres://user:hunter2@db')),
      logger: { debug() {}, info() {}, warn() {}, error: (...args) => logged.push(args) },
    });
    const result = await app.request('{ job(id: "x") { id } }');
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
        path: ['job'],
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(JSON.stringify(logged)).toContain('hunter2');
  });
});
