/**
 * Every rule of docs/cron-spec.md, in more zones and years than its worked examples
 * (cron-examples.json): the cases of test/fixtures/cron-rules.json, read at test time (the
 * cron-library bench, bench/cron-libs.ts, runs the same corpus through node-cron and croner).
 * Expected times were worked out by hand from the calendar and the zones' DST rules, then written
 * as UTC; a case is the next fires after `from`, each strictly after the previous one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { nextCronTime } from '../../../src/core/triggers/cron.ts';

interface Case {
  /** The rule, "group > what it shows"; several cases may share one. */
  rule: string;
  expression: string;
  timezone: string;
  from: string;
  expected: string[];
  note?: string;
}

const cases: Case[] = JSON.parse(
  readFileSync(new URL('../../fixtures/cron-rules.json', import.meta.url), 'utf8'),
);

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

test('the corpus is all there', () => {
  expect(cases.length).toBeGreaterThanOrEqual(65);
});

function groupBy(items: Case[], key: (c: Case) => string): Map<string, Case[]> {
  const groups = new Map<string, Case[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

for (const [group, inGroup] of groupBy(cases, (c) => c.rule.split(' > ')[0] as string)) {
  describe(group, () => {
    for (const [rule, ruleCases] of groupBy(inGroup, (c) => c.rule)) {
      test(rule.slice(group.length + 3), () => {
        for (const c of ruleCases) {
          expect(
            fires(c.expression, c.timezone, c.from, c.expected.length),
            `${c.expression} in ${c.timezone}`,
          ).toEqual(c.expected);
        }
      });
    }
  });
}
