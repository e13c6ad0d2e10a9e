import { describe, expect, test } from 'vitest';
import type { IntervalTrigger } from '../../../src/core/trigger.ts';
import { intervalPeriodMs, nextIntervalTime } from '../../../src/core/triggers/interval.ts';
import { nextFireTime, upcomingFireTimes } from '../../../src/core/triggers/next-fire.ts';

const NONE = { weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, milliseconds: 0 };

function interval(parts: Partial<typeof NONE>, window: Partial<IntervalTrigger> = {}): IntervalTrigger {
  return {
    kind: 'interval',
    ...NONE,
    ...parts,
    startDate: null,
    endDate: null,
    jitterMs: 0,
    anchor: Date.parse('2027-03-14T01:59:59.123Z'),
    ...window,
  };
}

describe('period', () => {
  test('every unit', () => {
    expect(intervalPeriodMs({ ...NONE, weeks: 1 })).toBe(604_800_000);
    expect(intervalPeriodMs({ ...NONE, days: 1 })).toBe(86_400_000);
    expect(intervalPeriodMs({ ...NONE, hours: 1 })).toBe(3_600_000);
    expect(intervalPeriodMs({ ...NONE, minutes: 1 })).toBe(60_000);
    expect(intervalPeriodMs({ ...NONE, seconds: 1 })).toBe(1_000);
    expect(intervalPeriodMs({ ...NONE, milliseconds: 1 })).toBe(1);
    expect(intervalPeriodMs({ weeks: 2, days: 3, hours: 4, minutes: 5, seconds: 6, milliseconds: 7 })).toBe(
      2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6 * 1_000 + 7,
    );
  });

  test('fractions add up to whole milliseconds', () => {
    expect(intervalPeriodMs({ ...NONE, hours: 1.5 })).toBe(5_400_000);
    expect(intervalPeriodMs({ ...NONE, hours: 0.1 })).toBe(360_000);
    expect(intervalPeriodMs({ ...NONE, seconds: 0.3, milliseconds: 0.4 })).toBe(300);
  });
});

describe('anchoring: fire k is anchor + k * period, never drifting', () => {
  // An awkward period, so float error or drift would show: 1 w 2 d 3 h 4 min 5 s 6 ms.
  const period = 604_800_000 + 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000 + 6;
  const parts = { weeks: 1, days: 2, hours: 3, minutes: 4, seconds: 5, milliseconds: 6 };

  test('with a startDate: the first fire is the startDate, then 10,000 chained fires', () => {
    const start = Date.parse('2026-05-17T13:45:10.987Z');
    const trigger = interval(parts, { startDate: start, anchor: start });
    let fire = nextFireTime(trigger, start - 1);
    expect(fire).toBe(start);
    for (let k = 1; k < 10_000; k++) {
      fire = nextFireTime(trigger, fire!);
      if (fire !== start + k * period) expect(fire).toBe(start + k * period);
    }
    expect(fire).toBe(start + 9_999 * period);
  });

  test('without a startDate: the first fire is one period after creation, then 10,000 chained fires', () => {
    const created = Date.parse('2026-05-17T13:45:10.987Z');
    const trigger = interval(parts, { anchor: created });
    let fire: number | null = created;
    for (let k = 1; k <= 10_000; k++) {
      fire = nextFireTime(trigger, fire!);
      if (fire !== created + k * period) expect(fire).toBe(created + k * period);
    }
    expect(fire).toBe(created + 10_000 * period);
  });

  test('1 ms period over 10,000 fires', () => {
    const trigger = interval({ milliseconds: 1 });
    const fires = upcomingFireTimes(trigger, trigger.anchor, 10_000);
    expect(fires).toHaveLength(10_000);
    expect(fires.every((fire, i) => fire === trigger.anchor + (i + 1))).toBe(true);
  });

  test('closed form: the next fire from any instant, however late the previous run finished', () => {
    const trigger = interval(parts);
    const k = 123_456;
    const fireK = trigger.anchor + k * period;
    expect(nextIntervalTime(trigger, fireK - 1)).toBe(fireK);
    expect(nextIntervalTime(trigger, fireK)).toBe(fireK + period);
    // A run that ended 0.9 periods late still gets the next slot on the grid.
    expect(nextIntervalTime(trigger, fireK + Math.floor(0.9 * period))).toBe(fireK + period);
  });

  test('before the anchor: the first fire, never one before it', () => {
    const created = interval({ minutes: 5 });
    expect(nextFireTime(created, created.anchor - 86_400_000)).toBe(created.anchor + 300_000);
    const started = interval({ minutes: 5 }, { startDate: created.anchor });
    expect(nextFireTime(started, created.anchor - 86_400_000)).toBe(created.anchor);
  });
});

describe('startDate and endDate', () => {
  test('a startDate in the past keeps the grid: the next fire after now is on it', () => {
    const start = Date.parse('2027-01-01T00:00:00Z');
    const trigger = interval({ hours: 1 }, { startDate: start, anchor: start });
    const now = start + 2.5 * 3_600_000;
    expect(nextFireTime(trigger, now)).toBe(start + 3 * 3_600_000);
  });

  test('fires up to and including endDate, then none', () => {
    const start = Date.parse('2027-01-01T00:00:00Z');
    const trigger = interval(
      { minutes: 10 },
      { startDate: start, anchor: start, endDate: start + 30 * 60_000 },
    );
    expect(upcomingFireTimes(trigger, start - 1, 10)).toEqual([
      start,
      start + 600_000,
      start + 1_200_000,
      start + 1_800_000,
    ]);
    expect(nextFireTime(trigger, start + 1_800_000)).toBeNull();
  });

  test('an endDate between grid points stops at the last point before it', () => {
    const trigger = interval({ seconds: 30 }, { endDate: Date.parse('2027-03-14T02:01:00Z') });
    const fires = upcomingFireTimes(trigger, trigger.anchor, 100);
    expect(fires.map((ms) => new Date(ms).toISOString())).toEqual([
      '2027-03-14T02:00:29.123Z',
      '2027-03-14T02:00:59.123Z',
    ]);
  });

  test('elapsed time across a DST change: 24 h stays 24 h', () => {
    // The anchor is 01:59:59.123 UTC on the New York spring-forward day; zones play no part.
    const trigger = interval({ days: 1 });
    expect(nextFireTime(trigger, trigger.anchor)).toBe(trigger.anchor + 86_400_000);
  });
});
