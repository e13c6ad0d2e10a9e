/**
 * The worked examples of docs/cron-spec.md (cron-examples.json beside this file, read at test
 * time): one test each. "invalid" means creation fails with a ValidationError, "never" means it
 * fails as "never fires"; a list is the next five fires, each strictly after the previous one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../../src/core/errors.ts';
import { compileTrigger } from '../../../src/core/triggers/compile.ts';
import { upcomingFireTimes } from '../../../src/core/triggers/next-fire.ts';

interface Example {
  id: string;
  expr: string;
  tz: string;
  from: string;
  expected_next: string[] | 'invalid' | 'never';
  note?: string;
}

const examples: Example[] = JSON.parse(
  readFileSync(new URL('./cron-examples.json', import.meta.url), 'utf8'),
);

function compile(example: Example) {
  return compileTrigger(
    { cron: { expression: example.expr, timezone: example.tz } },
    { now: Date.parse(example.from), defaultTimezone: 'UTC' },
  );
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('cron-spec examples', () => {
  test('the examples file is not empty', () => {
    expect(examples.length).toBeGreaterThanOrEqual(16);
  });

  for (const example of examples) {
    test(`${example.id}: ${example.expr} in ${example.tz}`, () => {
      const { expected_next: expected } = example;
      if (expected === 'invalid') {
        const error = thrown(() => compile(example));
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('trigger.cron.expression');
      } else if (expected === 'never') {
        const error = thrown(() => compile(example));
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).message).toContain('never fires');
      } else {
        const trigger = compile(example);
        const fires = upcomingFireTimes(trigger, Date.parse(example.from), expected.length);
        expect(fires.map((ms) => new Date(ms).toISOString())).toEqual(
          expected.map((iso) => new Date(iso).toISOString()),
        );
      }
    });
  }
});
