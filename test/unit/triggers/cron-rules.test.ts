/**
 * Every rule of docs/cron-spec.md, in more zones and years than its worked examples
 * (cron-examples.json). Expected times were worked out by hand from the calendar and the zones' DST
 * rules, then written as UTC.
 */
import { describe, expect, test } from 'vitest';
import { nextCronTime } from '../../../src/core/triggers/cron.ts';

/** The next `count` fires, chained (each strictly after the previous), as ISO strings without ms. */
function fires(expression: string, timezone: string, from: string, count: number): string[] {
  const out: string[] = [];
  let after = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = nextCronTime(expression, timezone, after);
    if (next === null) break;
    out.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    after = next;
  }
  return out;
}

describe('grammar', () => {
  test('month and day names, any case, in lists and ranges', () => {
    // 2027-01-01 is a Friday; 2028-01-01 a Saturday.
    expect(fires('0 9 * JAN,feb Mon-Fri', 'UTC', '2027-02-25T12:00:00Z', 3)).toEqual([
      '2027-02-26T09:00:00Z',
      '2028-01-03T09:00:00Z',
      '2028-01-04T09:00:00Z',
    ]);
  });

  test('sat-sun means Saturday and Sunday', () => {
    // 2027-03-01 is a Monday.
    expect(fires('0 10 * * sat-sun', 'UTC', '2027-03-01T00:00:00Z', 4)).toEqual([
      '2027-03-06T10:00:00Z',
      '2027-03-07T10:00:00Z',
      '2027-03-13T10:00:00Z',
      '2027-03-14T10:00:00Z',
    ]);
  });

  test('sun-sun is Sunday alone; wed-sun runs to Sunday', () => {
    expect(fires('0 0 * * sun-sun', 'UTC', '2027-03-01T00:00:00Z', 2)).toEqual([
      '2027-03-07T00:00:00Z',
      '2027-03-14T00:00:00Z',
    ]);
    expect(fires('0 0 * * wed-sun', 'UTC', '2027-03-01T00:00:00Z', 6)).toEqual([
      '2027-03-03T00:00:00Z',
      '2027-03-04T00:00:00Z',
      '2027-03-05T00:00:00Z',
      '2027-03-06T00:00:00Z',
      '2027-03-07T00:00:00Z',
      '2027-03-10T00:00:00Z',
    ]);
  });

  test('0 and 7 are both Sunday', () => {
    const sundays = ['2027-03-07T00:00:00Z', '2027-03-14T00:00:00Z', '2027-03-21T00:00:00Z'];
    expect(fires('0 0 * * 0', 'UTC', '2027-03-01T00:00:00Z', 3)).toEqual(sundays);
    expect(fires('0 0 * * 7', 'UTC', '2027-03-01T00:00:00Z', 3)).toEqual(sundays);
    expect(fires('0 0 * * SUN', 'UTC', '2027-03-01T00:00:00Z', 3)).toEqual(sundays);
    expect(fires('0 0 * * 5-7', 'UTC', '2027-03-01T00:00:00Z', 4)).toEqual([
      '2027-03-05T00:00:00Z',
      '2027-03-06T00:00:00Z',
      '2027-03-07T00:00:00Z',
      '2027-03-12T00:00:00Z',
    ]);
  });

  test('6 fields: seconds first, across Feb 29 of a leap year', () => {
    expect(fires('15,45 30 9 * * *', 'UTC', '2028-02-28T09:30:20Z', 4)).toEqual([
      '2028-02-28T09:30:45Z',
      '2028-02-29T09:30:15Z',
      '2028-02-29T09:30:45Z',
      '2028-03-01T09:30:15Z',
    ]);
  });

  test('a 5-field expression is the 6-field one with second 0', () => {
    expect(fires('0 12 * * 1', 'UTC', '2027-06-01T00:00:00Z', 3)).toEqual(
      fires('0 0 12 * * 1', 'UTC', '2027-06-01T00:00:00Z', 3),
    );
  });

  test('Feb 29 only fires in leap years (Europe/Berlin, CET)', () => {
    expect(fires('0 12 29 2 *', 'Europe/Berlin', '2026-06-01T00:00:00Z', 3)).toEqual([
      '2028-02-29T11:00:00Z',
      '2032-02-29T11:00:00Z',
      '2036-02-29T11:00:00Z',
    ]);
  });

  test('ranges with steps, wildcard steps, lists', () => {
    expect(fires('0 8-18/4 * * *', 'UTC', '2027-06-01T00:00:00Z', 4)).toEqual([
      '2027-06-01T08:00:00Z',
      '2027-06-01T12:00:00Z',
      '2027-06-01T16:00:00Z',
      '2027-06-02T08:00:00Z',
    ]);
    expect(fires('0 */7 * * *', 'UTC', '2027-06-01T22:00:00Z', 4)).toEqual([
      '2027-06-02T00:00:00Z',
      '2027-06-02T07:00:00Z',
      '2027-06-02T14:00:00Z',
      '2027-06-02T21:00:00Z',
    ]);
    // */10 in day-of-month is 1,11,21,31; February has no 31st.
    expect(fires('0 0 */10 * *', 'UTC', '2027-02-02T00:00:00Z', 6)).toEqual([
      '2027-02-11T00:00:00Z',
      '2027-02-21T00:00:00Z',
      '2027-03-01T00:00:00Z',
      '2027-03-11T00:00:00Z',
      '2027-03-21T00:00:00Z',
      '2027-03-31T00:00:00Z',
    ]);
    expect(fires('0 0 1 */3 *', 'UTC', '2027-02-02T00:00:00Z', 3)).toEqual([
      '2027-04-01T00:00:00Z',
      '2027-07-01T00:00:00Z',
      '2027-10-01T00:00:00Z',
    ]);
    expect(fires('0 0 1,15-16 * *', 'UTC', '2027-02-02T00:00:00Z', 4)).toEqual([
      '2027-02-15T00:00:00Z',
      '2027-02-16T00:00:00Z',
      '2027-03-01T00:00:00Z',
      '2027-03-15T00:00:00Z',
    ]);
  });

  test('aliases', () => {
    const from = '2027-06-01T10:30:00Z'; // a Tuesday
    expect(fires('@yearly', 'UTC', from, 1)).toEqual(['2028-01-01T00:00:00Z']);
    expect(fires('@annually', 'UTC', from, 1)).toEqual(['2028-01-01T00:00:00Z']);
    expect(fires('@monthly', 'UTC', from, 1)).toEqual(['2027-07-01T00:00:00Z']);
    expect(fires('@weekly', 'UTC', from, 2)).toEqual(['2027-06-06T00:00:00Z', '2027-06-13T00:00:00Z']);
    expect(fires('@daily', 'UTC', from, 1)).toEqual(['2027-06-02T00:00:00Z']);
    expect(fires('@midnight', 'UTC', from, 1)).toEqual(['2027-06-02T00:00:00Z']);
    expect(fires('@DAILY', 'Asia/Kolkata', from, 1)).toEqual(['2027-06-01T18:30:00Z']);
    expect(fires('@hourly', 'UTC', from, 2)).toEqual(['2027-06-01T11:00:00Z', '2027-06-01T12:00:00Z']);
  });

  test('strictly after, also from an instant with milliseconds', () => {
    expect(fires('0 * * * *', 'UTC', '2027-06-01T10:00:00.000Z', 1)).toEqual(['2027-06-01T11:00:00Z']);
    expect(fires('0 * * * *', 'UTC', '2027-06-01T09:59:59.999Z', 1)).toEqual(['2027-06-01T10:00:00Z']);
    expect(fires('* * * * * *', 'UTC', '2027-06-01T10:00:00.500Z', 1)).toEqual(['2027-06-01T10:00:01Z']);
  });
});

describe('day-of-month and day-of-week (Vixie)', () => {
  test('both restricted: either matches (OR), with names', () => {
    // 2027-03-01 is a Monday (an exact match, so not "after").
    expect(fires('0 0 1 * mon', 'UTC', '2027-03-01T00:00:00Z', 6)).toEqual([
      '2027-03-08T00:00:00Z',
      '2027-03-15T00:00:00Z',
      '2027-03-22T00:00:00Z',
      '2027-03-29T00:00:00Z',
      '2027-04-01T00:00:00Z',
      '2027-04-05T00:00:00Z',
    ]);
  });

  test('day-of-week starting with * (a step): both must match (AND)', () => {
    // Days 1-3 that are Sun, Tue, Thu or Sat.
    expect(fires('0 0 1-3 * */2', 'UTC', '2027-03-01T00:00:00Z', 5)).toEqual([
      '2027-03-02T00:00:00Z',
      '2027-04-01T00:00:00Z',
      '2027-04-03T00:00:00Z',
      '2027-05-01T00:00:00Z',
      '2027-05-02T00:00:00Z',
    ]);
  });

  test('? is * in the day fields', () => {
    expect(fires('0 0 ? * mon', 'UTC', '2027-03-01T00:00:00Z', 2)).toEqual(
      fires('0 0 * * mon', 'UTC', '2027-03-01T00:00:00Z', 2),
    );
    expect(fires('0 0 15 * ?', 'UTC', '2027-03-01T00:00:00Z', 2)).toEqual([
      '2027-03-15T00:00:00Z',
      '2027-04-15T00:00:00Z',
    ]);
  });

  test('L with a restricted day-of-week is OR too', () => {
    expect(fires('0 0 L * 5', 'UTC', '2027-01-25T00:00:00Z', 3)).toEqual([
      '2027-01-29T00:00:00Z',
      '2027-01-31T00:00:00Z',
      '2027-02-05T00:00:00Z',
    ]);
  });

  test('a day that exists in no listed month still fires when day-of-week is OR-ed in', () => {
    // Feb 31 never exists, but every Monday of February matches.
    expect(fires('0 0 31 2 mon', 'UTC', '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-02-01T00:00:00Z',
      '2027-02-08T00:00:00Z',
    ]);
  });
});

describe('extensions L, LW, nW, nL, n#k', () => {
  test('L: last day of February, leap and not', () => {
    expect(fires('0 0 L 2 *', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-02-28T00:00:00Z',
      '2028-02-29T00:00:00Z',
      '2029-02-28T00:00:00Z',
    ]);
  });

  test('LW: last weekday of the month', () => {
    // Jan 31 and Feb 28 2027 are Sundays; Mar 31 is a Wednesday.
    expect(fires('0 0 LW * *', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-29T00:00:00Z',
      '2027-02-26T00:00:00Z',
      '2027-03-31T00:00:00Z',
    ]);
  });

  test('nW: nearest weekday, never crossing the month', () => {
    // May 15 2027 is a Saturday -> Friday 14; Jun 15 and Jul 15 are weekdays.
    expect(fires('0 0 15W * *', 'UTC', '2027-05-01T00:00:00Z', 3)).toEqual([
      '2027-05-14T00:00:00Z',
      '2027-06-15T00:00:00Z',
      '2027-07-15T00:00:00Z',
    ]);
    // May 1 2027 is a Saturday: the nearest weekday in May is Monday the 3rd, not Friday Apr 30.
    expect(fires('0 0 1W * *', 'UTC', '2027-04-15T00:00:00Z', 3)).toEqual([
      '2027-05-03T00:00:00Z',
      '2027-06-01T00:00:00Z',
      '2027-07-01T00:00:00Z',
    ]);
    // Jan 31 2027 is a Sunday: Friday the 29th, not Monday Feb 1.
    expect(fires('0 0 31W * *', 'UTC', '2027-01-01T00:00:00Z', 1)).toEqual(['2027-01-29T00:00:00Z']);
  });

  test('5L: last Friday', () => {
    expect(fires('0 0 * * 5L', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-29T00:00:00Z',
      '2027-02-26T00:00:00Z',
      '2027-03-26T00:00:00Z',
    ]);
    expect(fires('0 0 * * friL', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual(
      fires('0 0 * * 5L', 'UTC', '2027-01-01T00:00:00Z', 3),
    );
  });

  test('n#k: second Monday, fifth Monday', () => {
    expect(fires('0 0 * * mon#2', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-11T00:00:00Z',
      '2027-02-08T00:00:00Z',
      '2027-03-08T00:00:00Z',
    ]);
    expect(fires('0 0 * * 1#5', 'UTC', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-03-29T00:00:00Z',
      '2027-05-31T00:00:00Z',
      '2027-08-30T00:00:00Z',
    ]);
  });
});

describe('time zones and DST', () => {
  test('Asia/Kolkata (+05:30, no DST) across Feb 29', () => {
    expect(fires('0 0 * * *', 'Asia/Kolkata', '2028-02-28T00:00:00Z', 2)).toEqual([
      '2028-02-28T18:30:00Z',
      '2028-02-29T18:30:00Z',
    ]);
  });

  describe('Europe/Berlin (2027: spring Mar 28, fall Oct 31)', () => {
    test('fixed time in the gap fires right after the jump, 03:00 CEST', () => {
      expect(fires('30 2 * * *', 'Europe/Berlin', '2027-03-27T12:00:00Z', 2)).toEqual([
        '2027-03-28T01:00:00Z',
        '2027-03-29T00:30:00Z',
      ]);
    });

    test('fixed time in the repeated hour fires once, at the first pass (CEST)', () => {
      expect(fires('30 2 * * *', 'Europe/Berlin', '2027-10-30T12:00:00Z', 2)).toEqual([
        '2027-10-31T00:30:00Z',
        '2027-11-01T01:30:00Z',
      ]);
    });

    test('wildcard skips the gap', () => {
      // 01:30 CET, (02:30 does not exist), 03:30 CEST, 04:30 CEST
      expect(fires('30 * * * *', 'Europe/Berlin', '2027-03-28T00:00:00Z', 3)).toEqual([
        '2027-03-28T00:30:00Z',
        '2027-03-28T01:30:00Z',
        '2027-03-28T02:30:00Z',
      ]);
    });

    test('wildcard fires in both passes of the repeated hour', () => {
      // 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET
      expect(fires('0,30 * * * *', 'Europe/Berlin', '2027-10-30T23:45:00Z', 5)).toEqual([
        '2027-10-31T00:00:00Z',
        '2027-10-31T00:30:00Z',
        '2027-10-31T01:00:00Z',
        '2027-10-31T01:30:00Z',
        '2027-10-31T02:00:00Z',
      ]);
    });
  });

  describe('Australia/Sydney, southern hemisphere (2027: spring Oct 3, fall Apr 4)', () => {
    test('fixed time in the October gap fires at 03:00 AEDT', () => {
      expect(fires('30 2 * * *', 'Australia/Sydney', '2027-10-02T00:00:00Z', 2)).toEqual([
        '2027-10-02T16:00:00Z',
        '2027-10-03T15:30:00Z',
      ]);
    });

    test('fixed time in the April repeated hour fires once (AEDT)', () => {
      expect(fires('30 2 * * *', 'Australia/Sydney', '2027-04-03T00:00:00Z', 2)).toEqual([
        '2027-04-03T15:30:00Z',
        '2027-04-04T16:30:00Z',
      ]);
    });

    test('hourly wildcard: 02:00 twice in April', () => {
      expect(fires('0 * * * *', 'Australia/Sydney', '2027-04-03T14:30:00Z', 3)).toEqual([
        '2027-04-03T15:00:00Z',
        '2027-04-03T16:00:00Z',
        '2027-04-03T17:00:00Z',
      ]);
    });
  });

  describe('America/Santiago, DST at midnight (2027: spring Sep 5, fall Apr 4)', () => {
    test('00:30 does not exist on Sep 5: fires at 01:00 -03', () => {
      expect(fires('30 0 * * *', 'America/Santiago', '2027-09-04T12:00:00Z', 2)).toEqual([
        '2027-09-05T04:00:00Z',
        '2027-09-06T03:30:00Z',
      ]);
    });

    test('wildcard skips 00:30 on Sep 5', () => {
      expect(fires('30 * * * *', 'America/Santiago', '2027-09-05T03:00:00Z', 2)).toEqual([
        '2027-09-05T03:30:00Z',
        '2027-09-05T04:30:00Z',
      ]);
    });

    test('23:30 on Apr 3 happens twice: fires once, at the first (-03)', () => {
      expect(fires('30 23 * * *', 'America/Santiago', '2027-04-03T12:00:00Z', 2)).toEqual([
        '2027-04-04T02:30:00Z',
        '2027-04-05T03:30:00Z',
      ]);
    });
  });

  describe('Australia/Lord_Howe, a 30-minute shift (2027: spring Oct 3, fall Apr 4)', () => {
    test('02:15 does not exist: fires at 02:30 +11', () => {
      expect(fires('15 2 * * *', 'Australia/Lord_Howe', '2027-10-02T00:00:00Z', 2)).toEqual([
        '2027-10-02T15:30:00Z',
        '2027-10-03T15:15:00Z',
      ]);
    });

    test('01:45 happens twice: fires once, at the first (+11)', () => {
      expect(fires('45 1 * * *', 'Australia/Lord_Howe', '2027-04-03T00:00:00Z', 2)).toEqual([
        '2027-04-03T14:45:00Z',
        '2027-04-04T15:15:00Z',
      ]);
    });

    test('wildcard runs through both passes of 01:30-02:00', () => {
      expect(fires('*/15 * * * *', 'Australia/Lord_Howe', '2027-04-03T14:20:00Z', 5)).toEqual([
        '2027-04-03T14:30:00Z',
        '2027-04-03T14:45:00Z',
        '2027-04-03T15:00:00Z',
        '2027-04-03T15:15:00Z',
        '2027-04-03T15:30:00Z',
      ]);
    });
  });

  describe('America/New_York (2027: spring Mar 14, fall Nov 7)', () => {
    test('a list in the gap is fixed-time: one fire at 03:00 EDT', () => {
      const expected = ['2027-03-14T07:00:00Z', '2027-03-15T06:00:00Z', '2027-03-15T06:30:00Z'];
      expect(fires('0,30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 3)).toEqual(expected);
    });

    test('a stepped range not starting with * is fixed-time too (cronie), unlike croner alone', () => {
      expect(fires('0-59/30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 3)).toEqual([
        '2027-03-14T07:00:00Z',
        '2027-03-15T06:00:00Z',
        '2027-03-15T06:30:00Z',
      ]);
    });

    test('wildcard seconds under a fixed minute and hour: fixed-time', () => {
      expect(fires('*/20 30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 4)).toEqual([
        '2027-03-14T07:00:00Z',
        '2027-03-15T06:30:00Z',
        '2027-03-15T06:30:20Z',
        '2027-03-15T06:30:40Z',
      ]);
      expect(fires('*/20 30 1 * * *', 'America/New_York', '2027-11-07T04:00:00Z', 4)).toEqual([
        '2027-11-07T05:30:00Z',
        '2027-11-07T05:30:20Z',
        '2027-11-07T05:30:40Z',
        '2027-11-08T06:30:00Z',
      ]);
    });

    test('minute starting with * is a wildcard: both passes of 01:xx', () => {
      expect(fires('*/30 1 * * *', 'America/New_York', '2027-11-07T04:00:00Z', 5)).toEqual([
        '2027-11-07T05:00:00Z',
        '2027-11-07T05:30:00Z',
        '2027-11-07T06:00:00Z',
        '2027-11-07T06:30:00Z',
        '2027-11-08T06:00:00Z',
      ]);
    });

    test('hourly from inside the first and the second pass', () => {
      expect(fires('0 * * * *', 'America/New_York', '2027-11-07T05:10:00Z', 2)).toEqual([
        '2027-11-07T06:00:00Z',
        '2027-11-07T07:00:00Z',
      ]);
      expect(fires('0 * * * *', 'America/New_York', '2027-11-07T06:10:00Z', 1)).toEqual([
        '2027-11-07T07:00:00Z',
      ]);
    });
  });
});
