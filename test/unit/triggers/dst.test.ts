/**
 * DST policies of cron triggers (docs/cron-spec.md), on the spring-forward and fall-back days of
 * 2026 in New York, Paris, Sydney, Adelaide (+9:30, a 30-minute offset) and Lord Howe (a
 * 30-minute change): every gap choice on a time the jump skips, every repeat choice on a time
 * that happens twice, and the default (cronie's rule) equal to croner's answers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CronTrigger, DstPolicy } from '../../../src/core/trigger.ts';
import { annotateRuns } from '../../../src/core/triggers/annotate.ts';
import { compileTrigger } from '../../../src/core/triggers/compile.ts';
import { nextCronTime } from '../../../src/core/triggers/cron.ts';
import { defaultDstPolicy, nextCronTimeWithPolicy } from '../../../src/core/triggers/dst.ts';
import { upcomingFireTimes } from '../../../src/core/triggers/next-fire.ts';

interface Change {
  zone: string;
  /** A daily local time the jump skips, the instant of the jump, the next day's fire. */
  gap: { expression: string; from: string; jump: string; nextDay: string };
  /** A daily local time that happens twice, its two instants. */
  repeat: { expression: string; from: string; first: string; second: string };
}

/** Shared with the cron-library bench (bench/cron-libs.ts), whose corpus holds the cronie-rule cases. */
const CHANGES: Change[] = JSON.parse(
  readFileSync(new URL('../../fixtures/dst-changes.json', import.meta.url), 'utf8'),
);

const at = (iso: string) => Date.parse(iso);
const isoOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function fires(expression: string, zone: string, dst: Partial<DstPolicy>, from: string, count: number) {
  const trigger = compileTrigger(
    { cron: { expression, timezone: zone, dst } },
    { now: at(from), defaultTimezone: 'UTC' },
  ) as CronTrigger;
  return upcomingFireTimes(trigger, at(from), count).map(isoOf);
}

describe.each(CHANGES)('DST policies in $zone', ({ zone, gap, repeat }) => {
  it(`gap SHIFT runs ${gap.expression} at the jump, then at its time`, () => {
    expect(fires(gap.expression, zone, { gap: 'shift' }, gap.from, 2)).toEqual(
      [gap.jump, gap.nextDay].map((s) => s),
    );
  });

  it(`gap SKIP does not run ${gap.expression} on the day it does not exist`, () => {
    expect(fires(gap.expression, zone, { gap: 'skip' }, gap.from, 1)).toEqual([gap.nextDay]);
  });

  it(`repeat FIRST runs ${repeat.expression} in the first pass only`, () => {
    expect(fires(repeat.expression, zone, { repeat: 'first' }, repeat.from, 1)).toEqual([repeat.first]);
    expect(fires(repeat.expression, zone, { repeat: 'first' }, repeat.from, 2)[1]).not.toBe(repeat.second);
  });

  it(`repeat LAST runs ${repeat.expression} in the second pass only`, () => {
    expect(fires(repeat.expression, zone, { repeat: 'last' }, repeat.from, 1)).toEqual([repeat.second]);
  });

  it(`repeat BOTH runs ${repeat.expression} in both passes, each once`, () => {
    expect(fires(repeat.expression, zone, { repeat: 'both' }, repeat.from, 3).slice(0, 2)).toEqual([
      repeat.first,
      repeat.second,
    ]);
  });

  it('marks the fires a DST change moved, and only those', () => {
    const shifted = compileTrigger(
      { cron: { expression: gap.expression, timezone: zone } },
      { now: at(gap.from), defaultTimezone: 'UTC' },
    );
    const runs = annotateRuns(shifted, upcomingFireTimes(shifted, at(gap.from), 2));
    expect(runs.map((r) => r.dstNote)).toEqual(['shifted', null]);
    const both = compileTrigger(
      { cron: { expression: repeat.expression, timezone: zone, dst: { repeat: 'BOTH' } } },
      { now: at(repeat.from), defaultTimezone: 'UTC' },
    );
    const repeated = annotateRuns(both, upcomingFireTimes(both, at(repeat.from), 3));
    expect(repeated.map((r) => r.dstNote)).toEqual(['repeated_first', 'repeated_second', null]);
  });

  it('wildcard schedules: SHIFT collapses the skipped times into one fire at the jump; FIRST and LAST drop a pass', () => {
    const jump = at(gap.jump);
    const minutes = (n: number) => n * 60_000;
    expect(fires('*/15 * * * *', zone, { gap: 'shift' }, isoOf(jump - minutes(20)), 3)).toEqual(
      [jump - minutes(15), jump, jump + minutes(15)].map(isoOf),
    );
    expect(fires('*/15 * * * *', zone, {}, isoOf(jump - minutes(20)), 2)).toEqual(
      [jump - minutes(15), jump].map(isoOf),
    );
    // Three hours either side of the repeated local time: BOTH has a fire every 15 minutes of that
    // span; FIRST and LAST each lack one pass of the repeated hour (as long as the change, `span`).
    const span = at(repeat.second) - at(repeat.first);
    const from = at(repeat.first) - minutes(180);
    const end = at(repeat.second) + minutes(180);
    const inSpan = (policy: Partial<DstPolicy>) =>
      fires('*/15 * * * *', zone, policy, isoOf(from - 1000), 100).filter((f) => at(f) < end);
    const both = inSpan({ repeat: 'both' });
    expect(both.length).toBe((end - from) / minutes(15));
    expect(inSpan({ repeat: 'first' }).length).toBe(both.length - span / minutes(15));
    expect(inSpan({ repeat: 'last' }).length).toBe(both.length - span / minutes(15));
    expect(inSpan({ repeat: 'first' })).toContain(repeat.first);
    expect(inSpan({ repeat: 'last' })).not.toContain(repeat.first);
  });

  it('the default policy equals croner (cronie’s rule) across both changes, fixed-time and wildcard', () => {
    for (const expression of [
      gap.expression,
      repeat.expression,
      '*/30 * * * *',
      '0 * * * *',
      '*/10 1-3 * * *',
    ]) {
      for (const from of [gap.from, repeat.from]) {
        let a = at(from);
        let b = a;
        for (let i = 0; i < 100; i++) {
          const croner = nextCronTime(expression, zone, a);
          const ours = nextCronTimeWithPolicy(expression, zone, defaultDstPolicy(expression), b);
          expect(ours, `${expression} after ${isoOf(b)}`).toBe(croner);
          a = croner as number;
          b = ours as number;
        }
      }
    }
  });
});

describe('DST policy input', () => {
  it('fills a part left out with the default for the expression, and refuses unknown choices', () => {
    const trigger = compileTrigger(
      { cron: { expression: '*/5 * * * *', timezone: 'Europe/Paris', dst: { gap: 'SHIFT' } } },
      { now: 0, defaultTimezone: 'UTC' },
    ) as CronTrigger;
    expect(trigger.dst).toEqual({ gap: 'shift', repeat: 'both' });
    expect(() =>
      compileTrigger(
        { cron: { expression: '0 2 * * *', dst: { repeat: 'twice' } } },
        { now: 0, defaultTimezone: 'UTC' },
      ),
    ).toThrow(/trigger\.cron\.dst\.repeat.*FIRST, LAST, BOTH/);
  });
});
