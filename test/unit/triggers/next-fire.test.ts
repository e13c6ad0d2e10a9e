import { describe, expect, test } from 'vitest';
import type { CronTrigger, DateTrigger } from '../../../src/core/trigger.ts';
import { jitterOffset, nextFireTime, upcomingFireTimes } from '../../../src/core/triggers/next-fire.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('date trigger', () => {
  const runDate = Date.parse('2027-07-04T12:00:00Z');
  const trigger: DateTrigger = { kind: 'date', runDate, startDate: null, endDate: null, jitterMs: 0 };

  test('fires once, at runDate', () => {
    expect(nextFireTime(trigger, runDate - 86_400_000)).toBe(runDate);
    expect(nextFireTime(trigger, runDate - 1)).toBe(runDate);
    expect(nextFireTime(trigger, runDate)).toBeNull();
    expect(upcomingFireTimes(trigger, 0, 5)).toEqual([runDate]);
  });
});

describe('cron trigger window', () => {
  const base: CronTrigger = {
    kind: 'cron',
    expression: '0 9 * * *',
    timezone: 'Europe/Berlin',
    startDate: null,
    endDate: null,
    jitterMs: 0,
  };

  test('no fire before startDate; a fire exactly at startDate counts', () => {
    const trigger = { ...base, startDate: Date.parse('2027-06-10T07:00:00Z') }; // 09:00 CEST
    expect(iso(nextFireTime(trigger, Date.parse('2027-06-01T00:00:00Z')))).toBe('2027-06-10T07:00:00.000Z');
    const later = { ...base, startDate: Date.parse('2027-06-10T07:00:00.001Z') };
    expect(iso(nextFireTime(later, Date.parse('2027-06-01T00:00:00Z')))).toBe('2027-06-11T07:00:00.000Z');
  });

  test('no fire after endDate; a fire exactly at endDate counts', () => {
    const trigger = { ...base, endDate: Date.parse('2027-06-12T07:00:00Z') };
    expect(upcomingFireTimes(trigger, Date.parse('2027-06-10T12:00:00Z'), 10).map(iso)).toEqual([
      '2027-06-11T07:00:00.000Z',
      '2027-06-12T07:00:00.000Z',
    ]);
    expect(nextFireTime(trigger, Date.parse('2027-06-12T07:00:00Z'))).toBeNull();
  });

  test('upcomingFireTimes chains strictly increasing fires', () => {
    const fires = upcomingFireTimes(base, Date.parse('2027-06-10T12:00:00Z'), 50);
    expect(fires).toHaveLength(50);
    for (let i = 1; i < fires.length; i++) expect(fires[i]! - fires[i - 1]!).toBe(86_400_000);
    expect(upcomingFireTimes(base, 0, 0)).toEqual([]);
  });
});

test('a non-finite search instant is a programming error, not "no more fires"', () => {
  const trigger: DateTrigger = { kind: 'date', runDate: 1, startDate: null, endDate: null, jitterMs: 0 };
  expect(() => nextFireTime(trigger, Number.NaN)).toThrow(RangeError);
});

describe('jitterOffset', () => {
  test('0 jitter is no delay', () => {
    expect(jitterOffset('job-1', 1_800_000_000_000, 0)).toBe(0);
  });

  test('always an integer in [0, jitterMs]', () => {
    for (const jitterMs of [1, 2, 7, 1_000, 60_000, 86_400_000]) {
      for (let i = 0; i < 2_000; i++) {
        const offset = jitterOffset(`job-${i % 37}`, 1_800_000_000_000 + i * 60_000, jitterMs);
        if (!Number.isInteger(offset) || offset < 0 || offset > jitterMs)
          expect.fail(`offset ${offset} outside [0, ${jitterMs}]`);
      }
    }
  });

  test('deterministic: every replica computes the same value for the same fire', () => {
    const a = jitterOffset('nightly-report', 1_800_000_000_000, 30_000);
    expect(jitterOffset('nightly-report', 1_800_000_000_000, 30_000)).toBe(a);
    // Known value, so a change of hash (which would move every due time) is noticed.
    expect(a).toBe(19_483);
  });

  test('differs between jobs and between fires of one job', () => {
    const byKey = new Set(Array.from({ length: 100 }, (_, i) => jitterOffset(`job-${i}`, 0, 1_000_000)));
    const byFire = new Set(Array.from({ length: 100 }, (_, i) => jitterOffset('job', i * 60_000, 1_000_000)));
    expect(byKey.size).toBeGreaterThan(95);
    expect(byFire.size).toBeGreaterThan(95);
  });

  test('spread: 1,000 keys cover most of the range', () => {
    const jitterMs = 1_000;
    const offsets = Array.from({ length: 1_000 }, (_, i) =>
      jitterOffset(`job-${i}`, Date.parse('2027-01-01T00:00:00Z'), jitterMs),
    );
    expect(Math.min(...offsets)).toBeLessThan(20);
    expect(Math.max(...offsets)).toBeGreaterThan(980);
    // 1,000 draws from 1,001 values give about 632 distinct ones when uniform.
    expect(new Set(offsets).size).toBeGreaterThan(550);
    const deciles = new Array(10).fill(0);
    for (const offset of offsets) deciles[Math.min(9, Math.floor(offset / 100))]++;
    for (const count of deciles) expect(count).toBeGreaterThan(60);
  });
});
