/** The pure part of backfill: which fires of a window run, under which attempt, at what pace. */
import { describe, expect, it } from 'vitest';
import { createMemoryExecutionLog } from '../../src/adapters/memory/execution-log.ts';
import { backfill, fireRecords, planBackfill } from '../../src/core/backfill.ts';
import type { Execution, ExecutionStatus } from '../../src/core/execution.ts';
import { buildJob } from '../../src/core/job-factory.ts';

const T = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

function row(scheduledFor: number, status: ExecutionStatus, extra: Partial<Execution> = {}): Execution {
  return {
    id: crypto.randomUUID(),
    jobId: 'j',
    jobName: 'j',
    task: 'test',
    status,
    triggerKind: 'scheduled',
    scheduledFor,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempt: 1,
    instance: 'test',
    owner: null,
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
    ...extra,
  };
}

describe('planBackfill', () => {
  const fires = [0, 1, 2, 3, 4, 5].map((i) => T + i * MIN);
  const records = fireRecords([
    row(fires[0]!, 'success'),
    // A failed fire retried twice: its next run is attempt 3.
    row(fires[1]!, 'failed'),
    row(fires[1]!, 'failed', { attempt: 2, triggerKind: 'retry' }),
    // A coalesced backlog covering fires 2 and 3.
    row(fires[2]!, 'missed', { coversUntil: fires[3]!, coveredFires: 2 }),
    // Fire 4 is still running: it is in flight, never backfilled.
    row(fires[4]!, 'running'),
  ]);

  it('leaves out recorded and in-flight fires, and spaces the others by the rate', () => {
    const plan = planBackfill(fires, records, false, 1_000, 4);
    expect(plan.map((f) => [f.recorded, f.scheduled])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [true, false],
      [false, false],
      [false, true],
    ]);
    expect(plan[5]).toMatchObject({ attempt: 1, dueAt: 1_000 });
  });

  it('re-runs recorded fires under the next attempt after their highest, at 4 a second', () => {
    const plan = planBackfill(fires, records, true, 1_000, 4);
    expect(plan.filter((f) => f.scheduled).map((f) => [f.attempt, f.dueAt])).toEqual([
      [2, 1_000],
      [3, 1_250],
      [2, 1_500],
      [1, 1_750],
      [1, 2_000],
    ]);
    expect(plan[4]).toMatchObject({ scheduled: false, dueAt: null });
  });
});

describe('backfill against the history', () => {
  it('marks as recorded the fires a missed record starting before the window covers', async () => {
    const log = createMemoryExecutionLog();
    const tasks = {
      get: () => ({ name: 'test', description: '', handler: () => undefined }),
      list: () => [],
    };
    const job = buildJob(
      { id: 'j', task: 'test', trigger: { cron: { expression: '* * * * *' } } },
      { now: T - 60 * MIN, defaultTimezone: 'UTC', tasks, newId: () => 'j' },
    );
    // One record for the five fires T-2 min .. T+2 min, which did not run (a coalesced catch-up).
    await log.insert([
      row(T - 2 * MIN, 'missed', { coversUntil: T + 2 * MIN, coveredFires: 5, finishedAt: T }),
      row(T - 10 * MIN, 'success', { startedAt: T - 10 * MIN, finishedAt: T - 10 * MIN }),
    ]);
    const result = await backfill(
      job,
      { from: T, to: T + 4 * MIN, dryRun: true, rerun: false, maxPerSecond: 10 },
      { log, now: T + 60 * MIN, instance: 'test' },
    );
    expect(result.fires.map((f) => [(f.scheduledFor - T) / MIN, f.recorded, f.scheduled])).toEqual([
      [0, true, false],
      [1, true, false],
      [2, true, false],
      [3, false, true],
      [4, false, true],
    ]);
  });
});
