/** The log line of a finished run (src/app/event-log.ts): info for a success, warn with the error. */
import { describe, expect, test } from 'vitest';
import { logSchedulerEvents } from '../../src/app/event-log.ts';
import { SchedulerEvents } from '../../src/core/events.ts';
import type { Execution } from '../../src/core/execution.ts';
import type { Scheduler } from '../../src/core/scheduler/scheduler.ts';
import type { JsonLogger } from '../../src/logger.ts';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');

function execution(overrides: Partial<Execution>): Execution {
  return {
    id: 'e1',
    jobId: 'report',
    jobName: 'report',
    task: 'http',
    status: 'success',
    triggerKind: 'scheduled',
    scheduledFor: T0,
    startedAt: T0 + 12,
    finishedAt: T0 + 262,
    durationMs: 250,
    attempt: 1,
    instance: 'a',
    owner: null,
    dueAt: T0,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
    ...overrides,
  };
}

describe('run log lines', () => {
  test('a success at info and a failure at warn, with scheduledFor, attempt, lateness, duration', () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const record =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        lines.push({ level, message, fields });
    const logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    } as unknown as JsonLogger;
    const events = new SchedulerEvents();
    logSchedulerEvents({ events } as Scheduler, logger);

    events.emit('execution', {
      stream: 'execution',
      type: 'started',
      at: T0,
      execution: execution({ status: 'running' }),
    });
    events.emit('execution', { stream: 'execution', type: 'succeeded', at: T0, execution: execution({}) });
    const failed = execution({
      id: 'e2',
      status: 'failed',
      attempt: 2,
      error: { message: 'HTTP 503', stack: null },
    });
    events.emit('execution', { stream: 'execution', type: 'failed', at: T0, execution: failed });

    const fields = {
      jobId: 'report',
      scheduledFor: '2026-03-01T09:00:00.000Z',
      latenessMs: 12,
      durationMs: 250,
    };
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([
      {
        level: 'info',
        message: 'execution succeeded',
        fields: { ...fields, executionId: 'e1', status: 'success', attempt: 1 },
      },
      {
        level: 'warn',
        message: 'execution failed',
        fields: { ...fields, executionId: 'e2', status: 'failed', attempt: 2, error: 'HTTP 503' },
      },
    ]);
  });
});

/** The warn and error lines of logSchedulerEvents, on a clock the test moves. */
function warnings(now: () => number) {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const warn = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  const logger = { debug() {}, info() {}, warn, error: warn } as unknown as JsonLogger;
  const events = new SchedulerEvents();
  logSchedulerEvents({ events } as Scheduler, logger, now);
  return { lines, events };
}

describe('failure log lines', () => {
  test('the same failure of the same step is logged once per 10 s, with how many were folded in', () => {
    let now = T0;
    const { lines, events } = warnings(() => now);
    const down = new Error('Redis is unavailable');
    for (let i = 0; i < 20; i++) {
      events.emit('error', { error: down, during: 'claim' });
      now += 250; // four rounds a second for 5 s
    }
    events.emit('error', { error: new Error('something else'), during: 'claim' });
    events.emit('error', { error: down, during: 'heartbeat' });
    now += 10_000;
    events.emit('error', { error: down, during: 'claim' });
    expect(lines.map((l) => [l.message, l.fields.repeatedSinceLastLine ?? 0])).toEqual([
      ['scheduler: claim failed', 0],
      ['scheduler: claim failed', 0],
      ['scheduler: heartbeat failed', 0],
      ['scheduler: claim failed', 19],
    ]);
  });
});

describe('late starts', () => {
  test('a run that starts past the threshold is one warning per window, with what it folded', () => {
    let now = T0;
    const { lines, events } = warnings(() => now);
    const late = (lateMs: number) =>
      events.emit('lateStart', { jobId: 'j', executionId: 'e', lateMs, thresholdMs: 1_000 });
    late(1_200);
    for (let i = 0; i < 30; i++) {
      now += 100;
      late(1_500 + i);
    }
    now += 10_000;
    late(1_100);
    expect(lines.map((l) => l.fields)).toEqual([
      { lateMs: 1_200, thresholdMs: 1_000 },
      { lateMs: 1_100, thresholdMs: 1_000, lateSinceLastLine: 30, worstMsSinceLastLine: 1_529 },
    ]);
    expect(lines[0]?.message).toMatch(/cannot keep up; add a replica/);
  });
});
