import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../../src/core/errors.ts';
import type { TriggerInput } from '../../../src/core/trigger.ts';
import { compileTrigger, parseInstant } from '../../../src/core/triggers/compile.ts';
import { nextFireTime } from '../../../src/core/triggers/next-fire.ts';

const NOW = Date.parse('2027-06-01T10:00:00Z');
const ctx = { now: NOW, defaultTimezone: 'UTC' };

function errorOf(input: unknown, context: Parameters<typeof compileTrigger>[1] = ctx): ValidationError {
  try {
    compileTrigger(input as TriggerInput, context);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('normalized triggers', () => {
  test('cron: trimmed expression, default zone, instants as epoch ms, window defaults', () => {
    expect(compileTrigger({ cron: { expression: ' 0 9 * * 1-5 ' } }, ctx)).toEqual({
      kind: 'cron',
      expression: '0 9 * * 1-5',
      timezone: 'UTC',
      startDate: null,
      endDate: null,
      jitterMs: 0,
    });
    const trigger = compileTrigger(
      {
        cron: {
          expression: '@daily',
          timezone: 'Asia/Kolkata',
          startDate: '2027-07-01T00:00:00+05:30',
          endDate: new Date('2027-12-31T00:00:00Z'),
          jitterMs: 5_000,
        },
      },
      ctx,
    );
    expect(trigger).toMatchObject({
      timezone: 'Asia/Kolkata',
      startDate: Date.parse('2027-06-30T18:30:00Z'),
      endDate: Date.parse('2027-12-31T00:00:00Z'),
      jitterMs: 5_000,
    });
    expect(nextFireTime(trigger, NOW)).toBe(Date.parse('2027-06-30T18:30:00Z'));
  });

  test('interval: parts default to 0; anchor is startDate, else now', () => {
    const created = compileTrigger({ interval: { minutes: 5 } }, ctx);
    expect(created).toEqual({
      kind: 'interval',
      weeks: 0,
      days: 0,
      hours: 0,
      minutes: 5,
      seconds: 0,
      milliseconds: 0,
      startDate: null,
      endDate: null,
      jitterMs: 0,
      anchor: NOW,
    });
    expect(nextFireTime(created, NOW)).toBe(NOW + 300_000);

    const start = NOW + 3_600_000;
    const started = compileTrigger({ interval: { hours: 1, startDate: start } }, ctx);
    expect(started).toMatchObject({ anchor: start, startDate: start });
    expect(nextFireTime(started, NOW)).toBe(start);
  });

  test('date', () => {
    expect(compileTrigger({ date: { runDate: '2027-06-01T12:00:00+01:00', jitterMs: 10 } }, ctx)).toEqual({
      kind: 'date',
      runDate: Date.parse('2027-06-01T11:00:00Z'),
      startDate: null,
      endDate: null,
      jitterMs: 10,
    });
  });

  test('null siblings of the chosen kind are fine (GraphQL oneOf inputs)', () => {
    expect(compileTrigger({ cron: null, interval: { seconds: 30 }, date: undefined }, ctx).kind).toBe(
      'interval',
    );
  });
});

describe('validation errors name the field', () => {
  const cases: [name: string, input: unknown, field: string, fragment?: string][] = [
    ['not an object', 'every day', 'trigger'],
    ['no kind', {}, 'trigger', 'one of cron, interval, date'],
    [
      'two kinds',
      { cron: { expression: '* * * * *' }, interval: { seconds: 1 } },
      'trigger',
      'cron and interval',
    ],
    ['unknown kind', { weekly: {}, cron: { expression: '* * * * *' } }, 'trigger.weekly', 'unknown'],
    ['cron not an object', { cron: '* * * * *' }, 'trigger.cron'],
    ['cron without expression', { cron: {} }, 'trigger.cron.expression', 'required'],
    ['cron expression not a string', { cron: { expression: 5 } }, 'trigger.cron.expression'],
    ['cron bad expression', { cron: { expression: '0 25 * * *' } }, 'trigger.cron.expression', 'hour'],
    ['cron never fires', { cron: { expression: '0 0 30 2 *' } }, 'trigger.cron.expression', 'never fires'],
    ['cron typo key', { cron: { expression: '* * * * *', timeZone: 'UTC' } }, 'trigger.cron.timeZone'],
    [
      'unknown zone',
      { cron: { expression: '* * * * *', timezone: 'Europe/Atlantis' } },
      'trigger.cron.timezone',
    ],
    ['empty zone', { cron: { expression: '* * * * *', timezone: '' } }, 'trigger.cron.timezone'],
    [
      'bad startDate',
      { cron: { expression: '* * * * *', startDate: 'soon' } },
      'trigger.cron.startDate',
      'soon',
    ],
    ['bad endDate', { cron: { expression: '* * * * *', endDate: Number.NaN } }, 'trigger.cron.endDate'],
    [
      'endDate before startDate',
      { cron: { expression: '* * * * *', startDate: NOW + 10_000, endDate: NOW + 5_000 } },
      'trigger.cron.endDate',
      'before startDate',
    ],
    [
      'endDate before the first fire',
      { cron: { expression: '0 0 1 1 *', endDate: NOW + 86_400_000 } },
      'trigger.cron.endDate',
      'never fires',
    ],
    [
      'endDate in the past',
      { interval: { seconds: 1, endDate: NOW - 1 } },
      'trigger.interval.endDate',
      'never fires',
    ],
    ['negative jitter', { cron: { expression: '* * * * *', jitterMs: -1 } }, 'trigger.cron.jitterMs'],
    ['fractional jitter', { interval: { seconds: 1, jitterMs: 1.5 } }, 'trigger.interval.jitterMs'],
    ['jitter not a number', { date: { runDate: NOW + 1, jitterMs: '5' } }, 'trigger.date.jitterMs'],
    ['negative seconds', { interval: { seconds: -1 } }, 'trigger.interval.seconds'],
    ['infinite hours', { interval: { hours: Number.POSITIVE_INFINITY } }, 'trigger.interval.hours'],
    ['NaN days', { interval: { days: Number.NaN } }, 'trigger.interval.days'],
    ['weeks as string', { interval: { weeks: '1' } }, 'trigger.interval.weeks'],
    ['zero seconds', { interval: { seconds: 0 } }, 'trigger.interval.seconds', 'at least 1 ms'],
    ['no parts', { interval: {} }, 'trigger.interval', 'at least 1 ms'],
    ['all zero', { interval: { minutes: 0, seconds: 0 } }, 'trigger.interval', 'at least 1 ms'],
    ['sub-millisecond', { interval: { milliseconds: 0.2 } }, 'trigger.interval.milliseconds'],
    ['too long', { interval: { weeks: 1e300 } }, 'trigger.interval.weeks', 'too long'],
    ['date without runDate', { date: {} }, 'trigger.date.runDate', 'required'],
    ['runDate in the past', { date: { runDate: NOW - 1 } }, 'trigger.date.runDate', 'in the past'],
    ['runDate now', { date: { runDate: NOW } }, 'trigger.date.runDate', 'in the past'],
    ['invalid runDate', { date: { runDate: '2027-02-29T00:00:00Z' } }, 'trigger.date.runDate'],
    ['date with startDate', { date: { runDate: NOW + 1, startDate: NOW } }, 'trigger.date.startDate'],
  ];

  for (const [name, input, field, fragment] of cases) {
    test(name, () => {
      const error = errorOf(input);
      expect(error.field).toBe(field);
      expect(error.code).toBe('BAD_USER_INPUT');
      if (fragment) expect(error.message).toContain(fragment);
    });
  }

  test('the field prefix comes from the context', () => {
    const error = errorOf({ interval: { seconds: -5 } }, { ...ctx, field: 'input.trigger' });
    expect(error.field).toBe('input.trigger.interval.seconds');
  });

  test('an unknown default zone is reported on the timezone field', () => {
    const error = errorOf({ cron: { expression: '* * * * *' } }, { ...ctx, defaultTimezone: 'Nowhere/City' });
    expect(error.field).toBe('trigger.cron.timezone');
  });
});

describe('parseInstant', () => {
  test('epoch ms, Date and ISO 8601 with an offset', () => {
    expect(parseInstant(1_800_000_000_000, 'f')).toBe(1_800_000_000_000);
    expect(parseInstant(new Date('2027-06-01T00:00:00Z'), 'f')).toBe(Date.parse('2027-06-01T00:00:00Z'));
    expect(parseInstant('2027-06-01T00:00:00Z', 'f')).toBe(Date.parse('2027-06-01T00:00:00Z'));
    expect(parseInstant('2027-06-01T00:00Z', 'f')).toBe(Date.parse('2027-06-01T00:00:00Z'));
    expect(parseInstant('2027-06-01t00:00:00.5z', 'f')).toBe(Date.parse('2027-06-01T00:00:00.500Z'));
    expect(parseInstant('2027-06-01 05:30:00+05:30', 'f')).toBe(Date.parse('2027-06-01T00:00:00Z'));
    expect(parseInstant('2027-05-31T20:00:00-0400', 'f')).toBe(Date.parse('2027-06-01T00:00:00Z'));
    expect(parseInstant('2027-06-01T00:00:00.123456789Z', 'f')).toBe(Date.parse('2027-06-01T00:00:00.123Z'));
    expect(parseInstant('2028-02-29T00:00:00Z', 'f')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    // Date.UTC would read year 99 as 1999.
    expect(parseInstant('0099-01-01T00:00:00Z', 'f')).toBe(new Date('0099-01-01T00:00:00Z').getTime());
  });

  const invalid: [unknown, string][] = [
    ['2027-06-01T00:00:00', 'no offset'],
    ['2027-06-01', 'date only'],
    ['June 1, 2027', 'not ISO'],
    ['2027-02-29T00:00:00Z', 'not a leap year'],
    ['2027-04-31T00:00:00Z', 'April 31'],
    ['2027-13-01T00:00:00Z', 'month 13'],
    ['2027-06-01T24:00:00Z', 'hour 24'],
    ['2027-06-01T00:60:00Z', 'minute 60'],
    ['2027-06-01T00:00:60Z', 'second 60'],
    ['2027-06-01T00:00:00+24:00', 'offset 24 h'],
    [1.5, 'fractional ms'],
    [Number.POSITIVE_INFINITY, 'infinite'],
    [9e15, 'beyond Date range'],
    [new Date(Number.NaN), 'invalid Date'],
    [true, 'boolean'],
    [{}, 'object'],
  ];
  for (const [value, why] of invalid) {
    test(`rejects ${why}`, () => {
      try {
        parseInstant(value, 'trigger.cron.startDate');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('trigger.cron.startDate');
      }
    });
  }
});
