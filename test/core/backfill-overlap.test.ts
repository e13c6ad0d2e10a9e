/**
 * Backfill overlap policies on a fake clock: a backfill of three fires, one a second, of a job with
 * maxInstances 1 whose handler runs until released, so the second and third fires find the slot
 * busy at their due time. Who runs, who waits, who is SKIPPED or CANCELLED, and each fire ends in
 * exactly one terminal record.
 */
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../src/core/execution.ts';
import type { OverlapPolicy } from '../../src/core/job.ts';
import { createHarness, type Harness, slowHandler } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
// Three past fires of an every-minute job; its next scheduled fire (00:01) is outside the tests.
const FROM = T0 - 10 * MINUTE;
const TO = T0 - 8 * MINUTE;

async function backfilled(overlap: OverlapPolicy | undefined) {
  const slow = slowHandler();
  const h = createHarness({ handler: slow.handler });
  await h.add({ id: 'bf', trigger: { cron: { expression: '* * * * *' } } });
  const result = await h.service.backfillJob('bf', {
    from: FROM,
    to: TO,
    dryRun: false,
    rerun: false,
    maxPerSecond: 1,
    ...(overlap === undefined ? {} : { overlap }),
  });
  expect(result.fires.map((f) => f.dueAt)).toEqual([T0, T0 + SECOND, T0 + 2 * SECOND]);
  return { h, release: slow.release };
}

/** [minutes before T0, status] of each row, in fire order. */
const statuses = async (h: Harness) =>
  (await h.executions('bf')).map((r) => [(T0 - r.scheduledFor) / MINUTE, r.status]);

const started = (h: Harness) =>
  h.calls.map((c) => [(T0 - c.context.scheduledFor) / MINUTE, (c.at - T0) / SECOND]);

/** Each of the three fires has one row, and it is terminal. */
function expectAccounted(rows: Execution[]) {
  expect(rows.map((r) => r.scheduledFor)).toEqual([FROM, FROM + MINUTE, TO]);
  expect(rows.every((r) => r.status !== 'pending' && r.status !== 'running')).toBe(true);
  expect(rows.every((r) => r.triggerKind === 'backfill')).toBe(true);
}

describe('backfill overlap: all maxInstances busy at a backfill fire’s due time', () => {
  it('SKIP: the fire is recorded SKIPPED with the reason, and never starts', async () => {
    const { h, release } = await backfilled('skip');
    await using _ = h;
    await h.clock.advance(2.2 * SECOND);
    expect(await statuses(h)).toEqual([
      [10, 'running'],
      [9, 'skipped'],
      [8, 'skipped'],
    ]);
    const rows = await h.executions('bf');
    expect(rows[1]?.error?.message).toBe('maxInstances (1) were all busy at the due time');
    expect(rows[1]?.startedAt).toBeNull();
    expect(rows.map((r) => r.overlap)).toEqual(['skip', 'skip', 'skip']);
    release();
    await h.clock.advance(SECOND);
    expect(started(h)).toEqual([[10, 0]]);
    expectAccounted(await h.executions('bf'));
  });

  it('BUFFER_ONE: one fire waits and starts when the slot frees; a further one is SKIPPED', async () => {
    const { h, release } = await backfilled('buffer_one');
    await using _ = h;
    await h.clock.advance(2.2 * SECOND);
    expect(await statuses(h)).toEqual([
      [10, 'running'],
      [9, 'running'], // waits in the job's queue
      [8, 'skipped'],
    ]);
    expect((await h.executions('bf'))[2]?.error?.message).toMatch(
      /1 fire\(s\) already waited for a slot \(backfill overlap BUFFER_ONE\)/,
    );
    release(); // at 2.2 s: the waiting fire takes the slot as it is given back
    await h.clock.advance(0.5 * SECOND);
    expect(started(h)).toEqual([
      [10, 0],
      [9, 2.2],
    ]);
    release();
    await h.clock.advance(SECOND);
    expect(await statuses(h)).toEqual([
      [10, 'success'],
      [9, 'success'],
      [8, 'skipped'],
    ]);
    expectAccounted(await h.executions('bf'));
  });

  it('BUFFER_ALL (the default): every fire waits and runs in turn, none is SKIPPED', async () => {
    const { h, release } = await backfilled(undefined);
    await using _ = h;
    await h.clock.advance(2.2 * SECOND);
    expect((await statuses(h)).map(([, s]) => s)).toEqual(['running', 'running', 'running']);
    expect((await h.executions('bf')).map((r) => r.overlap)).toEqual([
      'buffer_all',
      'buffer_all',
      'buffer_all',
    ]);
    for (let i = 0; i < 3; i++) {
      release();
      await h.clock.advance(0.5 * SECOND);
    }
    expect(started(h).map(([minutes]) => minutes)).toEqual([10, 9, 8]);
    expect((await statuses(h)).map(([, s]) => s)).toEqual(['success', 'success', 'success']);
    expectAccounted(await h.executions('bf'));
  });

  it('CANCEL_OTHER: the running fire is aborted, recorded CANCELLED, and the new one starts', async () => {
    const { h, release } = await backfilled('cancel_other');
    await using _ = h;
    await h.clock.advance(1.6 * SECOND);
    expect(h.calls[0]?.context.signal.aborted).toBe(true);
    expect(await statuses(h)).toEqual([
      [10, 'cancelled'],
      [9, 'running'],
      [8, 'pending'],
    ]);
    expect((await h.executions('bf'))[0]?.error?.message).toMatch(/CANCEL_OTHER/);
    await h.clock.advance(SECOND);
    expect(h.calls[1]?.context.signal.aborted).toBe(true);
    for (let i = 0; i < 3; i++) release(); // in start order: the two aborted ones are settled already
    await h.clock.advance(SECOND);
    expect(started(h).map(([minutes]) => minutes)).toEqual([10, 9, 8]);
    expect(await statuses(h)).toEqual([
      [10, 'cancelled'],
      [9, 'cancelled'],
      [8, 'success'],
    ]);
    expect(h.events.filter((e) => e.stream === 'execution' && e.type === 'cancelled')).toHaveLength(2);
    expectAccounted(await h.executions('bf'));
  });

  it('CANCEL_OTHER: a fire due while another waits for the slot it cancelled is SKIPPED (one waiter per slot)', async () => {
    // A handler that ends only when told, whatever its signal says: the cancelled run keeps its slot.
    const ends: (() => void)[] = [];
    const h = createHarness({ handler: () => new Promise<void>((resolve) => ends.push(resolve)) });
    await using _ = h;
    await h.add({ id: 'bf', trigger: { cron: { expression: '* * * * *' } } });
    const request = { from: FROM, to: TO, dryRun: false, rerun: false, maxPerSecond: 10 } as const;
    await h.service.backfillJob('bf', { ...request, overlap: 'cancel_other' });
    await h.clock.advance(SECOND);
    expect(await statuses(h)).toEqual([
      [10, 'running'], // aborted, not yet ended
      [9, 'running'], // waits for the slot it cancelled
      [8, 'skipped'],
    ]);
    expect(h.calls[0]?.context.signal.aborted).toBe(true);
    expect((await h.executions('bf'))[2]?.error?.message).toMatch(/backfill overlap CANCEL_OTHER/);
    ends.shift()?.(); // the cancelled run ends: the waiting fire takes its slot at once
    await h.clock.advance(10);
    expect(started(h)).toEqual([
      [10, 0],
      [9, 1],
    ]);
    expect((await statuses(h)).slice(0, 2)).toEqual([
      [10, 'cancelled'],
      [9, 'running'],
    ]);
  });

  it('a backfill fire follows its own policy, not the job’s: SKIP beside a job that buffers', async () => {
    const slow = slowHandler();
    const h = createHarness({ handler: slow.handler });
    await using _ = h;
    await h.add({ id: 'bf', trigger: { cron: { expression: '* * * * *' } }, overlap: 'buffer_all' });
    const request = { from: FROM, to: TO, dryRun: false, rerun: false, maxPerSecond: 1 } as const;
    await h.service.backfillJob('bf', { ...request, overlap: 'skip' });
    await h.clock.advance(2.2 * SECOND);
    expect((await statuses(h)).map(([, s]) => s)).toEqual(['running', 'skipped', 'skipped']);
  });

  it('a failed backfill fire is retried; the retry waits by its own rule and carries no policy', async () => {
    let calls = 0;
    const h = createHarness({
      handler: () => {
        calls++;
        if (calls === 1) throw new Error('first attempt fails');
      },
    });
    await using _ = h;
    await h.add({
      id: 'bf',
      trigger: { cron: { expression: '* * * * *' } },
      retry: { attempts: 2, backoffMs: 100, jitter: false },
    });
    const request = { from: FROM, to: FROM, dryRun: false, rerun: false, maxPerSecond: 1 } as const;
    await h.service.backfillJob('bf', { ...request, overlap: 'skip' });
    await h.clock.advance(SECOND);
    const rows = await h.executions('bf');
    expect(rows.map((r) => [r.triggerKind, r.attempt, r.status, r.overlap])).toEqual([
      ['backfill', 1, 'failed', 'skip'],
      ['retry', 2, 'success', undefined],
    ]);
    expect(h.errors).toEqual([]);
  });

  it('refuses an unknown policy (ALLOW_ALL is not offered), naming the field, and stores nothing', async () => {
    const h = createHarness();
    await using _ = h;
    await h.add({ id: 'bf', trigger: { cron: { expression: '* * * * *' } } });
    const error = await h.service
      .backfillJob('bf', {
        from: FROM,
        to: TO,
        dryRun: false,
        rerun: false,
        maxPerSecond: 1,
        overlap: 'allow_all' as OverlapPolicy,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'overlap' });
    expect(await h.executions('bf')).toEqual([]);
  });
});
