/**
 * Interval arithmetic. Fires sit on a fixed grid, anchor + k * period, and the next one is found in
 * closed form from any instant, so a late or slow run never shifts the grid (no drift).
 */
import type { IntervalTrigger } from '../trigger.ts';

export type IntervalParts = Pick<
  IntervalTrigger,
  'weeks' | 'days' | 'hours' | 'minutes' | 'seconds' | 'milliseconds'
>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * The period in whole milliseconds. Days are 24 h of elapsed time, not calendar days: an interval
 * is a duration and ignores DST (use cron for wall-clock schedules). Rounded because fractional
 * parts (hours: 0.1) can add up to a float a hair off the intended integer.
 */
export function intervalPeriodMs(parts: IntervalParts): number {
  return Math.round(
    parts.weeks * WEEK +
      parts.days * DAY +
      parts.hours * HOUR +
      parts.minutes * MINUTE +
      parts.seconds * SECOND +
      parts.milliseconds,
  );
}

/**
 * First fire strictly after `after`: anchor + k * period with k >= 0 when the trigger has a
 * startDate (the first fire is the startDate itself), k >= 1 otherwise (the first fire is one
 * period after creation, as in APScheduler). Null when the period is not positive.
 */
export function nextIntervalTime(trigger: IntervalTrigger, after: number): number | null {
  const period = intervalPeriodMs(trigger);
  if (!(period > 0) || !Number.isFinite(after)) return null;
  const firstK = trigger.startDate === null ? 1 : 0;
  let k = Math.max(firstK, Math.floor((after - trigger.anchor) / period) + 1);
  // Float division of two large integers can land one off an exact multiple; settle it exactly.
  while (k > firstK && trigger.anchor + (k - 1) * period > after) k--;
  while (trigger.anchor + k * period <= after) k++;
  return trigger.anchor + k * period;
}
