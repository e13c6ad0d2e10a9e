/**
 * Schedule health over GraphQL: Job.stats over a window, Job.health (OK / LATE / FAILING /
 * OVERDUE), the dead-man's switch as a job field, its `overdue` job event, and the executions
 * connection's totalCount. History rows are written straight into the log, so the numbers are known.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { Execution } from '../../src/core/execution.ts';
import type { Job } from '../../src/core/job.ts';
import type { BusEvent } from '../../src/core/ports.ts';
import { jobHealth, LATE_AFTER_MS } from '../../src/health/health.ts';
import { watchOverdueJobs } from '../../src/health/overdue.ts';
import { createTestApp } from '../graphql/harness.ts';

const MINUTE = 60_000;

function row(jobId: string, scheduledFor: number, overrides: Partial<Execution> = {}): Execution {
  return {
    id: randomUUID(),
    jobId,
    jobName: jobId,
    task: 'test',
    status: 'success',
    triggerKind: 'scheduled',
    scheduledFor,
    startedAt: scheduledFor,
    finishedAt: scheduledFor + 100,
    durationMs: 100,
    attempt: 1,
    instance: 'gql-test',
    owner: null,
    dueAt: scheduledFor,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
    ...overrides,
  };
}

const HOURLY = { interval: { hours: 1 } };

describe('Job.stats and executions totalCount', () => {
  test('sums the window up and counts every page of a filtered history', async () => {
    await using app = createTestApp({ start: false });
    await app.service.addJob({ id: 'report', task: 'test', trigger: HOURLY });
    const now = app.service.now();
    await app.log.insert([
      row('report', now - 3 * MINUTE, { startedAt: now - 3 * MINUTE + 10, durationMs: 100 }),
      row('report', now - 2 * MINUTE, { startedAt: now - 2 * MINUTE + 30, durationMs: 300 }),
      row('report', now - MINUTE, { status: 'failed', startedAt: now - MINUTE + 20, durationMs: 200 }),
      row('report', now - 30_000, { status: 'skipped', startedAt: null, durationMs: null }),
      // Outside a 10-minute window, but the window does not bound the last success.
      row('report', now - 60 * MINUTE, { finishedAt: now - 59 * MINUTE }),
    ]);
    const data = await app.data<{ job: Record<string, unknown> }>(`{
      job(id: "report") {
        stats(windowMs: 600000) {
          windowMs total successRate latenessP50Ms latenessP99Ms durationP50Ms durationP99Ms lastSuccessAt
          counts { status count }
        }
        executions(first: 1, status: [SUCCESS]) { totalCount edges { node { id } } }
      }
      all: executions(jobId: "report", first: 2) { totalCount pageInfo { hasNextPage } }
    }`);
    const stats = data.job.stats as Record<string, unknown>;
    expect(stats).toMatchObject({ windowMs: 600_000, total: 4, durationP50Ms: 200, latenessP50Ms: 20 });
    expect(stats.successRate).toBeCloseTo(2 / 3, 9); // the skipped row is left out
    expect(stats.latenessP99Ms).toBeCloseTo(29.8, 6);
    expect(stats.lastSuccessAt).toBe(new Date(now - 2 * MINUTE + 100).toISOString());
    expect(stats.counts).toEqual(
      expect.arrayContaining([
        { status: 'SUCCESS', count: 2 },
        { status: 'FAILED', count: 1 },
        { status: 'SKIPPED', count: 1 },
      ]),
    );
    expect(data.job.executions).toMatchObject({ totalCount: 3 });
    expect((data as Record<string, unknown>).all).toEqual({ totalCount: 5, pageInfo: { hasNextPage: true } });
  });

  test('refuses a window outside 1 ms to 90 days', async () => {
    await using app = createTestApp({ start: false });
    await app.service.addJob({ id: 'report', task: 'test', trigger: HOURLY });
    const result = await app.request('{ job(id: "report") { stats(windowMs: 0) { total } } }');
    expect(result.errors?.[0]?.message).toContain('windowMs');
  });
});

describe('Job.health and the dead-man’s switch', () => {
  test('OK, FAILING on a failed newest run, OVERDUE when no success came in time', async () => {
    await using app = createTestApp({ start: false });
    const added = await app.data<{ addJob: { expectSuccessWithinMs: number } }>(
      `mutation { addJob(input: { id: "backup", task: "test", trigger: { interval: { hours: 1 } },
        expectSuccessWithinMs: 600000 }) { expectSuccessWithinMs } }`,
    );
    expect(added.addJob.expectSuccessWithinMs).toBe(600_000);
    await app.service.addJob({ id: 'plain', task: 'test', trigger: HOURLY });
    const now = app.service.now();
    const health = async () =>
      (
        await app.data<{ jobs: { edges: { node: { id: string; health: string } }[] } }>(
          '{ jobs { edges { node { id health } } } }',
        )
      ).jobs.edges.map((e) => `${e.node.id}:${e.node.health}`);

    expect(await health()).toEqual(['backup:OK', 'plain:OK']);
    await app.log.insert([row('plain', now - MINUTE, { status: 'failed' })]);
    // The backup's last success was 20 minutes ago: past its 10-minute switch.
    await app.log.insert([row('backup', now - 20 * MINUTE)]);
    expect(await health()).toEqual(['backup:OVERDUE', 'plain:FAILING']);

    await app.service.pauseJob('backup');
    expect(await health()).toEqual(['backup:OK', 'plain:FAILING']);
    await app.data('mutation { updateJob(id: "backup", input: { expectSuccessWithinMs: null }) { id } }');
    expect((await app.service.getJob('backup')).expectSuccessWithinMs).toBeNull();
  });

  test('LATE when the next fire is over a minute past due, or the newest run started that late', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const job = { id: 'j', paused: false, dueAt: now + 1_000, createdAt: now - 10 * MINUTE } as Job;
    const facts = { now, latest: null, lastSuccessAt: null };
    expect(jobHealth(job, facts)).toBe('ok');
    expect(jobHealth({ ...job, dueAt: now - LATE_AFTER_MS - 1 }, facts)).toBe('late');
    expect(jobHealth({ ...job, dueAt: now - LATE_AFTER_MS - 1, paused: true }, facts)).toBe('ok');
    const lateRun = row('j', now - 5 * MINUTE, { startedAt: now - 5 * MINUTE + LATE_AFTER_MS + 1 });
    expect(jobHealth(job, { ...facts, latest: lateRun })).toBe('late');
  });

  test('the watch publishes `overdue` once per turn, and only on the oldest replica', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const job = {
      id: 'backup',
      paused: false,
      createdAt: now - 60 * MINUTE,
      expectSuccessWithinMs: 10 * MINUTE,
    } as Job;
    let lastSuccessAt: number | null = null;
    let oldest = 'a';
    const published: BusEvent[] = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const watch = watchOverdueJobs({
      instance: 'a',
      replicas: async () => [{ id: oldest, instance: oldest, startedAt: 0, expiresAt: now + MINUTE }],
      listJobs: async () => ({
        items: [job, { ...job, id: 'unwatched', expectSuccessWithinMs: null }],
        hasNextPage: false,
        endCursor: null,
      }),
      lastSuccessAt: async () => lastSuccessAt,
      now: () => now,
      publish: (event) => published.push(event),
      logger: quiet,
    });
    await watch.check();
    await watch.check();
    expect(published.map((e) => e.type)).toEqual(['overdue']);
    expect(published[0]).toMatchObject({ stream: 'job', jobId: 'backup', at: now });

    lastSuccessAt = now - MINUTE; // it recovered
    await watch.check();
    lastSuccessAt = now - 20 * MINUTE; // and is overdue again
    await watch.check();
    expect(published).toHaveLength(2);

    oldest = 'b'; // another replica watches now
    lastSuccessAt = now;
    await watch.check();
    lastSuccessAt = now - 20 * MINUTE;
    await watch.check();
    expect(published).toHaveLength(2);
  });
});
