/**
 * Bookkeeping that yields to a herd in flight (herd-hold.ts): while HERD_RUNS or more handlers run
 * here, results and slot returns wait for the herd to thin out, at most HERD_HOLD_MS, and nothing
 * held is lost or makes a fire SKIPPED. Fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionFinish, ExecutionLog } from '../../src/core/ports.ts';
import { HERD_HOLD_MS, HERD_RUNS } from '../../src/core/scheduler/herd-hold.ts';
import { createHarness, slowHandler } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const DUE = T0 + SECOND;

/** The log as the scheduler sees it, noting when each finish batch was written and how large. */
function recordingFinishes(writes: { at: number; rows: number }[], now: () => number) {
  return <P extends object>(port: 'store' | 'log', adapter: P): P => {
    if (port !== 'log') return adapter;
    const log = adapter as unknown as ExecutionLog;
    const finish = log.finish.bind(log);
    return new Proxy(adapter, {
      get(target, name, receiver) {
        if (name !== 'finish') return Reflect.get(target, name, receiver);
        return (rows: ExecutionFinish[]) => {
          writes.push({ at: now(), rows: rows.length });
          return finish(rows);
        };
      },
    });
  };
}

describe('a herd in flight holds bookkeeping back', () => {
  it('results of a herd wait until fewer than HERD_RUNS handlers run, then go in one batch', async () => {
    const herd = HERD_RUNS + 36;
    const writes: { at: number; rows: number }[] = [];
    let now = () => 0;
    // Herd member i answers 10 + i ms after its start, so the herd thins out one run per ms.
    await using h = createHarness({
      handler: (_args, context) =>
        new Promise<void>((resolve) => h.clock.setTimeout(resolve, 10 + Number(context.jobId.slice(5)))),
      wrap: recordingFinishes(writes, () => now()),
    });
    now = () => h.clock.now();
    for (let i = 0; i < herd; i++) await h.add({ id: `herd-${i}`, trigger: { date: { runDate: DUE } } });
    await h.clock.advance(SECOND + 10 + herd);
    // The first answer came at +10 ms; it waited until the run that left HERD_RUNS - 1 in flight ended.
    const thinned = DUE + 10 + (herd - HERD_RUNS);
    expect(writes[0]?.at).toBe(thinned);
    expect(writes[0]?.rows).toBe(herd - HERD_RUNS + 1);
    expect(writes.reduce((sum, write) => sum + write.rows, 0)).toBe(herd);
    const rows = await h.executions();
    expect(rows.map((row) => row.status)).toEqual(rows.map(() => 'success'));
    expect(rows).toHaveLength(herd);
  });

  it('a herd that stays in flight holds a quick result HERD_HOLD_MS at most, and a stop writes it at once', async () => {
    const slow = slowHandler();
    const writes: { at: number; rows: number }[] = [];
    let now = () => 0;
    await using h = createHarness({
      handler: (args, context) =>
        (args as { quick?: boolean }).quick ? undefined : slow.handler(args, context),
      wrap: recordingFinishes(writes, () => now()),
    });
    now = () => h.clock.now();
    for (let i = 0; i < HERD_RUNS; i++) await h.add({ id: `herd-${i}`, trigger: { date: { runDate: DUE } } });
    await h.add({ id: 'quick', args: { quick: true }, trigger: { date: { runDate: DUE } } });
    await h.add({ id: 'later', args: { quick: true }, trigger: { date: { runDate: DUE + 1_000 } } });
    await h.clock.advance(SECOND + HERD_HOLD_MS - 1);
    expect((await h.executions('quick')).map((row) => row.status)).toEqual(['running']);
    await h.clock.advance(1);
    expect((await h.executions('quick')).map((row) => row.status)).toEqual(['success']);
    expect(writes).toEqual([{ at: DUE + HERD_HOLD_MS, rows: 1 }]);

    await h.clock.advance(SECOND - HERD_HOLD_MS); // 'later' ran and its result is held
    expect((await h.executions('later')).map((row) => row.status)).toEqual(['running']);
    const stopping = h.scheduler.stop({ deadlineMs: 0 });
    await h.clock.advance(1);
    await stopping;
    expect((await h.executions('later')).map((row) => row.status)).toEqual(['success']);
    expect(writes.at(-1)?.at).toBeLessThan(DUE + SECOND + HERD_HOLD_MS);
  });

  it('a slot held back for a herd goes back before its job asks again: a job every 50 ms is never SKIPPED', async () => {
    const slow = slowHandler();
    await using h = createHarness({
      handler: (args, context) =>
        (args as { quick?: boolean }).quick ? undefined : slow.handler(args, context),
    });
    for (let i = 0; i < HERD_RUNS; i++) await h.add({ id: `herd-${i}`, trigger: { date: { runDate: DUE } } });
    await h.add({
      id: 'quick',
      args: { quick: true },
      maxInstances: 1,
      trigger: { interval: { milliseconds: 50, startDate: new Date(DUE).toISOString() } },
    });
    await h.clock.advance(2 * SECOND);
    const until = h.clock.now();
    await h.scheduler.stop({ deadlineMs: 0 });
    const rows = (await h.executions('quick')).filter((row) => row.scheduledFor <= until - 100);
    // Every nominal fire of the window, each run once and successfully.
    expect(rows.map((row) => [row.scheduledFor - DUE, row.attempt, row.status])).toEqual(
      rows.map((_row, i) => [50 * i, 1, 'success']),
    );
    expect(rows.length).toBeGreaterThanOrEqual(15);
    expect(h.errors).toEqual([]);
  });
});
