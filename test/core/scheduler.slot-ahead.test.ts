/**
 * Slots taken ahead of the due time (slot-ahead.ts): a fire claimed within the lookahead takes its
 * free slot at once and starts at its due instant without asking the store; a busy slot is asked
 * for again when due; a job changed before its fire gives the slot back. Fake clock.
 */
import { describe, expect, it } from 'vitest';
import { accountingProblems } from '../support/accounting.ts';
import { createHarness, type Harness } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** The store times of every acquireSlots call the scheduler makes. */
function countAcquires(h: Harness): number[] {
  const at: number[] = [];
  const acquire = h.store.acquireSlots.bind(h.store);
  h.scheduler.store.acquireSlots = (requests, leaseMs, owner) => {
    at.push(h.clock.now());
    return acquire(requests, leaseMs, owner);
  };
  return at;
}

describe('slots taken ahead', () => {
  it('a herd claimed ahead holds its slots before the due time and starts on it without a slot request', async () => {
    await using h = createHarness();
    const asked = countAcquires(h);
    for (let i = 0; i < 20; i++)
      await h.add({ id: `herd-${i}`, trigger: { date: { runDate: T0 + SECOND } } });
    await h.clock.advance(SECOND - 1);
    const rows = (await h.executions()).filter((row) => row.status === 'running');
    expect(rows).toHaveLength(20);
    expect(await h.store.heldSlots(rows.map((row) => ({ jobId: row.jobId, executionId: row.id })))).toEqual(
      rows.map(() => true),
    );
    expect(asked).toHaveLength(1); // one request for the whole herd
    expect(asked[0]).toBeLessThan(T0 + SECOND);
    await h.clock.advance(10);
    expect(h.calls.map((call) => call.at)).toEqual(rows.map(() => T0 + SECOND));
    expect(asked).toHaveLength(1); // nothing asked at the due instant
    const done = await h.executions();
    expect(done.map((row) => row.status)).toEqual(rows.map(() => 'success'));
    expect(await h.store.heldSlots(done.map((row) => ({ jobId: row.jobId, executionId: row.id })))).toEqual(
      done.map(() => false),
    );
  });

  it('a fire whose slot is busy when claimed asks again when due, and runs if the slot came back', async () => {
    // The run of :01 holds the slot until :01.950; :02 is claimed before that and runs anyway.
    await using h = createHarness({
      handler: (_args, context) =>
        new Promise<void>((resolve) =>
          h.clock.setTimeout(resolve, context.scheduledFor === T0 + SECOND ? 950 : 10),
        ),
    });
    const asked = countAcquires(h);
    await h.add({ id: 'busy', trigger: { interval: { seconds: 1 } } });
    await h.clock.advance(2 * SECOND + 500);
    const rows = await h.executions('busy');
    expect(rows.map((r) => [r.scheduledFor - T0, r.status, r.startedAt])).toEqual([
      [1_000, 'success', T0 + SECOND],
      [2_000, 'success', T0 + 2 * SECOND],
    ]);
    expect(asked).toContain(T0 + 2 * SECOND); // the fallback request, at the due time
    expect(h.errors).toEqual([]);
  });

  it('a job paused before its fire gives the slot back; the claimed fire is accounted as before', async () => {
    await using h = createHarness();
    await h.add({ id: 'paused', trigger: { interval: { seconds: 10 } } });
    await h.clock.advance(10 * SECOND - 50); // the :10 fire is claimed, its slot taken ahead
    const [claimed] = await h.executions('paused');
    const slot = { jobId: 'paused', executionId: claimed?.id ?? '' };
    expect(await h.store.heldSlots([slot])).toEqual([true]);
    await h.service.pauseJob('paused');
    await h.clock.advance(1);
    expect(await h.store.heldSlots([slot])).toEqual([false]);
    await h.clock.advance(20 * SECOND);
    // As without slots taken ahead: a pause within the lookahead may still run the claimed fire.
    const rows = await h.executions('paused');
    expect(rows.map((r) => [r.scheduledFor - T0, r.status])).toEqual([[10_000, 'success']]);
    const job = await h.store.get('paused');
    if (!job) throw new Error('the job is gone');
    expect(accountingProblems(job, T0 + 10 * SECOND, job.nextRunTime, rows)).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('a job removed before its fire gives the slot back', async () => {
    await using h = createHarness();
    await h.add({ id: 'removed', trigger: { interval: { seconds: 10 } } });
    await h.clock.advance(10 * SECOND - 50);
    const [claimed] = await h.executions('removed');
    const slot = { jobId: 'removed', executionId: claimed?.id ?? '' };
    expect(await h.store.heldSlots([slot])).toEqual([true]);
    await h.service.removeJob('removed');
    await h.clock.advance(1);
    expect(await h.store.heldSlots([slot])).toEqual([false]);
    await h.clock.advance(SECOND);
    const rows = await h.executions('removed');
    expect(rows.map((r) => r.status)).toEqual(['success']);
    expect(h.errors).toEqual([]);
  });

  it('queued overlap policies ask when due, keeping their place in the queue', async () => {
    await using h = createHarness();
    const asked = countAcquires(h);
    await h.add({ id: 'buffered', trigger: { interval: { seconds: 10 } }, overlap: 'buffer_one' });
    await h.clock.advance(10 * SECOND + 100);
    expect(asked).toEqual([]); // acquireQueuedSlots at the due time, never acquireSlots ahead
    expect((await h.executions('buffered')).map((r) => r.status)).toEqual(['success']);
  });

  it('a graceful stop with a fire holding its slot ahead starts it on time, then releases the slot', async () => {
    await using h = createHarness();
    await h.add({ id: 'stop', trigger: { date: { runDate: T0 + SECOND } } });
    await h.clock.advance(SECOND - 50);
    const stopping = h.scheduler.stop({ deadlineMs: 5_000 });
    await h.clock.advance(100);
    await stopping;
    const rows = await h.executions('stop');
    expect(rows.map((r) => [r.status, r.startedAt])).toEqual([['success', T0 + SECOND]]);
    expect(await h.store.heldSlots([{ jobId: 'stop', executionId: rows[0]?.id ?? '' }])).toEqual([false]);
  });

  it("a herd's handlers get past their first await (a webhook writes its request) before any started event is published", async () => {
    const order: string[] = [];
    await using h = createHarness({
      handler: async () => {
        await null;
        order.push('request');
      },
    });
    const publish = h.scheduler.bus.publish.bind(h.scheduler.bus);
    h.scheduler.bus.publish = (event) => {
      if (event.type === 'started') order.push('started');
      publish(event);
    };
    for (let i = 0; i < 20; i++)
      await h.add({ id: `herd-${i}`, trigger: { date: { runDate: T0 + SECOND } } });
    await h.clock.advance(SECOND + 10);
    expect(order).toEqual([...Array(20).fill('request'), ...Array(20).fill('started')]);
  });

  it('a herd whose runs end in separate callbacks of one turn of the loop gives its slots back in one call', async () => {
    const ends: (() => void)[] = [];
    await using h = createHarness({ handler: () => new Promise<void>((resolve) => ends.push(resolve)) });
    const released: number[] = [];
    const release = h.store.releaseSlots.bind(h.store);
    h.scheduler.store.releaseSlots = (slots) => {
      released.push(slots.length);
      return release(slots);
    };
    for (let i = 0; i < 20; i++)
      await h.add({ id: `herd-${i}`, trigger: { date: { runDate: T0 + SECOND } } });
    await h.clock.advance(SECOND + 10);
    expect(ends).toHaveLength(20);
    // Each answer in its own callback, as a herd's HTTP answers arrive in one poll of the loop.
    for (const end of ends) setImmediate(end);
    await h.clock.advance(10);
    expect(released).toEqual([20]);
    expect((await h.executions()).map((row) => row.status)).toEqual(ends.map(() => 'success'));
  });
});
