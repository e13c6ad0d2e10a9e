import { describe, expect, it } from 'vitest';
import { settle } from '../support/fake-clock.ts';
import { createHarness, iso } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('scheduler: firing', () => {
  it('fires an interval job at anchor + k * period and records each run', async () => {
    await using h = createHarness();
    const job = await h.add({ id: 'tick', trigger: { interval: { seconds: 10 } } });
    expect(job.nextRunTime).toBe(T0 + 10 * SECOND);
    await h.clock.advance(35 * SECOND);
    const rows = await h.executions('tick');
    expect(rows.map((r) => [iso(r.scheduledFor), r.status, r.triggerKind, r.attempt])).toEqual([
      ['2026-01-01T00:00:10.000Z', 'success', 'scheduled', 1],
      ['2026-01-01T00:00:20.000Z', 'success', 'scheduled', 1],
      ['2026-01-01T00:00:30.000Z', 'success', 'scheduled', 1],
    ]);
    expect(h.calls.map((c) => c.at - c.context.scheduledFor)).toEqual([0, 0, 0]);
    expect((await h.service.getJob('tick')).nextRunTime).toBe(T0 + 40 * SECOND);
  });

  it('fires a cron job in its timezone', async () => {
    await using h = createHarness({ start: '2026-03-07T12:00:00Z' });
    await h.add({ id: 'ny', trigger: { cron: { expression: '30 2 * * *', timezone: 'America/New_York' } } });
    await h.clock.advanceTo(Date.parse('2026-03-09T12:00:00Z'));
    const rows = await h.executions('ny');
    // spring-forward day: 02:30 does not exist, fires right after the jump (03:00 EDT)
    expect(rows.map((r) => iso(r.scheduledFor))).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('a date job runs once and is finished', async () => {
    await using h = createHarness();
    await h.add({ id: 'once', trigger: { date: { runDate: T0 + 5 * SECOND } } });
    await h.clock.advance(60 * SECOND);
    expect((await h.executions('once')).map((r) => r.status)).toEqual(['success']);
    const job = await h.service.getJob('once');
    expect(job.nextRunTime).toBeNull();
    expect(h.events.some((e) => e.stream === 'job' && e.type === 'finished' && e.jobId === 'once')).toBe(
      true,
    );
  });

  it('does not drift over 10,000 fires whatever the handler takes', async () => {
    let n = 0;
    await using h = createHarness({
      // Handlers take a varying time; the schedule must not move by it.
      handler: () => new Promise<void>((resolve) => h.clock.setTimeout(resolve, (n++ * 37) % 900)),
    });
    await h.add({ id: 'grid', trigger: { interval: { seconds: 1 } }, maxInstances: 2 });
    await h.clock.advance(10_000 * SECOND + 999); // the last handler takes < 900 ms
    // The fire at 10,001 s may already be claimed ahead (lookahead): only count what was due.
    const rows = (await h.executions('grid')).filter((r) => r.scheduledFor <= T0 + 10_000 * SECOND);
    expect(rows).toHaveLength(10_000);
    rows.forEach((row, k) => {
      expect(row.scheduledFor).toBe(T0 + (k + 1) * SECOND);
      expect(row.startedAt).toBe(row.scheduledFor);
    });
    expect(rows.every((r) => r.status === 'success')).toBe(true);
  }, 120_000);

  it('wakes early when a job is added while it sleeps', async () => {
    await using h = createHarness({ scheduler: { maxSleepMs: 60_000 } });
    await h.clock.advance(10 * SECOND); // asleep for up to a minute
    await h.add({ id: 'soon', trigger: { date: { runDate: T0 + 10 * SECOND + 500 } } });
    await h.clock.advance(500);
    expect(h.calls.map((c) => c.at)).toEqual([T0 + 10 * SECOND + 500]);
  });

  it('a timer that fires early re-arms instead of claiming too soon or firing twice', async () => {
    await using h = createHarness();
    // Node timers can fire up to 1 ms early: make every timer do so.
    const original = h.clock.setTimeout.bind(h.clock);
    h.clock.setTimeout = (callback, ms) => original(callback, ms > 1 ? ms - 1 : ms);
    await h.add({ id: 'edge', trigger: { interval: { seconds: 1 } } });
    await h.clock.advance(100 * SECOND);
    const rows = await h.executions('edge');
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.scheduledFor)).size).toBe(100);
    expect(h.calls.every((c) => c.at >= c.context.scheduledFor)).toBe(true);
  });
});

describe('scheduler: misfire and coalesce', () => {
  it('records fires later than the grace time as missed and runs the ones within it', async () => {
    await using h = createHarness({ autoStart: false });
    await h.add({
      id: 'late',
      trigger: { interval: { seconds: 10 } },
      coalesce: false,
      misfireGraceTimeMs: 25 * SECOND,
      maxInstances: 3, // the three fires within grace run side by side
    });
    await h.clock.advance(60 * SECOND); // the scheduler is down for a minute
    h.scheduler.start();
    await h.clock.advance(0);
    const rows = await h.executions('late');
    expect(rows.map((r) => [iso(r.scheduledFor), r.status])).toEqual([
      ['2026-01-01T00:00:10.000Z', 'missed'],
      ['2026-01-01T00:00:20.000Z', 'missed'],
      ['2026-01-01T00:00:30.000Z', 'missed'],
      ['2026-01-01T00:00:40.000Z', 'success'],
      ['2026-01-01T00:00:50.000Z', 'success'],
      ['2026-01-01T00:01:00.000Z', 'success'],
    ]);
    expect(h.events.filter((e) => e.stream === 'execution' && e.type === 'missed')).toHaveLength(3);
    expect((await h.service.getJob('late')).nextRunTime).toBe(T0 + 70 * SECOND);
  });

  it('coalesces a backlog of due fires into one run of the latest; one record covers the rest', async () => {
    await using h = createHarness({ autoStart: false });
    await h.add({ id: 'co', trigger: { interval: { seconds: 10 } }, misfireGraceTimeMs: null });
    await h.clock.advance(55 * SECOND);
    h.scheduler.start();
    await h.clock.advance(0);
    const rows = await h.executions('co');
    expect(rows.map((r) => [iso(r.scheduledFor), iso(r.coversUntil), r.coveredFires, r.status])).toEqual([
      ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:40.000Z', 4, 'missed'],
      ['2026-01-01T00:00:50.000Z', null, 1, 'success'],
    ]);
    expect(h.calls).toHaveLength(1);
  });

  it('a coalesced backlog whose latest fire is beyond grace is a covering record and one missed row', async () => {
    await using h = createHarness({ autoStart: false });
    await h.add({ id: 'co2', trigger: { interval: { seconds: 10 } }, misfireGraceTimeMs: 2 * SECOND });
    await h.clock.advance(55 * SECOND);
    h.scheduler.start();
    await h.clock.advance(0);
    expect((await h.executions('co2')).map((r) => [iso(r.scheduledFor), r.coveredFires, r.status])).toEqual([
      ['2026-01-01T00:00:10.000Z', 4, 'missed'],
      ['2026-01-01T00:00:50.000Z', 1, 'missed'],
    ]);
    expect(h.calls).toHaveLength(0);
  });
});

describe('scheduler: maxInstances, timeout, retry', () => {
  it('records a fire over maxInstances as skipped', async () => {
    const release: (() => void)[] = [];
    await using h = createHarness({ handler: () => new Promise<void>((resolve) => release.push(resolve)) });
    await h.add({ id: 'slow', trigger: { interval: { seconds: 1 } }, maxInstances: 2 });
    await h.clock.advance(4 * SECOND);
    expect((await h.executions('slow')).map((r) => r.status)).toEqual([
      'running',
      'running',
      'skipped',
      'skipped',
    ]);
    for (const r of release) r();
    await h.clock.advance(SECOND);
    expect((await h.executions('slow')).map((r) => r.status)).toEqual([
      'success',
      'success',
      'skipped',
      'skipped',
      'running',
    ]);
  });

  it('claims ahead of time but does not skip a fire whose slot frees up before it is due', async () => {
    // The handler holds the only slot until 2 ms before the next fire; claims happen >= 5 ms ahead.
    await using h = createHarness({
      handler: () => new Promise<void>((resolve) => h.clock.setTimeout(resolve, 998)),
    });
    await h.add({ id: 'tight', trigger: { interval: { seconds: 1 } } });
    await h.clock.advance(20 * SECOND + 999);
    // The fire at 21 s is claimed ahead (recorded running, not started): count what was due.
    const rows = (await h.executions('tight')).filter((r) => r.scheduledFor <= T0 + 20 * SECOND);
    expect(rows.map((r) => r.status)).toEqual(Array(20).fill('success'));
    expect(h.calls.map((c) => c.at - c.context.scheduledFor)).toEqual(Array(20).fill(0));
  });

  it('times out: the handler is aborted, the row is timed_out and a late result is ignored', async () => {
    let signal: AbortSignal | undefined;
    let finishLate: (() => void) | undefined;
    await using h = createHarness({
      handler: (_args, context) => {
        signal = context.signal;
        return new Promise<string>((resolve) => {
          finishLate = () => resolve('late');
        });
      },
    });
    await h.add({ id: 'to', trigger: { date: { runDate: T0 + SECOND } }, timeoutMs: 500 });
    await h.clock.advance(SECOND + 499);
    expect(signal?.aborted).toBe(false);
    await h.clock.advance(1);
    expect(signal?.aborted).toBe(true);
    finishLate?.();
    await h.clock.advance(SECOND);
    const [row] = await h.executions('to');
    expect(row?.status).toBe('timed_out');
    expect(row?.error?.message).toContain('timed out after 500 ms');
    expect(row?.result).toBeNull();
    expect(row?.durationMs).toBe(500);
  });

  it('retries with exponential backoff, each attempt its own row', async () => {
    let calls = 0;
    await using h = createHarness({
      handler: () => {
        calls++;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return { ok: true };
      },
    });
    await h.add({
      id: 'flaky',
      trigger: { date: { runDate: T0 + SECOND } },
      retry: { attempts: 4, backoffMs: 1_000, factor: 2, jitter: false },
    });
    await h.clock.advance(10 * SECOND);
    const rows = await h.executions('flaky');
    expect(
      rows.map((r) => [r.attempt, r.triggerKind, r.status, r.error?.message ?? null, r.startedAt! - T0]),
    ).toEqual([
      [1, 'scheduled', 'failed', 'boom 1', 1_000],
      [2, 'retry', 'failed', 'boom 2', 2_000],
      [3, 'retry', 'success', null, 4_000],
    ]);
    expect(rows.every((r) => r.scheduledFor === T0 + SECOND)).toBe(true);
    expect(rows[2]?.result).toEqual({ ok: true });
  });

  it('backoff with jitter stays within [delay/2, delay]', async () => {
    const { retryDelay } = await import('../../src/core/job-factory.ts');
    const policy = { attempts: 10, backoffMs: 1_000, factor: 2, maxBackoffMs: 5_000, jitter: true };
    for (let i = 0; i <= 100; i++) {
      const r = i / 100;
      expect(retryDelay(policy, 1, () => r)).toBeGreaterThanOrEqual(500);
      expect(retryDelay(policy, 1, () => r)).toBeLessThanOrEqual(1_000);
      expect(retryDelay(policy, 6, () => r)).toBeLessThanOrEqual(5_000);
      expect(retryDelay(policy, 6, () => r)).toBeGreaterThanOrEqual(2_500);
    }
  });
});

describe('scheduler: jitter', () => {
  it('delays each fire within [0, jitterMs] and keeps scheduled_for nominal', async () => {
    await using h = createHarness();
    await h.add({ id: 'jit', trigger: { interval: { seconds: 10, jitterMs: 3_000 } } });
    await h.clock.advance(1_000 * SECOND);
    const rows = await h.executions('jit');
    expect(rows).toHaveLength(99); // the 100th is due at 1000 s + jitter
    const delays = rows.map((r) => r.startedAt! - r.scheduledFor);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(3_000);
    expect(new Set(delays).size).toBeGreaterThan(50);
    rows.forEach((row, k) => {
      expect(row.scheduledFor).toBe(T0 + (k + 1) * 10 * SECOND);
    });
  });
});

describe('scheduler: commands', () => {
  it('pause stops fires; resume continues from now on the same grid without making up', async () => {
    await using h = createHarness();
    await h.add({ id: 'p', trigger: { interval: { seconds: 10 } } });
    await h.clock.advance(15 * SECOND);
    const paused = await h.service.pauseJob('p');
    expect(paused.paused).toBe(true);
    await h.clock.advance(60 * SECOND);
    expect(await h.executions('p')).toHaveLength(1);
    const resumed = await h.service.resumeJob('p');
    expect(resumed.nextRunTime).toBe(T0 + 80 * SECOND);
    await h.clock.advance(10 * SECOND);
    expect((await h.executions('p')).map((r) => iso(r.scheduledFor))).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:01:20.000Z',
    ]);
    const types = h.events.filter((e) => e.stream === 'job').map((e) => e.type);
    expect(types).toEqual(['added', 'paused', 'resumed']);
  });

  it('runJobNow runs once as manual and leaves the schedule alone', async () => {
    await using h = createHarness();
    const job = await h.add({ id: 'm', trigger: { interval: { hours: 1 } } });
    await h.clock.advance(5 * SECOND);
    const execution = await h.service.runJobNow('m');
    expect(execution).toMatchObject({ jobId: 'm', triggerKind: 'manual', status: 'running', attempt: 1 });
    await h.clock.advance(0);
    expect((await h.executions('m')).map((r) => [r.triggerKind, r.status])).toEqual([['manual', 'success']]);
    expect((await h.service.getJob('m')).nextRunTime).toBe(job.nextRunTime);
  });

  it('reschedule moves the next fire; update keeps it; remove stops the job', async () => {
    await using h = createHarness();
    await h.add({ id: 'r', trigger: { interval: { minutes: 1 } } });
    const rescheduled = await h.service.rescheduleJob('r', { interval: { seconds: 5 } });
    expect(rescheduled.nextRunTime).toBe(T0 + 5 * SECOND);
    await h.clock.advance(5 * SECOND);
    const renamed = await h.service.updateJob('r', { name: 'renamed' });
    expect(renamed.name).toBe('renamed');
    expect(renamed.nextRunTime).toBe(T0 + 10 * SECOND);
    expect(renamed.version).toBe(3);
    await h.clock.advance(5 * SECOND);
    const rows = await h.executions('r');
    expect(rows.map((r) => r.jobName)).toEqual(['r', 'renamed']);
    const removed = await h.service.removeJob('r');
    expect(removed.id).toBe('r');
    await expect(h.service.removeJob('r')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await h.clock.advance(60 * SECOND);
    expect(await h.executions('r')).toHaveLength(2);
  });

  it('rejects bad input with the field named and changes nothing', async () => {
    await using h = createHarness();
    const bad: [object, string][] = [
      [{ task: 'nope', trigger: { interval: { seconds: 1 } } }, 'task'],
      [{ name: '  ', trigger: { interval: { seconds: 1 } } }, 'name'],
      [{ trigger: { interval: { seconds: 0 } } }, 'trigger.interval'],
      [{ trigger: { interval: { seconds: -5 } } }, 'trigger.interval.seconds'],
      [{ trigger: { cron: { expression: '* * * * *', timezone: 'Mars/Olympus' } } }, 'trigger.cron.timezone'],
      [{ trigger: { date: { runDate: 'not a date' } } }, 'trigger.date.runDate'],
      [{ trigger: { interval: { seconds: 1 } }, maxInstances: 0 }, 'maxInstances'],
      [{ trigger: { interval: { seconds: 1 } }, args: { f: () => 1 } }, 'args.f'],
      [{ trigger: { interval: { seconds: 1 } }, args: { big: 'x'.repeat(70_000) } }, 'args'],
      [{ trigger: { interval: { seconds: 1 } }, retry: { attempts: 0 } }, 'retry.attempts'],
      [{ trigger: { interval: { seconds: 1 } }, timeoutMs: -1 }, 'timeoutMs'],
    ];
    for (const [input, field] of bad) {
      const error = await h.add(input as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(input).slice(0, 80)).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(
        (error as { field: string }).field.startsWith(field),
        `${field} vs ${(error as { field: string }).field}`,
      ).toBe(true);
    }
    expect(await h.scheduler.store.count()).toBe(0);
    await h.add({ id: 'dup', trigger: { interval: { seconds: 1 } } });
    await expect(h.add({ id: 'dup', trigger: { interval: { seconds: 1 } } })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      h.service.rescheduleJob('dup', { cron: { expression: '0 0 31 2 *' } }),
    ).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect((await h.service.getJob('dup')).trigger.kind).toBe('interval');
  });

  it('replace-existing keeps an unchanged declared job and its schedule', async () => {
    await using h = createHarness();
    const first = await h.service.addJob({
      id: 'decl',
      task: 'record',
      trigger: { interval: { minutes: 1 } },
    });
    await h.clock.advance(30 * SECOND);
    const again = await h.service.addJob(
      { id: 'decl', task: 'record', trigger: { interval: { minutes: 1 } } },
      { replaceExisting: true },
    );
    expect(again.version).toBe(first.version);
    expect(again.nextRunTime).toBe(first.nextRunTime);
    const changed = await h.service.addJob(
      { id: 'decl', task: 'record', trigger: { interval: { minutes: 2 } } },
      { replaceExisting: true },
    );
    expect(changed.version).toBe(first.version + 1);
    expect(changed.nextRunTime).toBe(T0 + 30 * SECOND + 120 * SECOND);
  });
});

describe('scheduler: resilience', () => {
  it('a listener that throws never crashes the scheduler', async () => {
    await using h = createHarness();
    h.scheduler.events.on('execution', () => {
      throw new Error('bad listener');
    });
    const listenerErrors: unknown[] = [];
    h.scheduler.events.on('listenerError', ({ error }) => listenerErrors.push(error));
    await h.add({ id: 'l', trigger: { interval: { seconds: 1 } } });
    await h.clock.advance(3 * SECOND);
    expect((await h.executions('l')).map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(listenerErrors.length).toBeGreaterThan(0);
  });

  it('graceful stop lets quick runs finish and abandons the rest at the deadline', async () => {
    await using h = createHarness({
      handler: (args) =>
        new Promise<void>((resolve) => h.clock.setTimeout(resolve, (args as { ms: number }).ms)),
    });
    await h.add({ id: 'quick', trigger: { date: { runDate: T0 + SECOND } }, args: { ms: 2_000 } });
    await h.add({ id: 'slow', trigger: { date: { runDate: T0 + SECOND } }, args: { ms: 60_000 } });
    await h.clock.advance(SECOND);
    const stopping = h.scheduler.stop({ deadlineMs: 5_000 });
    await h.clock.advance(5_000);
    await stopping;
    expect((await h.executions('quick')).map((r) => r.status)).toEqual(['success']);
    const [slow] = await h.executions('slow');
    expect(slow?.status).toBe('abandoned');
    expect(h.calls.find((c) => c.context.jobId === 'slow')?.context.signal.aborted).toBe(true);
  });

  it('a store failure during claim is retried and the fire still runs', async () => {
    await using h = createHarness();
    await h.add({ id: 'f', trigger: { date: { runDate: T0 + SECOND } } });
    const claimDue = h.scheduler.store.claimDue.bind(h.scheduler.store);
    let failures = 2;
    h.scheduler.store.claimDue = (limit, lease) =>
      failures-- > 0 ? Promise.reject(new Error('redis down')) : claimDue(limit, lease);
    await h.clock.advance(5 * SECOND);
    expect((await h.executions('f')).map((r) => r.status)).toEqual(['success']);
    expect(h.errors).toHaveLength(2);
  });

  it('a log failure during insert hands the fire back and it runs on the next round', async () => {
    await using h = createHarness();
    await h.add({ id: 'g', trigger: { date: { runDate: T0 + SECOND } } });
    const insert = h.scheduler.log.insert.bind(h.scheduler.log);
    let failures = 1;
    h.scheduler.log.insert = (rows) => (failures-- > 0 ? Promise.reject(new Error('pg down')) : insert(rows));
    await h.clock.advance(5 * SECOND);
    expect((await h.executions('g')).map((r) => r.status)).toEqual(['success']);
    expect(h.calls).toHaveLength(1);
  });
});

void settle;
