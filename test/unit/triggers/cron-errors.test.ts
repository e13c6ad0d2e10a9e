/**
 * Invalid cron input fails at creation with a ValidationError naming the input field, the cron
 * field and the offending value, in our words rather than croner's.
 */
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../../src/core/errors.ts';
import { compileCron } from '../../../src/core/triggers/cron.ts';

function errorOf(expression: string, timezone = 'UTC'): ValidationError {
  try {
    compileCron(expression, timezone);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`"${expression}" was accepted`);
}

describe('cron errors name the field and the value', () => {
  const cases: [expression: string, ...fragments: string[]][] = [
    ['0 22-2 * * *', 'hour', '"22-2"', 'inverted'],
    ['*/0 * * * *', 'minute', '"*/0"', 'step 0'],
    ['5/15 * * * *', 'minute', '"5/15"', '*/15'],
    ['60 * * * *', 'minute', '60', '0-59'],
    ['0 24 * * *', 'hour', '24', '0-23'],
    ['0 0 0 * *', 'day-of-month', '0', '1-31'],
    ['0 0 32 * *', 'day-of-month', '32'],
    ['0 0 * 13 *', 'month', '13', '1-12'],
    ['0 0 * 0 *', 'month', '0'],
    ['0 0 * * 8', 'day-of-week', '8', '0-7'],
    ['60 0 0 * * *', 'second', '60'],
    ['0 0 * foo *', 'month', '"foo"', 'jan..dec'],
    ['0 0 * * funday', 'day-of-week', '"funday"', 'sun..sat'],
    ['0 0 * * fri-mon', 'day-of-week', '"fri-mon"', 'inverted'],
    ['0 0 * * 7-5', 'day-of-week', '"7-5"', 'inverted'],
    ['*/61 * * * *', 'minute', '"*/61"'],
    ['1-5-7 * * * *', 'minute', '"1-5-7"'],
    ['1,,2 * * * *', 'minute', '"1,,2"', 'empty'],
    ['1, * * * *', 'minute', 'empty'],
    ['? * * * *', 'minute', '"?"'],
    ['0 0 ?,5 * *', 'day-of-month', '"?,5"'],
    ['0 0 LW,1 * *', 'day-of-month', 'LW'],
    ['0 0 15L * *', 'day-of-month', '15L'],
    ['0 0 W * *', 'day-of-month', '"W"'],
    ['0 0 32W * *', 'day-of-month', '32'],
    ['0 0 * * L', 'day-of-week', '"L"'],
    ['0 0 * * 1#0', 'day-of-week', '"1#0"', '1-5'],
    ['0 0 * * 1#6', 'day-of-week', '"1#6"', '1-5'],
    ['0 0 * * +1', 'day-of-week', '"+1"'],
    ['0 0 * * 1/2', 'day-of-week', '"1/2"'],
    ['0 0 1.5 * *', 'day-of-month', '"1.5"'],
    ['0 0 * * * * *', '7 fields'],
    ['* * * *', '4 fields'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['@reboot', '@reboot', 'no boot'],
    ['@often', '"@often"', '@hourly'],
  ];

  for (const [expression, ...fragments] of cases) {
    test(`"${expression}"`, () => {
      const error = errorOf(expression);
      expect(error.field).toBe('trigger.cron.expression');
      expect(error.code).toBe('BAD_USER_INPUT');
      for (const fragment of fragments) expect(error.message).toContain(fragment);
      expect(error.message).not.toContain('CronPattern');
    });
  }
});

describe('never fires', () => {
  for (const expression of ['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *', '0 0 30,31 feb *']) {
    test(`"${expression}" is rejected as never firing`, () => {
      const error = errorOf(expression);
      expect(error.field).toBe('trigger.cron.expression');
      expect(error.message).toContain('never fires');
      expect(error.message).toContain(expression);
    });
  }

  test('rare but possible schedules are accepted: Feb 29, a fifth Monday in February', () => {
    expect(() => compileCron('0 0 29 2 *', 'UTC')).not.toThrow();
    expect(() => compileCron('0 0 * 2 1#5', 'UTC')).not.toThrow();
  });
});

describe('time zone', () => {
  test('an unknown zone is an error on the timezone field', () => {
    const error = errorOf('0 0 * * *', 'Mars/Olympus_Mons');
    expect(error.field).toBe('trigger.cron.timezone');
    expect(error.message).toContain('Mars/Olympus_Mons');
  });

  test('the field prefix follows the caller', () => {
    try {
      compileCron('0 99 * * *', 'UTC', 'jobs[2].trigger.cron');
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).field).toBe('jobs[2].trigger.cron.expression');
    }
  });
});

describe('accepted forms', () => {
  const valid = [
    '0 0 * * sat-sun',
    '0 0 * * SUN-SAT',
    '0 0 * * 0-7',
    '0 0 1 JAN-DEC/2 *',
    '0 0 L,15 * *',
    '0 0 1W,15W * *',
    '0 0 * * 1,5#2,0L',
    '*/15,7 * * * *',
    '  0   9 * *   1-5  ',
  ];
  for (const expression of valid) {
    test(`"${expression}"`, () => {
      expect(compileCron(expression, 'UTC').nextRun(new Date(Date.UTC(2027, 0, 1)))).toBeInstanceOf(Date);
    });
  }
});
