/**
 * Overlap and catch-up policies (issue 12) on a fake clock: who runs, who waits, who is SKIPPED
 * or CANCELLED, and that every fire still has exactly one terminal record.
 */

import { describe, expect, it } from 'vitest';
import { createMemoryAuditLog } from '../../src/adapters/memory/audit-log.ts';
import type { Execution } from '../../src/core/execution.ts';
import type { CoalesceInput, Job, OverlapPolicy } from '../../src/core/job.ts';
import { accountingProblems } from '../support/accounting.ts';
import { createHarness, type Harness, iso, slowHandler } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

async function overlapJob(policy: OverlapPolicy, slotLeaseMs?: number) {
  const slow = slowHandler();
  const h = createHarness({ handler: slow.handler, scheduler: slotLeaseMs ? { slotLeaseMs } : {} });
  const job = await h.add({ id: policy, trigger: { interval: { seconds: 1 } }, overlap: policy });
  return { h, job, release: slow.release };
}

/** The accounting of the fires of 1 s up to `untilSecond` (excluded), the later ones still in flight. */
const accounted = (job: Job, untilSecond: number, rows: Execution[]) =>
  accountingProblems(
    job,
    T0 + SECOND,
    T0 + untilSecond * SECOND,
    rows.filter((r) => r.scheduledFor < T0 + untilSecond * SECOND),
  );

const statuses = async (h: Harness, id: string) =>
  (await h.executions(id)).map((r) => [(r.scheduledFor - T0) / SECOND, r.status]);

describe('overlap policies: all maxInstances busy at a fire’s due time', () => {
  it('SKIP (the default): the fire is recorded SKIPPED', async () => {
    const { h, release } = await overlapJob('skip');
    await using _ = h;
    await h.clock.advance(2 * SECOND);
    expect(await statuses(h, 'skip')).toEqual([
      [1, 'running'],
      [2, 'skipped'],
    ]);
    release();
    await h.clock.advance(SECOND);
    expect((await statuses(h, 'skip')).slice(0, 2)).toEqual([
      [1, 'success'],
      [2, 'skipped'],
    ]);
  });

  it('BUFFER_ONE: one fire waits and starts when the slot frees; the next one is SKIPPED', async () => {
    const { h, job, release } = await overlapJob('buffer_one');
    await using _ = h;
    await h.clock.advance(3.2 * SECOND);
    expect(await statuses(h, 'buffer_one')).toEqual([
      [1, 'running'],
      [2, 'running'],
      [3, 'skipped'],
    ]);
    expect((await h.executions('buffer_one'))[2]?.error?.message).toMatch(
      /1 fire\(s\) already waited.*BUFFER_ONE/,
    );
    expect(h.calls.map((c) => (c.context.scheduledFor - T0) / SECOND)).toEqual([1]);
    release(); // at 3.2 s: the buffered fire of 2 s takes the slot as it is given back
    await h.clock.advance(0.5 * SECOND);
    expect(h.calls.map((c) => [(c.context.scheduledFor - T0) / SECOND, (c.at - T0) / SECOND])).toEqual([
      [1, 1],
      [2, 3.2],
    ]);
    // 4 s was due while 2 s ran: it waits in turn.
    release();
    await h.clock.advance(SECOND);
    const rows = await h.executions('buffer_one');
    expect(rows.find((r) => r.scheduledFor === T0 + 2 * SECOND)?.status).toBe('success');
    expect(accounted(job, 4, rows)).toEqual([]);
  });

  it('BUFFER_ALL: fires wait and start in their order, one after another', async () => {
    const { h, job, release } = await overlapJob('buffer_all');
    await using _ = h;
    await h.clock.advance(4.2 * SECOND);
    expect((await statuses(h, 'buffer_all')).map(([, s]) => s)).toEqual([
      'running',
      'running',
      'running',
      'running',
    ]);
    for (let i = 0; i < 3; i++) {
      release();
      await h.clock.advance(0.5 * SECOND);
    }
    expect(h.calls.map((c) => (c.context.scheduledFor - T0) / SECOND)).toEqual([1, 2, 3, 4]);
    expect((await statuses(h, 'buffer_all')).slice(0, 3).map(([, s]) => s)).toEqual([
      'success',
      'success',
      'success',
    ]);
    const rows = await h.executions('buffer_all');
    expect(accounted(job, 4, rows)).toEqual([]);
  });

  it('CANCEL_OTHER: the running fire is aborted through its signal, recorded CANCELLED, and the new one starts', async () => {
    const { h, job } = await overlapJob('cancel_other');
    await using _ = h;
    await h.clock.advance(SECOND);
    const first = h.calls[0];
    await h.clock.advance(SECOND);
    expect(first?.context.signal.aborted).toBe(true);
    await h.clock.advance(0.5 * SECOND);
    const rows = await h.executions('cancel_other');
    expect(rows.slice(0, 2).map((r) => [(r.scheduledFor - T0) / SECOND, r.status])).toEqual([
      [1, 'cancelled'],
      [2, 'running'],
    ]);
    expect(rows[0]?.error?.message).toMatch(/CANCEL_OTHER/);
    expect(h.calls.map((c) => (c.context.scheduledFor - T0) / SECOND)).toEqual([1, 2]);
    expect(h.events.some((e) => e.stream === 'execution' && e.type === 'cancelled')).toBe(true);
    expect(accounted(job, 2, rows)).toEqual([]);
  });

  it('CANCEL_OTHER reaches a run held by another replica through the mark its slot renewal reads', async () => {
    // A 3 s slot lease: the pulse renews slots every second.
    const { h } = await overlapJob('cancel_other', 3_000);
    await using _ = h;
    await h.clock.advance(SECOND);
    // Another replica's fire marks this one's run (as acquireQueuedSlots does for a remote holder).
    const holder = (await h.executions('cancel_other'))[0];
    await h.store.acquireQueuedSlots(
      [
        {
          slot: { jobId: 'cancel_other', executionId: 'ffffffff-remote' },
          maxInstances: 1,
          order: 0,
          limit: 1,
          cancelOldest: true,
        },
      ],
      30_000,
    );
    expect(h.calls[0]?.context.signal.aborted).toBe(false);
    await h.clock.advance(SECOND); // the next pulse renews the slot and sees the mark
    expect(h.calls[0]?.context.signal.aborted).toBe(true);
    expect((await h.executions('cancel_other')).find((r) => r.id === holder?.id)?.status).toBe('cancelled');
  });
});

describe('catch-up: coalesce EARLIEST | LATEST | ALL after downtime', () => {
  async function catchUp(coalesce: CoalesceInput) {
    const h = createHarness({ autoStart: false });
    const job = await h.add({
      id: 'c',
      trigger: { interval: { seconds: 5 } },
      coalesce,
      misfireGraceTimeMs: null,
      maxInstances: 5,
    });
    // Down for 27.5 s: fires of 5..25 s are overdue (under the 30 s after which the start-up sweep
    // settles a running row no run holds yet).
    await h.clock.advance(27.5 * SECOND);
    h.scheduler.start();
    await h.clock.advance(0);
    const rows = await h.executions('c');
    expect(accountingProblems(job, T0 + 5 * SECOND, T0 + 30 * SECOND, rows)).toEqual([]);
    return { h, rows: rows.map((r) => [iso(r.scheduledFor), iso(r.coversUntil), r.coveredFires, r.status]) };
  }

  it('EARLIEST runs the first missed fire; one record covers the others', async () => {
    const { h, rows } = await catchUp('earliest');
    await using _ = h;
    expect(rows).toEqual([
      ['2026-01-01T00:00:05.000Z', null, 1, 'success'],
      ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:25.000Z', 4, 'missed'],
    ]);
    expect((await h.service.getJob('c')).coalesce).toBe('earliest');
  });

  it('LATEST (and coalesce: true) runs the last one', async () => {
    // The enum spelling of GraphQL and jobs files is accepted too.
    for (const coalesce of ['LATEST' as CoalesceInput, true]) {
      const { h, rows } = await catchUp(coalesce);
      await using _ = h;
      expect(rows).toEqual([
        ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:20.000Z', 4, 'missed'],
        ['2026-01-01T00:00:25.000Z', null, 1, 'success'],
      ]);
    }
  });

  it('ALL (and coalesce: false) runs every missed fire', async () => {
    for (const coalesce of ['all', false] as const) {
      const { h, rows } = await catchUp(coalesce);
      await using _ = h;
      expect(rows.map((r) => r[3])).toEqual(['success', 'success', 'success', 'success', 'success']);
      expect((await h.service.getJob('c')).coalesce).toBe('all');
    }
  });

  it('refuses an unknown policy, naming the choices', async () => {
    await using h = createHarness({ autoStart: false });
    await expect(
      h.add({ trigger: { interval: { seconds: 1 } }, coalesce: 'FIRST' as never }),
    ).rejects.toThrow(/coalesce.*true, false, EARLIEST, LATEST, ALL/);
    await expect(h.add({ trigger: { interval: { seconds: 1 } }, overlap: 'QUEUE' as never })).rejects.toThrow(
      /overlap.*SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER/,
    );
  });
});

describe('DST policy in the scheduler', () => {
  it('a cron job with gap SKIP does not fire on the day its local time does not exist (New York)', async () => {
    await using h = createHarness({ start: '2026-03-07T12:00:00.000Z' });
    await h.add({
      id: 'ny',
      trigger: { cron: { expression: '30 2 * * *', timezone: 'America/New_York', dst: { gap: 'SKIP' } } },
    });
    await h.clock.advance(3 * 86_400 * SECOND);
    expect((await h.executions('ny')).map((r) => [iso(r.scheduledFor), r.status])).toEqual([
      ['2026-03-09T06:30:00.000Z', 'success'],
      ['2026-03-10T06:30:00.000Z', 'success'],
    ]);
  });

  it('a cron job with repeat BOTH fires in both passes of the repeated hour (Paris)', async () => {
    await using h = createHarness({ start: '2026-10-24T12:00:00.000Z' });
    await h.add({
      id: 'paris',
      trigger: { cron: { expression: '30 2 * * *', timezone: 'Europe/Paris', dst: { repeat: 'BOTH' } } },
    });
    await h.clock.advance(86_400 * SECOND);
    expect((await h.executions('paris')).map((r) => iso(r.scheduledFor))).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
  });
});

describe('limited runs: maxRuns', () => {
  it('finishes the job after maxRuns runs, with runCount and a finished event', async () => {
    await using h = createHarness();
    await h.add({ id: 'few', trigger: { interval: { seconds: 1 } }, maxRuns: 3 });
    await h.clock.advance(10 * SECOND);
    expect(h.calls).toHaveLength(3);
    const job = await h.service.getJob('few');
    expect([job.nextRunTime, job.runCount, job.maxRuns]).toEqual([null, 3, 3]);
    expect((await h.executions('few')).map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(h.events.some((e) => e.stream === 'job' && e.type === 'finished')).toBe(true);
  });

  it('a coalesced catch-up counts one run; fires after the last run are not fires of the job', async () => {
    await using h = createHarness({ autoStart: false });
    await h.add({ id: 'c', trigger: { interval: { seconds: 1 } }, maxRuns: 2, misfireGraceTimeMs: null });
    await h.clock.advance(5.5 * SECOND);
    h.scheduler.start();
    await h.clock.advance(3 * SECOND);
    const rows = await h.executions('c');
    expect(rows.map((r) => [(r.scheduledFor - T0) / SECOND, r.coveredFires, r.status])).toEqual([
      [1, 4, 'missed'],
      [5, 1, 'success'],
      [6, 1, 'success'],
    ]);
    expect((await h.service.getJob('c')).nextRunTime).toBeNull();
  });
});

describe('pause: who paused, and pause after failures', () => {
  it('pauseAfterFailures: 3 pauses the job after its third failed run in a row, with a job event', async () => {
    let fail = false;
    await using h = createHarness({
      handler: () => {
        if (fail) throw new Error('down');
      },
    });
    await h.add({ id: 'flaky', trigger: { interval: { seconds: 1 } }, pauseAfterFailures: 3 });
    await h.clock.advance(SECOND); // a success first
    fail = true;
    await h.clock.advance(2 * SECOND);
    expect((await h.service.getJob('flaky')).paused).toBe(false); // two failures only
    await h.clock.advance(SECOND);
    const job = await h.service.getJob('flaky');
    expect([job.paused, job.pausedBy, job.pauseReason]).toEqual([
      true,
      'system',
      'paused after 3 consecutive failed run(s) (pauseAfterFailures)',
    ]);
    expect(h.events.some((e) => e.stream === 'job' && e.type === 'paused' && e.jobId === 'flaky')).toBe(true);
    await h.clock.advance(5 * SECOND);
    expect((await h.executions('flaky')).map((r) => r.status)).toEqual([
      'success',
      'failed',
      'failed',
      'failed',
    ]);
  });

  it('a pause after failures is in the audit trail, by "system"', async () => {
    const audit = createMemoryAuditLog();
    await using h = createHarness({
      handler: () => {
        throw new Error('down');
      },
      scheduler: { audit },
    });
    await h.add({ id: 'audited', trigger: { interval: { seconds: 1 } }, pauseAfterFailures: 2 });
    await h.clock.advance(3 * SECOND);
    expect((await h.service.getJob('audited')).paused).toBe(true);
    const trail = await audit.list({ jobId: 'audited', first: 10 });
    expect(trail.items.map((e) => [e.action, e.actor])).toEqual([['paused', 'system']]);
    expect(trail.items[0]?.after).toMatchObject({ paused: true, pausedBy: 'system' });
  });

  it('a success breaks the streak; a failed attempt that was retried is not a failed run', async () => {
    let calls = 0;
    await using h = createHarness({
      handler: () => {
        calls++;
        if (calls % 3 !== 0) throw new Error('flaky'); // fails twice, then succeeds
      },
    });
    await h.add({
      id: 'retried',
      trigger: { interval: { seconds: 10 } },
      pauseAfterFailures: 2,
      retry: { attempts: 3, backoffMs: 100, jitter: false },
    });
    await h.clock.advance(45 * SECOND);
    expect((await h.service.getJob('retried')).paused).toBe(false);
  });

  it('pausedBy is the caller: a token by its scope, the jobs file, or system', async () => {
    await using h = createHarness({ autoStart: false });
    await h.add({ id: 'j', trigger: { interval: { seconds: 1 } } });
    const paused = await h.service.as('operate token').pauseJob('j', 'maintenance');
    expect([paused.pausedBy, paused.pauseReason]).toEqual(['operate token', 'maintenance']);
    expect((await h.service.getJob('j')).pausedBy).toBe('operate token');
    expect((await h.service.resumeJob('j')).pausedBy).toBeNull();
    const declared = await h.service.as('jobs file').addJob({
      id: 'k',
      task: 'record',
      paused: true,
      trigger: { interval: { seconds: 1 } },
    });
    expect(declared.pausedBy).toBe('jobs file');
  });
});

describe('several triggers per job', () => {
  it('a job with an any trigger fires at each member’s times, a shared instant once', async () => {
    await using h = createHarness();
    const job = await h.add({
      id: 'any',
      trigger: { any: [{ interval: { seconds: 2 } }, { interval: { seconds: 3 } }] },
    });
    await h.clock.advance(12 * SECOND);
    const rows = await h.executions('any');
    expect(rows.map((r) => (r.scheduledFor - T0) / SECOND)).toEqual([2, 3, 4, 6, 8, 9, 10, 12]);
    expect(
      accountingProblems(
        job,
        T0 + 2 * SECOND,
        T0 + 14 * SECOND,
        rows.filter((r) => r.scheduledFor < T0 + 14 * SECOND),
      ),
    ).toEqual([]);
  });
});

describe('exclusions', () => {
  it('a holiday, a maintenance window and a range: the fires in them are recorded SKIPPED, the others run', async () => {
    await using h = createHarness({ start: '2026-12-24T00:00:00.000Z' });
    const job = await h.add({
      id: 'ex',
      trigger: { cron: { expression: '0 */6 * * *' } },
      exclusions: [
        { date: '2026-12-25', note: 'Christmas' },
        { cron: '0 11 * * *', durationMs: 2 * 3_600_000, note: 'backup' },
        { from: '2026-12-26T17:00:00Z', to: '2026-12-26T19:00:00Z' },
      ],
    });
    await h.clock.advance(3 * 86_400 * SECOND);
    const rows = await h.executions('ex');
    const day = (d: string) =>
      rows
        .filter((r) => iso(r.scheduledFor)?.startsWith(d))
        .map((r) => [iso(r.scheduledFor)?.slice(11, 16), r.status]);
    expect(day('2026-12-24')).toEqual([
      ['06:00', 'success'],
      ['12:00', 'skipped'],
      ['18:00', 'success'],
    ]);
    expect(day('2026-12-25').every(([, s]) => s === 'skipped')).toBe(true);
    expect(day('2026-12-26')).toEqual([
      ['00:00', 'success'],
      ['06:00', 'success'],
      ['12:00', 'skipped'],
      ['18:00', 'skipped'],
    ]);
    expect(rows.find((r) => iso(r.scheduledFor) === '2026-12-25T06:00:00.000Z')?.error?.message).toBe(
      'excluded: date 2026-12-25 (UTC): Christmas',
    );
    expect(rows.find((r) => iso(r.scheduledFor) === '2026-12-24T12:00:00.000Z')?.error?.message).toMatch(
      /backup/,
    );
    const until = Date.parse('2026-12-27T00:00:00Z');
    expect(
      accountingProblems(
        job,
        Date.parse('2026-12-24T06:00:00Z'),
        until,
        rows.filter((r) => r.scheduledFor < until),
      ),
    ).toEqual([]);
  });

  it('refuses an exclusion that sets two shapes or a bad date', async () => {
    await using h = createHarness({ autoStart: false });
    const trigger = { interval: { hours: 1 } };
    await expect(h.add({ trigger, exclusions: [{ date: '2026-12-25', cron: '* * * * *' }] })).rejects.toThrow(
      /exclusions\[0\].*exactly one/,
    );
    await expect(h.add({ trigger, exclusions: [{ date: '25/12/2026' }] })).rejects.toThrow(
      /exclusions\[0\]\.date/,
    );
    await expect(h.add({ trigger, exclusions: [{ cron: '0 2 * * *' }] })).rejects.toThrow(
      /exclusions\[0\]\.durationMs/,
    );
  });
});

describe('exclusions in a catch-up', () => {
  it('LATEST keeps the latest fire that may run; the excluded ones after it are recorded as such', async () => {
    await using h = createHarness({ autoStart: false });
    const job = await h.add({
      id: 'cx',
      trigger: { interval: { seconds: 5 } },
      misfireGraceTimeMs: null,
      exclusions: [{ from: '2026-01-01T00:00:19Z', to: '2026-01-01T00:00:26Z' }],
    });
    await h.clock.advance(27.5 * SECOND);
    h.scheduler.start();
    await h.clock.advance(0);
    const rows = await h.executions('cx');
    expect(rows.map((r) => [(r.scheduledFor - T0) / SECOND, r.coveredFires, r.status])).toEqual([
      [5, 2, 'missed'],
      [15, 1, 'success'],
      [20, 1, 'skipped'],
      [25, 1, 'skipped'],
    ]);
    expect(accountingProblems(job, T0 + 5 * SECOND, T0 + 30 * SECOND, rows)).toEqual([]);
  });
});
