/** Several triggers per job (an `any` trigger, APScheduler's OrTrigger): each instant once. */
import { describe, expect, it } from 'vitest';
import { annotateRuns } from '../../../src/core/triggers/annotate.ts';
import { compileTrigger } from '../../../src/core/triggers/compile.ts';
import { upcomingFireTimes } from '../../../src/core/triggers/next-fire.ts';

const NOW = Date.parse('2026-03-07T12:00:00Z');
const ctx = { now: NOW, defaultTimezone: 'UTC' };
const iso = (ms: number) => new Date(ms).toISOString();

describe('any trigger', () => {
  it('fires when any member is due, an instant two members share once', () => {
    const trigger = compileTrigger(
      { any: [{ cron: { expression: '0 */6 * * *' } }, { cron: { expression: '0 9 * * *' } }] },
      ctx,
    );
    expect(upcomingFireTimes(trigger, NOW, 6).map(iso)).toEqual([
      '2026-03-07T18:00:00.000Z',
      '2026-03-08T00:00:00.000Z',
      '2026-03-08T06:00:00.000Z',
      '2026-03-08T09:00:00.000Z',
      '2026-03-08T12:00:00.000Z',
      '2026-03-08T18:00:00.000Z',
    ]);
    const overlapping = compileTrigger(
      {
        any: [
          { cron: { expression: '0 * * * *' } },
          { interval: { hours: 1, startDate: '2026-03-07T00:00:00Z' } },
        ],
      },
      ctx,
    );
    expect(upcomingFireTimes(overlapping, NOW, 3).map(iso)).toEqual([
      '2026-03-07T13:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-07T15:00:00.000Z',
    ]);
  });

  it('mixes kinds, ends when every member has ended, and marks a member’s DST-moved fire', () => {
    const trigger = compileTrigger(
      {
        any: [
          { date: { runDate: '2026-03-07T20:00:00Z' } },
          {
            cron: { expression: '30 2 * * *', timezone: 'America/New_York', endDate: '2026-03-09T12:00:00Z' },
          },
        ],
      },
      ctx,
    );
    const times = upcomingFireTimes(trigger, NOW, 5);
    expect(times.map(iso)).toEqual([
      '2026-03-07T20:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
    expect(annotateRuns(trigger, times).map((r) => r.dstNote)).toEqual([null, 'shifted', null]);
  });

  it('refuses one member, nesting, and jitter on a member, naming the field', () => {
    expect(() => compileTrigger({ any: [{ cron: { expression: '* * * * *' } }] }, ctx)).toThrow(
      /trigger\.any.*2 to 20/,
    );
    expect(() =>
      compileTrigger(
        { any: [{ cron: { expression: '* * * * *' } }, { any: [{ cron: { expression: '* * * * *' } }] }] },
        ctx,
      ),
    ).toThrow(/trigger\.any\[1\]\.any/);
    expect(() =>
      compileTrigger(
        { any: [{ cron: { expression: '* * * * *' } }, { interval: { minutes: 5, jitterMs: 10 } }] },
        ctx,
      ),
    ).toThrow(/trigger\.any\[1\]\.interval\.jitterMs/);
    expect(() =>
      compileTrigger({ any: [{ cron: { expression: 'nope' } }, { interval: { minutes: 5 } }] }, ctx),
    ).toThrow(/trigger\.any\[0\]\.cron\.expression/);
  });
});
