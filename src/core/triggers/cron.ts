/**
 * Cron arithmetic: croner as a calculator (no callback, so it never starts a timer) behind our
 * grammar check (./cron-parse.ts). Compiled schedules are cached because the scheduler asks for
 * the next fire of the same few expressions over and over.
 */
import { Cron } from 'croner';
import { ValidationError } from '../errors.ts';
import type { DstPolicy } from '../trigger.ts';
import { parseCronExpression } from './cron-parse.ts';
import { isDefaultDstPolicy, nextCronTimeWithPolicy } from './dst.ts';
import { isValidTimeZone } from './timezone.ts';

/** See docs/cron-spec.md: fixed-time jobs are those whose minute and hour do not start with `*`. */
const FIXED_TIME_RULE = 'no-wildcard';
const CACHE_LIMIT = 1000;
/** croner searches 400 years ahead; the Gregorian calendar repeats every 400, so null from here means never. */
const NEVER_PROBE_FROM = new Date(Date.UTC(2000, 0, 1));

const cache = new Map<string, Cron>();
/**
 * Recent answers of nextCronTime. A herd of jobs on one schedule (1,000 webhooks every second)
 * asks the same question once per job; croner answers it in about 0.2 ms (its time zone math goes
 * through Intl), which was the largest single cost of such a fire. The answer is a pure function of
 * the key, so a small memo is safe.
 */
const answers = new Map<string, number | null>();
const ANSWERS_LIMIT = 4096;

/**
 * The compiled schedule of an expression in a zone. Throws ValidationError on `${field}.expression`
 * when the expression is invalid or can never fire, on `${field}.timezone` when the zone is unknown.
 */
export function compileCron(expression: string, timezone: string, field = 'trigger.cron'): Cron {
  const key = `${FIXED_TIME_RULE}\u0000${timezone}\u0000${expression}`;
  const hit = cache.get(key);
  if (hit) {
    // Re-insert so the Map's insertion order is least-recently-used first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const cron = build(expression, timezone, field);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, cron);
  return cron;
}

/**
 * Next fire strictly after `after` (epoch ms), or null when there is none (croner looks 400 years
 * ahead). A DST policy other than cronie's rule is applied by ./dst.ts.
 */
export function nextCronTime(
  expression: string,
  timezone: string,
  after: number,
  dst: DstPolicy | null = null,
): number | null {
  if (!Number.isFinite(after)) throw new RangeError(`after must be a finite epoch ms, got ${after}`);
  const policy = dst === null || isDefaultDstPolicy(expression, dst) ? null : dst;
  const key = `${timezone}\u0000${after}\u0000${expression}\u0000${policy ? `${policy.gap}/${policy.repeat}` : ''}`;
  const known = answers.get(key);
  if (known !== undefined) return known;
  let answer: number | null;
  if (policy) answer = nextCronTimeWithPolicy(expression, timezone, policy, after);
  else {
    // croner reads a Date to whole seconds and returns a time strictly after the instant given.
    const next = compileCron(expression, timezone).nextRun(new Date(after));
    answer = next === null ? null : next.getTime();
  }
  if (answers.size >= ANSWERS_LIMIT) answers.clear();
  answers.set(key, answer);
  return answer;
}

function build(expression: string, timezone: string, inputField: string): Cron {
  const field = `${inputField}.expression`;
  const parsed = parseCronExpression(expression, field);
  if (!isValidTimeZone(timezone))
    throw new ValidationError(`${inputField}.timezone`, `unknown IANA time zone "${timezone}"`);
  let cron: Cron;
  try {
    cron = new Cron(parsed.pattern, {
      timezone,
      mode: '6-part',
      domAndDow: parsed.domAndDow,
      fixedTimeRule: FIXED_TIME_RULE,
    });
  } catch (error) {
    // Our grammar should have caught it first; say what croner disliked without its class prefix.
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw new ValidationError(field, `"${expression.trim()}" is not supported: ${reason}`);
  }
  if (cron.nextRun(NEVER_PROBE_FROM) === null)
    throw new ValidationError(field, `"${expression.trim()}" never fires: no date matches it`);
  return cron;
}
